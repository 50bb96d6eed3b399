// The standing reports of a brokerage team:
//  * queue: open referrals by days past their discharge-ready date (each day is a delayed transfer of care);
//  * voids: vacant block beds (already paid for), how long each has been empty and what that has cost;
//  * utilisation: block beds occupied as a share of block bed-days, by home and by district, over dates;
//  * hand backs: providers giving care back, the people, hours and beds, reasons and notice, over dates.
// Each report is computed from the store and rendered as a text table, CSV or JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/schema/db.h"
#include "berth/schema/model.h"
#include "berth/schema/status.h"

namespace berth::core {

enum class ReportFormat { kText, kCsv, kJson };

struct QueueRow {
  std::string referral_id;
  std::string name;
  std::string pathway;
  std::string category;  // bed category, or "homecare Nh/wk" for P1
  std::string status;
  std::string priority;
  std::string discharge_ready_date;
  std::string care_ends;     // a hand back: the last day of the care handed back
  std::string needed_from;   // the DRD, or for a hand back the day after care ends (referrals.h)
  std::string delay_reason;  // the NHS DToC reason code, '' when none is recorded
  int64_t days_past = 0;     // today - needed_from, 0 when not yet reached
  std::string location;      // hospital code or "community"
};

struct QueueReport {
  std::string today;
  std::vector<QueueRow> rows;  // in queue order (referrals.h, QueueBefore): the board's and the plan's
  int64_t total_delay_days = 0;
  int64_t past_discharge_ready = 0;  // rows with days_past > 0
};

struct VoidRow {
  std::string bed_id;
  std::string provider_id;
  std::string home;
  std::string district;
  std::string room;
  std::string category;
  std::string tier;
  int64_t weekly_rate_pence = 0;
  std::string vacant_since;
  int64_t days_vacant = 0;
  int64_t cost_so_far_pence = 0;  // weekly rate x days vacant / 7, rounded to the penny
};

struct VoidsReport {
  std::string today;
  std::vector<VoidRow> rows;  // dearest so far first
  int64_t weekly_cost_pence = 0;
  int64_t cost_so_far_pence = 0;
  int64_t days_vacant = 0;
};

struct UtilisationRow {
  std::string key;    // provider id, or district name
  std::string label;  // home name, or district name
  std::string district;
  int64_t block_beds = 0;
  int64_t bed_days = 0;       // block beds x days in range
  int64_t occupied_days = 0;  // bed-days covered by placements (or current occupation)
  double utilisation = 0;     // occupied_days / bed_days
};

struct UtilisationReport {
  std::string from, to;                   // inclusive
  std::vector<UtilisationRow> homes;      // by district, then name
  std::vector<UtilisationRow> districts;  // by name
  UtilisationRow total;
};

// Hand backs: which providers gave care back, for how many people, how many homecare hours a week and beds,
// why, and with how much notice. Counted by the day notice was given.
struct HandbackRow {
  std::string handback_id;
  std::string provider_id;
  std::string provider;  // the provider's name
  std::string referral_id;
  std::string kind;  // "bed" or "homecare"
  std::string bed_id;
  double hours_per_week = 0;  // homecare: the package's carer hours a week
  std::string reason;
  std::string notice_date;
  std::string end_date;     // the last day of care
  int64_t notice_days = 0;  // end_date - notice_date
  std::string status;       // open, rebrokered, withdrawn
};

struct HandbackTally {
  std::string key;  // provider id, or reason code
  std::string label;
  int64_t handbacks = 0;
  int64_t people = 0;
  int64_t beds = 0;
  double hours_per_week = 0;
};

struct HandbacksReport {
  std::string from, to;           // notice given between these days, inclusive
  std::vector<HandbackRow> rows;  // by notice date, then provider, then id
  int64_t handbacks = 0;
  int64_t providers = 0;  // distinct providers
  int64_t people = 0;     // distinct referrals
  int64_t beds = 0;
  double hours_per_week = 0;
  double average_notice_days = 0;
  std::vector<HandbackTally> by_provider;  // most hand backs first
  std::vector<HandbackTally> by_reason;    // most hand backs first
};

Result<QueueReport> BuildQueueReport(Db& db, const std::string& today);
Result<HandbacksReport> BuildHandbacksReport(Db& db, const std::string& from, const std::string& to);
Result<VoidsReport> BuildVoidsReport(Db& db, const std::string& today);
// A block bed is occupied on a day when a placement in it covers that day (start_date to end_date, the
// last day of care, both inclusive), or when the bed is occupied now, since its status_since, and no open
// placement records it.
Result<UtilisationReport> BuildUtilisationReport(Db& db, const std::string& from, const std::string& to);

std::string Render(const QueueReport& r, ReportFormat f);
std::string Render(const VoidsReport& r, ReportFormat f);
std::string Render(const UtilisationReport& r, ReportFormat f);
std::string Render(const HandbacksReport& r, ReportFormat f);

// "£1,234.56"
std::string FormatPounds(int64_t pence);
// "£1,234": whole pounds, the pence dropped (the window's tables and charts).
std::string FormatWholePounds(int64_t pence);
// "1234.56": for CSV, no symbol and no thousands separators.
std::string FormatPoundsPlain(int64_t pence);

// What a void (a vacant block bed) has cost over `days`: the weekly rate x days / 7, to the nearest penny
// (halves up). The voids report and the window's dashboard both use it.
int64_t VoidCostPence(int64_t weekly_rate_pence, int64_t days);

}  // namespace berth::core

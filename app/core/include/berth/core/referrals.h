// What a referral is, decided once for every part of Berth: whether it may be saved (validation), whether
// it is open (in the queue), where it stands in the queue, and the hospital sites that refer to the
// council's brokerage team. The CLI, the importers, the window's form and board, the reports and the plan
// all call these; none keeps a copy.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "berth/core/geo.h"
#include "berth/schema/db.h"
#include "berth/schema/model.h"
#include "berth/schema/status.h"

namespace berth::core {

// --- validation ----------------------------------------------------------------------------------------
struct FieldProblem {
  std::string field;    // the referral JSON key, e.g. "nhs_number", "homecare"
  std::string message;  // what is wrong, never quoting personal values
};

// Every problem that stops `r` being saved, in field order; empty when it may be saved. `geo` (may be
// null) also checks that postcodes are in known districts and that a hospital referral names a site.
std::vector<FieldProblem> ReferralProblems(const Referral& r, const Geography* geo, const std::string& today);
// "" for a full UK postcode ("PE29 6NT", "pe296nt"), else what is wrong with it.
std::string PostcodeProblem(std::string_view text);
// "" for a real date written YYYY-MM-DD, else what is wrong with it ("required" when empty).
std::string DateProblem(std::string_view text);

// --- the hospital sites --------------------------------------------------------------------------------
struct ReferringSite {
  const char* code;      // ODS site code
  const char* name;      // short name, as brokers say it
  const char* town;      // where it is
  const char* postcode;  // the site's postcode
};
// The acute hospitals that refer to Cambridgeshire and Peterborough brokerage, in the order forms list them.
const std::vector<ReferringSite>& ReferringHospitals();
// "Addenbrooke's" for "RGT01"; another English site's name from the geography (when loaded); the code
// itself when unknown; "Community" for "".
std::string HospitalName(const std::string& ods_code);

// --- the queue -----------------------------------------------------------------------------------------
// Open: still waiting to be placed (new, sourcing, offered, accepted). Placed and cancelled are not.
bool IsOpen(ReferralStatus status);

// What orders the queue. Hand backs come first, by the day their current care ends; then everyone else by
// the day they were ready (longest past it first; a day still to come after every day already past); then
// urgent before routine on the same day; then id, so the order is total.
struct QueueKey {
  bool hand_back = false;
  int64_t needed_day = INT64_MAX;  // days since 1970 of the date needed from (INT64_MAX: unknown, last)
  bool urgent = false;
  std::string_view id;
};
bool QueueBefore(const QueueKey& a, const QueueKey& b);

struct QueueEntry {
  Referral referral;
  std::string care_ends;    // a hand back: the last day of the care being handed back ('' otherwise)
  std::string needed_from;  // a hand back: the day after care ends; otherwise the discharge-ready date
  int64_t days_past = 0;    // today - needed_from (negative: still to come; 0 when unknown)
  QueueKey Key() const;
};

// The date new care is needed from: the day after `care_ends` for a hand back, else the DRD.
std::string NeededFrom(const Referral& r, const std::string& care_ends);

// Referrals in queue order with their hand-back dates: the open ones only, or every referral when
// `include_closed` (closed ones keep their place by the same rule; the board filters them).
Result<std::vector<QueueEntry>> LoadQueue(Db& db, const std::string& today, bool include_closed = false);
void SortQueue(std::vector<QueueEntry>& queue);

}  // namespace berth::core

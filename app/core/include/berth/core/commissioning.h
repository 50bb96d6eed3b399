// The numbers commissioners take to committee (issue 23), beside the brokerage team's standing reports
// (reports.h):
//  * why-voids: for each void (a vacant block bed, exactly the voids report's rows), the queued referrals
//    it was checked against and the matcher's rule that excluded it for each (match.h: EvaluateBed, the
//    same rules and order as `berth match`), and how long it has been empty;
//  * unmet: queued referrals for which the matcher finds no option at all, by category, district and
//    homecare band, with the rule that most often stopped them;
//  * responses: offers sent in a date range and their answers (accepted, declined by coded reason,
//    withdrawn, expired, pending) and response times, by provider; the declines of homes holding block
//    beds, the evidence for a block contract's clawback clause;
//  * spend: placements live in a date range by kind and contract type (block, framework, spot; homecare
//    block, dps, spot), their weekly cost and cost in the range, the block contract's weekly cost and its
//    voids, and placements with providers outside the council's area;
//  * the placements export for the council's finance and case-management systems (audited as a view of
//    each person's record).
// How each figure is computed is written in app/core/MATCHING.md, "Commissioning reports". Each report
// is computed here; the CLI and the window only show it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/reports.h"
#include "berth/schema/db.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth::core {

// A count of something by the rule that stopped it. `rule` is a matcher rule code (match.h, RuleCode), or
// one of the two codes below for what no rule records.
struct RuleTally {
  std::string rule;
  std::string phrase;  // RulePhrase, in words
  int64_t count = 0;
};
// The bed passes every rule, but it lies beyond the search radius of a referral with no distance limit
// (match.search_radius_km), so the matcher never lists it for that person.
inline constexpr const char* kBeyondSearchRule = "beyond_search";
// Nothing was examined for the referral: no home with supply, or no agency, within its search area.
inline constexpr const char* kNoneInReachRule = "none_in_reach";

// --- why-voids ---------------------------------------------------------------------------------------------
struct VoidExclusion {
  std::string referral_id;
  std::string rule;  // the first rule the bed fails for this person
};

struct WhyVoidRow {
  VoidRow bed;                          // as in the voids report: days vacant, cost so far
  int64_t referrals = 0;                // queued referrals wanting a bed, each checked against it
  std::vector<std::string> suits;       // referrals it passes every rule for (in queue order)
  std::vector<VoidExclusion> excluded;  // the others, in queue order
  std::vector<RuleTally> by_rule;       // the exclusions by rule, most first
  std::string top_rule;                 // by_rule's first ('' when nothing was excluded)
};

struct WhyVoidsReport {
  std::string today;
  int64_t referrals = 0;         // queued referrals that want a bed
  std::vector<WhyVoidRow> rows;  // the voids report's rows, in its order
  int64_t voids = 0;             // the voids report's totals
  int64_t weekly_cost_pence = 0;
  int64_t cost_so_far_pence = 0;
  int64_t days_vacant = 0;
  int64_t voids_suiting_someone = 0;  // voids at least one queued referral could take
  std::vector<RuleTally> by_rule;     // every (void, referral) exclusion by rule, most first
};

// ctx: the index, settings and geography `berth match` uses, and the day (ctx.today) to report on.
Result<WhyVoidsReport> BuildWhyVoidsReport(Db& db, const MatchContext& ctx);

// --- unmet demand ------------------------------------------------------------------------------------------
struct UnmetRow {
  std::string referral_id;
  std::string pathway;
  std::string category;            // the bed category, or "homecare"
  std::string district;            // where the person is (referral.district; "(unknown)" when not recorded)
  std::vector<std::string> bands;  // homecare: the time bands needed
  int64_t days_past = 0;           // days past the date needed
  int64_t examined = 0;            // options the matcher examined and excluded
  std::vector<RuleTally> by_rule;  // those exclusions by rule, most first
  std::string top_rule;            // the rule that stopped most of them (kNoneInReachRule when none)
};

struct UnmetTally {
  std::string key;  // a category, district or band
  int64_t referrals = 0;
  int64_t days_past = 0;           // summed over its referrals
  std::vector<RuleTally> by_rule;  // its referrals by their top rule, most first
  std::string top_rule;            // the rule that most often stopped them
};

struct UnmetReport {
  std::string today;
  int64_t queued = 0;                                         // open referrals matched
  int64_t unmet = 0;                                          // of which no option at all
  std::vector<UnmetRow> rows;                                 // in queue order
  std::vector<UnmetTally> by_category, by_district, by_band;  // most referrals first
  std::vector<RuleTally> by_rule;  // the unmet referrals by their top rule, most first
};

Result<UnmetReport> BuildUnmetReport(Db& db, const MatchContext& ctx);

// --- provider responses ----------------------------------------------------------------------------------
struct ResponseTally {
  std::string provider_id;  // '' for the totals
  std::string provider;     // the provider's name
  bool block_home = false;  // holds block beds (the council's block contract)
  int64_t offers = 0;
  int64_t accepted = 0;
  int64_t declined = 0;
  int64_t withdrawn = 0;
  int64_t expired = 0;  // including pending offers past their deadline (OfferStatusAt)
  int64_t pending = 0;
  int64_t timed = 0;               // answers with a recorded time (offer.answered_at)
  double mean_response_hours = 0;  // sent_at to answered_at, over `timed`
  double median_response_hours = 0;
  double max_response_hours = 0;
  std::vector<std::pair<std::string, int64_t>> declines_by_reason;  // decline reason code, count; most first
};

struct ResponsesReport {
  std::string from, to;  // offers sent between these days, inclusive
  ResponseTally total;
  std::vector<ResponseTally> by_provider;  // most offers first
  std::vector<ResponseTally> block_homes;  // providers with block beds that declined, most declines first
  int64_t block_declines = 0;
  std::vector<std::pair<std::string, int64_t>> block_declines_by_reason;
};

// now_iso: the instant a pending offer's deadline is judged against.
Result<ResponsesReport> BuildResponsesReport(Db& db, const std::string& from, const std::string& to,
                                             const std::string& now_iso);

// --- spend -------------------------------------------------------------------------------------------------
struct SpendRow {
  std::string kind;      // "bed" or "homecare"
  std::string contract;  // bed: block, framework, spot; homecare: block, dps, spot ("unknown" when its bed
                         // or capacity row is not in the store)
  int64_t placements = 0;
  int64_t people = 0;               // distinct referrals (placements recorded without one count none)
  int64_t weekly_cost_pence = 0;    // the placements' weekly costs
  int64_t days = 0;                 // days of care in the range
  int64_t cost_in_range_pence = 0;  // each placement's weekly cost x its days in the range / 7
  int64_t out_of_area = 0;
  int64_t out_of_area_weekly_pence = 0;
};

struct OutOfAreaRow {
  std::string placement_id;
  std::string referral_id;
  std::string provider_id;
  std::string provider;
  std::string local_authority;
  std::string kind;
  std::string contract;
  int64_t weekly_cost_pence = 0;
  std::string start_date, end_date;
};

struct SpendReport {
  std::string from, to;                    // placements taking some day between these, inclusive
  std::vector<std::string> council_areas;  // what counts as in area
  std::vector<SpendRow> rows;              // beds then homecare, each block, framework/dps, spot
  SpendRow total;
  std::vector<OutOfAreaRow> out_of_area;  // by provider, then start date
  // The block contract as it stands today (to): every block bed and its weekly rate, and its voids (the
  // voids report's count and weekly cost).
  int64_t block_beds = 0;
  int64_t block_weekly_pence = 0;
  int64_t void_beds = 0;
  int64_t void_weekly_pence = 0;
};

// The council's area when none is given: the councils (county or unitary, as CQC names a provider's local
// authority) of the hospital sites that refer to its brokerage team (referrals.h, ReferringHospitals).
std::vector<std::string> DefaultCouncilAreas(const Geography& geo);
// A provider is out of area when its local authority is recorded and is none of `council_areas`
// (compared without case). council_areas must not be empty.
Result<SpendReport> BuildSpendReport(Db& db, const std::string& from, const std::string& to,
                                     const std::vector<std::string>& council_areas);

// --- the placements export -------------------------------------------------------------------------------
struct PlacementExportRow {
  std::string placement_id;
  std::string person_id;  // the referral id ('' for a placement recorded without its person)
  std::string nhs_number;
  std::string provider_id;
  std::string provider;
  std::string cqc_location_id;
  std::string kind;      // care_home or homecare
  std::string contract;  // as in the spend report
  std::string bed_id;
  std::string room;
  double hours_per_week = 0;  // homecare
  std::string start_date;
  std::string end_date;  // the last day of care ('' open-ended)
  int64_t weekly_cost_pence = 0;
  std::string funding;
  std::string status;
};

struct PlacementExport {
  std::string from, to;                  // '' for no bound
  std::vector<PlacementExportRow> rows;  // by start date, then person, then placement id
  int64_t people = 0;
};

// Every placement taking some day of [from, to] ('' bounds: unbounded). It carries NHS numbers, so each
// person exported is audited as a view of their record (one entry per person).
Result<PlacementExport> ExportPlacements(Store& store, const std::string& from, const std::string& to);

// --- rendering (commissioning_render.cc) ---------------------------------------------------------------
std::string Render(const WhyVoidsReport& r, ReportFormat f);
std::string Render(const UnmetReport& r, ReportFormat f);
std::string Render(const ResponsesReport& r, ReportFormat f);
std::string Render(const SpendReport& r, ReportFormat f);
std::string Render(const PlacementExport& r, ReportFormat f);

}  // namespace berth::core

// Matching one referral against the supply index: hard rules that exclude (the first failing rule is
// recorded for every candidate examined), then a soft score with visible components for the rest.
// The rules, components and defaults are described in app/core/MATCHING.md.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/core/geo.h"
#include "berth/core/scoring.h"
#include "berth/core/supply_index.h"
#include "berth/schema/model.h"

namespace berth::core {

// Hard rules, in the order they are checked (the first failing one is the recorded reason).
enum class Rule : uint8_t {
  kDeclined,          // the provider (or this bed's home, for that bed) declined this person's package
  kHandedBack,        // the provider handed this person's care back
  kCategory,          // the bed's category does not fit the care the person needs
  kRegistration,      // the home is not registered for that category
  kSpecialism,        // the home lacks the specialism the category or needs call for
  kAdmissionsClosed,  // closed to admissions for this category (or all)
  kInfection,         // a positive or contact person needs an isolation (en-suite) room
  kBariatric,
  kHoist,
  kGroundFloor,
  kEnSuite,
  kSingleSex,        // a single-sex unit for the other sex (or the person's sex is not recorded)
  kNotAvailable,     // not vacant by the date needed (occupied, unavailable, held past that date)
  kOverBudget,       // weekly cost above what the funding allows
  kTooFar,           // beyond the maximum distance from the preferred place
  kDistanceUnknown,  // a distance limit is set and the provider cannot be placed on the map
  kZone,             // homecare: the agency has no capacity in the person's zone
  kBandHours,        // homecare: a required time band lacks the hours
  kDoubleUp,         // homecare: cannot staff double-up calls
  kCarerGender,      // homecare: no carers of the requested gender
  kHomecareStart,    // homecare: capacity starts after the date needed
};
inline constexpr size_t kRuleCount = static_cast<size_t>(Rule::kHomecareStart) + 1;
std::string_view RuleCode(Rule rule);

enum class CandidateKind : uint8_t { kBed, kHomecare };
std::string_view KindCode(CandidateKind kind);

struct ScoreComponents {
  double void_fill = 0;  // "void"
  double delay = 0;
  double distance = 0;
  double cost = 0;
  double cqc = 0;
  double continuity = 0;
  double budget = 0;  // the over-budget penalty (0 within budget)
  double Total() const { return void_fill + delay + distance + cost + cqc + continuity + budget; }
};

struct HomecareBandUse {
  TimeBand band = TimeBand::kMorning;
  uint32_t capacity = kNoSlot;  // the capacity row the hours come from
  double hours = 0;
};

struct Candidate {
  CandidateKind kind = CandidateKind::kBed;
  uint32_t provider = kNoSlot;
  uint32_t bed = kNoSlot;              // kBed
  uint32_t zone = kNoSlot;             // kHomecare
  std::vector<HomecareBandUse> bands;  // kHomecare
  std::optional<double> distance_km;
  int64_t weekly_cost_pence = 0;
  int32_t available_day = 0;
  bool is_void = false;
  int64_t over_budget_pence = 0;   // a week over what the funding allows (0: within budget): flagged
  int64_t budget_limit_pence = 0;  // what the funding allows a week, when over
  ScoreComponents components;
  double score = 0;
};

struct Exclusion {
  CandidateKind kind = CandidateKind::kBed;
  uint32_t provider = kNoSlot;
  uint32_t bed = kNoSlot;
  uint32_t zone = kNoSlot;
  TimeBand band = TimeBand::kMorning;  // kBandHours: the short band
  Rule rule = Rule::kCategory;
  std::optional<double> distance_km;
  int64_t weekly_cost_pence = 0;                           // kOverBudget
  int64_t limit_pence = 0;                                 // kOverBudget
  DeclineReason decline_reason = DeclineReason::kNone;     // kDeclined
  HandbackReason handback_reason = HandbackReason::kNone;  // kHandedBack
  std::string on;                                          // kDeclined / kHandedBack: when it was said
  int32_t available_day = kNoDay;  // kNotAvailable / kHomecareStart: the first day it could be (kNoDay never)
  double shortfall_hours = 0;      // kBandHours: hours a week short in that band
};

// A provider this person may not be offered again: it declined them (the whole home, or one bed) or
// handed their care back.
struct PersonalExclusion {
  uint32_t provider = kNoSlot;
  std::string bed_id;  // kDeclined of one bed only ('' the whole provider)
  Rule rule = Rule::kDeclined;
  DeclineReason decline_reason = DeclineReason::kNone;
  HandbackReason handback_reason = HandbackReason::kNone;
  std::string on;  // the date of the answer or of the notice
};

// What a referral asks for, worked out once.
struct Needs {
  std::string referral_id;
  bool wants_bed = false;
  BedCategory category = BedCategory::kResidential;
  bool wants_homecare = false;
  std::optional<LatLong> where;  // the preferred place (else where the person is)
  double max_km = 0;             // 0: no limit
  int32_t today = 0;
  int32_t needed_day = 0;     // max(today, the date needed from): the DRD, or for a hand back the day after
                              // care ends
  int32_t days_past = 0;      // days past the date needed from (0 if not yet)
  std::string care_ends;      // a hand back: the last day of the current care
  uint32_t zone = kNoSlot;    // homecare zone
  double hours_per_band = 0;  // carer hours per week in each required band
  uint32_t need_mask = 0;     // bit i: Need i
  Gender gender = Gender::kUnknown;
  InfectionStatus infection = InfectionStatus::kUnknown;
  Funding funding = Funding::kLa;
  int64_t budget_pence = 0;
  HomecarePattern homecare;
  std::string now_iso;                      // for hold expiry
  std::vector<uint32_t> previous;           // providers that cared for the person before
  std::vector<PersonalExclusion> personal;  // providers that declined or handed the person back
  std::optional<Rule> waive;                // near misses: evaluate as if this rule passed

  bool Has(Need n) const { return (need_mask >> static_cast<unsigned>(n)) & 1u; }
};

// Where matching happens: the index, the settings, the geography (may be null: then distances are
// unknown), and the date and instant to match at.
struct MatchContext {
  const SupplyIndex* index = nullptr;
  const MatchSettings* settings = nullptr;
  const Geography* geo = nullptr;
  std::string today;            // 'YYYY-MM-DD'
  std::string now_iso;          // 'YYYY-MM-DDTHH:MM:SSZ'
  bool keep_exclusions = true;  // false: count exclusions by rule only (the plan needs no sentences)
  std::string needed_from;      // when set: match for care from this date (a confirmation's first day)
};
// Today and now from `env`'s clock (null: Env::Default()).
MatchContext ContextNow(const SupplyIndex& index, const MatchSettings& settings, const Geography* geo,
                        Env* env = nullptr);

Needs PrepareNeeds(const MatchContext& ctx, const Referral& r);

// The rules and score for one bed / one homecare option: the index and the naive baseline share them.
// Returns the first failing rule, or nothing and fills `out` (score included).
std::optional<Rule> EvaluateBed(const MatchContext& ctx, const Needs& n, const ProviderSlot& p,
                                const BedSlot& b, Candidate* out, Exclusion* why);
// The same with the person's distance to `p` already known (the index works it out once per home, not
// once per bed). `km` must be what the overload above would compute: unset when either is unplaced.
std::optional<Rule> EvaluateBed(const MatchContext& ctx, const Needs& n, const ProviderSlot& p,
                                const BedSlot& b, std::optional<double> km, Candidate* out, Exclusion* why);
// `rows`: the provider's live capacity rows in the person's zone.
std::optional<Rule> EvaluateHomecare(const MatchContext& ctx, const Needs& n, const ProviderSlot& p,
                                     const std::vector<const CapacitySlot*>& rows,
                                     const std::vector<uint32_t>& row_slots, Candidate* out, Exclusion* why);
// Sorting: score, then distance, then ids (deterministic).
void RankCandidates(const SupplyIndex& ix, std::vector<Candidate>& c);

struct MatchResult {
  Needs needs;
  std::vector<Candidate> candidates;               // ranked
  std::vector<Exclusion> excluded;                 // in examination order (empty unless keep_exclusions)
  std::array<uint32_t, kRuleCount> rule_counts{};  // exclusions by rule
};

// Matches one referral. Cancelled or placed referrals still match (for display); callers decide.
MatchResult Match(const MatchContext& ctx, const Referral& r);

// An offer's status as of `now_iso`: a pending offer past its deadline is "expired" even before the
// housekeeping pass marks it so.
std::string OfferStatusAt(const OfferNote& o, const std::string& now_iso);
std::string OfferStatusAt(OfferStatus status, const std::string& respond_by, const std::string& now_iso);

// A human sentence for an exclusion (no personal data).
std::string ReasonSentence(const MatchContext& ctx, const Needs& n, const Exclusion& e);

// A near miss: an excluded option that only one rule stops, and how far it is from passing it.
struct NearMiss {
  Exclusion exclusion;
  double amount = 0;  // how far, in `unit` (0 for a rule with no measure)
  std::string unit;   // "GBP a week", "km", "hours a week", "days", or ""
  std::string words;  // "2.2 km beyond the 15 km limit"
  double gap = 0;     // for ordering: the smaller, the nearer
};
// Referrals with fewer options than this get their near misses listed.
inline constexpr size_t kFewOptions = 3;
// The nearest misses among m.excluded (needs ctx.keep_exclusions): options that one rule alone stops, the
// nearest first, one per provider, at most `limit`.
std::vector<NearMiss> NearMisses(const MatchContext& ctx, const MatchResult& m, size_t limit = 5);
// A rule in a few plain words ("not enough hours in a time band"), for counts in sentences.
std::string_view RulePhrase(Rule rule);
// "GBP 17.50 a week over the GBP 800.00 budget", for a candidate over budget.
std::string OverBudgetWords(const Candidate& c);
// CQC's own words for a rating ("Requires improvement", "Inspected but not rated"; "Not yet rated").
std::string_view RatingWords(CqcRating rating);
// "3.2 km from the preferred place (the home's own position)" (a bed) or "the agency's base is 3.2 km from
// the person (...)" (homecare), saying whether the provider's position is exact or its postcode district's
// centre (where every home of the district is 0 km apart).
std::string DistanceWords(const SupplyIndex& ix, const Candidate& c);

// --- reading a score (MATCHING.md, "Reading a score") ---
// A 0-100 fit for people: 100 / (1 + e^(-(score - delay) / w_void)), rounded. The delay component is left
// out (it is the same for every option of one person); 50 is an ordinary option, and one void's worth of
// points moves it about 25 either way. It orders options exactly as the score does.
int FitPercent(const MatchSettings& s, const Candidate& c);
// One component of a score with its points and what it means for this option, in words that fit beds and
// homecare ("a vacant block bed the council already pays for", "block homecare hours the council already
// pays for").
struct ScoreLine {
  std::string
      name;  // "Fills a void", "Days waiting", "Distance", "Cost", "CQC rating", "Continuity", "Budget"
  double points = 0;
  std::string words;
};
std::vector<ScoreLine> ScoreLines(const MatchContext& ctx, const Needs& n, const Candidate& c);

// The JSON of `berth match --json` (keys documented in MATCHING.md). limit 0: all candidates.
nlohmann::json MatchJson(const MatchContext& ctx, const MatchResult& m, size_t limit);
nlohmann::json CandidateJson(const MatchContext& ctx, const Candidate& c);
nlohmann::json SettingsJson(const MatchSettings& s);
std::string MatchText(const MatchContext& ctx, const MatchResult& m, size_t limit);

}  // namespace berth::core

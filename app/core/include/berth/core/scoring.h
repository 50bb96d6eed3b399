// Matching settings: the soft-score weights and the workflow's time limits. They live in the store's
// `setting` table (keys "match.*"), so they sync and every device ranks the same way; anything not set
// takes the documented default (app/core/MATCHING.md explains each default).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "berth/schema/model.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth::core {

// Every tunable number of the matcher. Weights are points per unit of their component (see MATCHING.md).
struct MatchSettings {
  double w_void = 20;         // points for a void (vacant block bed / unused block homecare); x(1..2) by age
  double w_delay = 1;         // points per day past the discharge-ready date (minus days still to wait)
  double w_distance = 0.5;    // points lost per km from the preferred place
  double w_cost = 0.3;        // points lost per 1% of weekly cost above the usual rate (gained below it)
  double w_cqc = 10;          // points for an Outstanding rating (scaled down the ratings)
  double w_continuity = 15;   // points for a provider that has cared for this person before
  double w_over_budget = 2;   // points lost per 1% the weekly cost is over what the funding allows
  double void_cap_days = 90;  // a void older than this earns no more than a 90-day one
  double hold_hours = 4;      // a bed hold lasts this long
  double offer_response_hours = 48;         // providers answer a routine offer within this
  double urgent_offer_response_hours = 24;  // ... an urgent or hand-back one within this
  double search_radius_km = 100;            // how far to look when a referral sets no distance limit
  double unknown_distance_km = 30;          // distance assumed for scoring when a provider cannot be placed
  double budget_hard_limit = 0;             // not 0: an option over budget is excluded, a hard rule
  int64_t fnc_weekly_pence = 23588;         // NHS Funded Nursing Care contribution (2024-25: GBP 235.88)
  int64_t usual_homecare_hourly_pence = 1950;
  std::array<int64_t, EnumCount<BedCategory>()> usual_weekly_pence = {70000, 78000,  85000, 95000, 150000,
                                                                      90000, 120000, 80000, 85000};

  int64_t UsualWeekly(BedCategory c) const { return usual_weekly_pence[static_cast<size_t>(c)]; }
};

// One named setting, for listing and editing.
struct SettingInfo {
  std::string name;  // e.g. "void" (stored as "match.weight.void") or "hold_hours" ("match.hold_hours")
  std::string key;   // the store key
  double value = 0;
  double default_value = 0;
  std::string meaning;
};

// The settings with every stored override applied. A stored value that is not a number is kBadInput
// naming the key (refused rather than silently replaced by the default).
Result<MatchSettings> LoadMatchSettings(Store& store);
// Every setting, its key, its current and default value.
std::vector<SettingInfo> DescribeSettings(const MatchSettings& s);
// Sets one setting by name ("void", "distance", ... or "hold_hours", "usual_rate.nursing", ...).
// Unknown names and non-finite or negative numbers are kBadInput and nothing is written.
Status SetMatchSetting(Store& store, std::string_view name, std::string_view value);

}  // namespace berth::core

// The huddle plan: one proposed option for every open referral at once, each bed and each homecare hour
// used at most once, chosen by a min-cost flow (LEMON's network simplex) instead of first-come greedy picks.
//
// Objective (MATCHING.md, "The plan"): maximise the number of people placed, then the sum of their
// scores (which carry days past the discharge-ready date and void filling). Each allocation is worth
// kPlacementValue + round(100 * score); the plan maximises the total. The bed part is an exact
// assignment. Homecare hours come from several time-band rows at once, which a flow cannot express
// exactly, so homecare options enter the flow with an estimated number of places, and a repair pass then
// checks real hours band by band. The result is compared with greedy first-come on the same input and the
// better one is kept, so the plan is never worse than greedy (totals.method says which one won).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "berth/core/match.h"
#include "berth/schema/db.h"
#include "berth/schema/model.h"

namespace berth::core {

inline constexpr int64_t kPlacementValue = 1'000'000;

struct PlanAllocation {
  std::string referral_id;
  Candidate candidate;
  std::string reason;
};

struct PlanUnplaced {
  std::string referral_id;
  std::string reason;
};

struct PlanTotals {
  size_t referrals = 0;
  size_t placed = 0;
  size_t unplaced = 0;
  size_t beds = 0;
  size_t homecare = 0;
  size_t voids_filled = 0;
  int64_t void_weekly_pence_filled = 0;  // block money no longer wasted each week
  int64_t delay_days_cleared = 0;        // sum of days past discharge-ready over the people placed
  int64_t weekly_cost_pence = 0;
  double score = 0;
  int64_t objective = 0;
  std::string method;  // "min_cost_flow" or "greedy"
  int64_t greedy_objective = 0;
  size_t greedy_placed = 0;
  size_t over_budget = 0;                // allocations over budget (allowed, flagged, to approve)
  int64_t over_budget_weekly_pence = 0;  // by how much in all, a week
};

struct Plan {
  std::vector<std::string> queue;           // the referrals planned, in queue order
  std::vector<PlanAllocation> allocations;  // in queue order
  std::vector<PlanUnplaced> unplaced;
  PlanTotals totals;
};

struct PlanOptions {
  // Candidate arcs per referral in the flow (best first). Referrals left out get a greedy second chance
  // over their full candidate lists after the flow.
  size_t arcs_per_referral = 40;
  // Greedy first-come only (what brokers do by hand): the baseline the plan must beat.
  bool greedy_only = false;
};

// The open queue in queue order (referrals.h: IsOpen, QueueBefore), the same list and order as the board
// and `report queue`. A referral a provider has accepted is planned with that provider only.
Result<std::vector<Referral>> LoadOpenQueue(Db& db, const std::string& today);

// Plans `queue` (already in queue order) against ctx's index. ctx.keep_exclusions is ignored (false).
Plan MakePlan(const MatchContext& ctx, const std::vector<Referral>& queue, const PlanOptions& options = {});

// The value one allocation adds to the objective.
int64_t AllocationValue(const Candidate& c);

nlohmann::json PlanJson(const MatchContext& ctx, const Plan& plan);
std::string PlanText(const MatchContext& ctx, const Plan& plan);

}  // namespace berth::core

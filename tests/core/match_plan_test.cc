// The huddle plan on hand-made queues: it beats greedy first-come where greedy goes wrong, never uses a
// bed or an hour twice, and says why each person is placed or not.
#include <gtest/gtest.h>

#include <set>

#include "berth/core/referrals.h"
#include "match_fixture.h"

namespace berth {
namespace {

class MatchPlan : public testing::MatchFixture {
 protected:
  std::string BedOf(const core::PlanAllocation& a) const { return index_->beds()[a.candidate.bed].id; }
};

TEST_F(MatchPlan, BeatsGreedyWhenTheFirstInTheQueueTakesTheOnlyBedTheNextCanUse) {
  // R1 (first in the queue) can use B1 (a slightly better fit) or B2; R2 needs a hoist and only B1 has
  // one. Greedy gives R1 B1 and leaves R2 out; the plan gives R1 B2 and R2 B1.
  Put(Home("H1"));
  Bed b1 = MakeBed("B1", "H1");
  b1.features.hoist = true;
  b1.weekly_rate_pence = 68000;
  Put(b1);
  Put(MakeBed("B2", "H1"));
  Referral r1 = Ref("R1");
  r1.discharge_ready_date = "2026-03-05";
  Referral r2 = Ref("R2");
  r2.needs = {Need::kHoist};
  r2.discharge_ready_date = "2026-03-06";
  std::vector<Referral> queue = {r1, r2};  // queue order: R1 has waited longer
  const auto ctx = Context();
  core::PlanOptions greedy_only;
  greedy_only.greedy_only = true;
  const core::Plan greedy = core::MakePlan(ctx, queue, greedy_only);
  ASSERT_EQ(greedy.allocations.size(), 1u);
  EXPECT_EQ(BedOf(greedy.allocations[0]), "B1");
  ASSERT_EQ(greedy.unplaced.size(), 1u);
  EXPECT_EQ(greedy.unplaced[0].referral_id, "R2");

  const core::Plan plan = core::MakePlan(ctx, queue);
  EXPECT_EQ(plan.totals.method, "min_cost_flow");
  ASSERT_EQ(plan.allocations.size(), 2u);
  EXPECT_EQ(plan.allocations[0].referral_id, "R1");
  EXPECT_EQ(BedOf(plan.allocations[0]), "B2");
  EXPECT_EQ(plan.allocations[1].referral_id, "R2");
  EXPECT_EQ(BedOf(plan.allocations[1]), "B1");
  EXPECT_GT(plan.totals.objective, greedy.totals.objective);
  EXPECT_EQ(plan.totals.greedy_objective, greedy.totals.objective);
  EXPECT_EQ(plan.totals.greedy_placed, 1u);
  EXPECT_EQ(plan.totals.placed, 2u);
  EXPECT_EQ(plan.totals.delay_days_cleared, 5 + 4);
  EXPECT_NE(plan.allocations[0].reason.find("option 2 of 2"), std::string::npos)
      << plan.allocations[0].reason;
  EXPECT_NE(greedy.unplaced[0].reason.find("went to referrals ahead"), std::string::npos)
      << greedy.unplaced[0].reason;
}

TEST_F(MatchPlan, FillsVoidsFirstWhenThereAreMoreBedsThanPeople) {
  Put(Home("H1"));
  Bed block = MakeBed("VOID", "H1");
  block.contract = ContractType::kBlock;
  Put(block);
  Put(MakeBed("SPOT1", "H1"));
  Put(MakeBed("SPOT2", "H1"));
  const auto plan = core::MakePlan(Context(), {Ref("R1")});
  ASSERT_EQ(plan.allocations.size(), 1u);
  EXPECT_EQ(BedOf(plan.allocations[0]), "VOID");
  EXPECT_EQ(plan.totals.voids_filled, 1u);
  EXPECT_EQ(plan.totals.void_weekly_pence_filled, 70000);
  EXPECT_NE(plan.allocations[0].reason.find("void block bed"), std::string::npos);
}

TEST_F(MatchPlan, NoBedTwiceAndUnplacedWithReasons) {
  Put(Home("H1"));
  Put(MakeBed("B1", "H1"));
  Referral nursing = Ref("R3");
  nursing.category = BedCategory::kNursing;
  // Two rules stop the only bed for R4 (a nursing bed, and a hoist): no option misses by one rule only.
  Referral hoist = nursing;
  hoist.id = "R4";
  hoist.needs = {Need::kHoist};
  const auto plan = core::MakePlan(Context(), {Ref("R1"), Ref("R2"), nursing, hoist});
  ASSERT_EQ(plan.allocations.size(), 1u);
  EXPECT_EQ(plan.allocations[0].referral_id, "R1");
  ASSERT_EQ(plan.unplaced.size(), 3u);
  EXPECT_EQ(plan.unplaced[0].referral_id, "R2");
  EXPECT_EQ(plan.unplaced[0].reason, "All 1 suitable option(s) went to referrals ahead in the plan.");
  // In words, never rule codes: the nearest miss and what stops it, or the commonest reasons.
  EXPECT_EQ(plan.unplaced[1].referral_id, "R3");
  EXPECT_EQ(plan.unplaced[1].reason,
            "No option passes every rule. Nearest: Home H1, room B1: The bed is residential; the person "
            "needs nursing.");
  EXPECT_EQ(plan.unplaced[2].referral_id, "R4");
  EXPECT_EQ(plan.unplaced[2].reason,
            "No option passes every rule, and none misses by one rule only (most often: 1 not the kind of "
            "bed needed).");
}

TEST_F(MatchPlan, HomecareHoursAreNotUsedTwice) {
  Put(Agency("A1"));
  Put(Cap("A1-M", "A1", "Huntingdonshire", TimeBand::kMorning, 10));
  Put(Cap("A1-B", "A1", "Huntingdonshire", TimeBand::kBed, 10));
  // Each needs 7 h/week: 3.5 in each band. Two fit (7 of 10), the third does not.
  const auto plan = core::MakePlan(Context(), {HomecareRef("R1"), HomecareRef("R2"), HomecareRef("R3")});
  EXPECT_EQ(plan.totals.homecare, 2u);
  ASSERT_EQ(plan.unplaced.size(), 1u);
  EXPECT_EQ(plan.unplaced[0].referral_id, "R3");
  double morning = 0;
  for (const auto& a : plan.allocations) {
    for (const auto& u : a.candidate.bands) {
      if (u.band == TimeBand::kMorning) morning += u.hours;
    }
  }
  EXPECT_LE(morning, 10.0);
}

// One queue order for the board, `report queue` and the plan (referrals.h): hand backs first, by the day
// their care ends; then the longest past the date they were ready; then urgent before routine that day.
TEST_F(MatchPlan, TheQueueOrderPutsHandBacksByCareEndThenLongestWaitingThenUrgent) {
  Referral a = Ref("A");
  a.discharge_ready_date = "2026-03-01";
  Referral b = Ref("B");
  b.priority = Priority::kUrgent;
  b.discharge_ready_date = "2026-03-09";
  Referral b2 = Ref("B2");
  b2.discharge_ready_date = "2026-03-09";
  Referral c = Ref("C");  // a hand back whose care ends on 2026-03-20 (its DRD was long ago)
  c.priority = Priority::kHandBack;
  c.discharge_ready_date = "2025-06-01";
  Referral e = Ref("E");  // a hand back whose care ends sooner, on 2026-03-12
  e.priority = Priority::kHandBack;
  e.discharge_ready_date = "2025-12-01";
  Referral d = Ref("D");
  d.discharge_ready_date = "2026-02-20";
  for (const Referral* r : {&a, &b, &b2, &c, &d, &e}) Put(*r);
  for (auto [id, ends] :
       std::vector<std::pair<std::string, std::string>>{{"C", "2026-03-20"}, {"E", "2026-03-12"}}) {
    Handback h;
    h.id = "hb-" + id;
    h.referral_id = id;
    h.provider_id = "H1";
    h.notice_date = "2026-03-01";
    h.end_date = ends;
    h.reason = HandbackReason::kStaffing;
    Put(h);
  }
  auto q = core::LoadOpenQueue(store().db(), testing::kToday);
  ASSERT_TRUE(q.ok());
  std::vector<std::string> ids;
  for (const auto& r : *q) ids.push_back(r.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"E", "C", "D", "A", "B", "B2"}));
  auto entries = core::LoadQueue(store().db(), testing::kToday);
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->front().care_ends, "2026-03-12");
  EXPECT_EQ(entries->front().needed_from, "2026-03-13");
  EXPECT_EQ(entries->front().days_past, -3);
}

TEST_F(MatchPlan, TheOpenQueueSkipsPlacedAndCancelled) {
  for (auto [id, status] :
       std::vector<std::pair<std::string, ReferralStatus>>{{"N", ReferralStatus::kNew},
                                                           {"S", ReferralStatus::kSourcing},
                                                           {"O", ReferralStatus::kOffered},
                                                           {"A", ReferralStatus::kAccepted},
                                                           {"P", ReferralStatus::kPlaced},
                                                           {"C", ReferralStatus::kCancelled}}) {
    Referral r = Ref(id);
    r.status = status;
    Put(r);
  }
  auto q = core::LoadOpenQueue(store().db(), testing::kToday);
  ASSERT_TRUE(q.ok());
  std::set<std::string> ids;
  for (const auto& r : *q) ids.insert(r.id);
  EXPECT_EQ(ids, (std::set<std::string>{"A", "N", "O", "S"}));
}

}  // namespace
}  // namespace berth

// Acceptance on the county demo, in process, through the same core functions `berth match`, `plan`,
// `confirm` and `handback` call: after a bed is handed back with four weeks' notice, neither matching for
// any referral nor the plan offers that bed before the day after care ends, and the home that handed the
// person back is not proposed to them; a homecare hand back frees the agency's hours only after its end;
// an option GBP 17.50 a week over budget is ranked and flagged, not excluded.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "berth/core/demo.h"
#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/plan.h"
#include "berth/core/referrals.h"
#include "berth/core/supply_index.h"
#include "berth/core/workflow.h"
#include "berth/schema/repository.h"
#include "support/test_support.h"

namespace berth {
namespace {

constexpr const char* kToday = "2026-11-22";

class OnTheDemo : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    Secret recovery;
    auto s = Store::Create(tmp_.Sub("store"), Secret("demo passphrase"), &recovery, o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    auto geo = core::DefaultGeography();
    ASSERT_TRUE(geo.ok());
    geo_ = *geo;
    core::DemoOptions d;
    d.today = kToday;
    ASSERT_TRUE(core::BuildDemo(*store_, *geo_, d).ok());
    t_ = *core::WorkflowTime::At(std::string(kToday) + "T10:00:00Z");
  }
  core::MatchContext Context() {
    auto ix = core::SupplyIndex::Build(store_->db(), geo_);
    EXPECT_TRUE(ix.ok());
    index_ = std::move(ix).value();
    core::MatchContext ctx;
    ctx.index = &*index_;
    ctx.settings = &settings_;
    ctx.geo = geo_;
    ctx.today = kToday;
    ctx.now_iso = t_.now_iso;
    return ctx;
  }
  core::PlacementTerms ByPhone() {
    core::PlacementTerms terms;
    terms.start_date = kToday;
    terms.override_reason = "agreed by phone with the home";
    return terms;
  }

  testing::TempDir tmp_;
  std::unique_ptr<Store> store_;
  const core::Geography* geo_ = nullptr;
  core::MatchSettings settings_;
  std::optional<core::SupplyIndex> index_;
  core::WorkflowTime t_;
};

TEST_F(OnTheDemo, ABedHandedBackWithFourWeeksNoticeIsOfferedToNobodyBeforeTheDayAfterCareEnds) {
  // Place the first referral in the queue whose top option is a bed that suits someone else too.
  auto queue = core::LoadOpenQueue(store_->db(), kToday);
  ASSERT_TRUE(queue.ok());
  std::string person, bed, home;
  auto ctx = Context();
  std::map<std::string, std::set<std::string>> wanted_by;  // bed -> referrals it suits
  for (const Referral& r : *queue) {
    for (const core::Candidate& c : core::Match(ctx, r).candidates) {
      if (c.kind == core::CandidateKind::kBed) wanted_by[index_->beds()[c.bed].id].insert(r.id);
    }
  }
  for (const Referral& r : *queue) {
    const core::MatchResult m = core::Match(ctx, r);
    if (m.candidates.empty() || m.candidates[0].kind != core::CandidateKind::kBed) continue;
    const std::string top = index_->beds()[m.candidates[0].bed].id;
    if (wanted_by[top].size() < 2) continue;
    person = r.id;
    bed = top;
    home = index_->providers()[m.candidates[0].provider].id;
    break;
  }
  ASSERT_FALSE(person.empty());
  auto placement = core::ConfirmBed(*store_, person, bed, ByPhone(), t_);
  ASSERT_TRUE(placement.ok()) << placement.status().ToString();
  const std::string last_day = IsoDateFromDays(DaysFromIsoDate(kToday) + 28);
  const int64_t free_from = DaysFromIsoDate(kToday) + 29;
  ASSERT_TRUE(core::HandBack(*store_, *placement, HandbackReason::kNeedsChanged, last_day, t_).ok());

  // Every open referral, as of today and as of its own dates: the bed is a candidate only from the day
  // after care ends, and the handing-back home never for the person handed back.
  queue = core::LoadOpenQueue(store_->db(), kToday);
  ASSERT_TRUE(queue.ok());
  ctx = Context();
  int offered_later = 0;
  for (const Referral& r : *queue) {
    for (const std::string& needed :
         {std::string(kToday), IsoDateFromDays(free_from), r.discharge_ready_date}) {
      Referral as_of = r;
      as_of.discharge_ready_date = needed;
      const core::MatchResult m = core::Match(ctx, as_of);
      for (const core::Candidate& c : m.candidates) {
        if (r.id == person) {
          EXPECT_NE(index_->providers()[c.provider].id, home) << "the home that handed " << person << " back";
        }
        if (c.kind != core::CandidateKind::kBed || index_->beds()[c.bed].id != bed) continue;
        EXPECT_GE(c.available_day, free_from) << r.id << " needed " << needed;
        ++offered_later;
      }
    }
  }
  EXPECT_GT(offered_later, 0) << "the bed is supply again from the day after care ends";
  const core::Plan plan = core::MakePlan(ctx, *queue);
  for (const auto& a : plan.allocations) {
    if (a.candidate.kind == core::CandidateKind::kBed && index_->beds()[a.candidate.bed].id == bed) {
      EXPECT_GE(a.candidate.available_day, free_from) << a.referral_id;
    }
    if (a.referral_id == person) {
      EXPECT_NE(index_->providers()[a.candidate.provider].id, home);
    }
  }
  // The person handed back leads the queue's hand backs, needed from the day after care ends.
  auto entries = core::LoadQueue(store_->db(), kToday);
  ASSERT_TRUE(entries.ok());
  bool found = false;
  for (const auto& e : *entries) {
    if (e.referral.id != person) continue;
    found = true;
    EXPECT_EQ(e.care_ends, last_day);
    EXPECT_EQ(e.needed_from, IsoDateFromDays(free_from));
  }
  EXPECT_TRUE(found);
}

TEST_F(OnTheDemo, AHomecareHandBackFreesTheAgencysHoursOnlyAfterItsEnd) {
  auto queue = core::LoadOpenQueue(store_->db(), kToday);
  ASSERT_TRUE(queue.ok());
  auto ctx = Context();
  std::string person, agency;
  std::vector<std::string> rows;
  for (const Referral& r : *queue) {
    if (r.homecare.empty() || r.priority == Priority::kHandBack) continue;
    const core::MatchResult m = core::Match(ctx, r);
    for (const core::Candidate& c : m.candidates) {
      if (c.kind != core::CandidateKind::kHomecare) continue;
      person = r.id;
      agency = index_->providers()[c.provider].id;
      for (const auto& u : c.bands) rows.push_back(index_->capacity()[u.capacity].id);
      break;
    }
    if (!person.empty()) break;
  }
  ASSERT_FALSE(person.empty());
  auto hours_left = [&](const std::string& day) {
    Context();
    double sum = 0;
    for (const auto& id : rows)
      sum += index_->capacity()[index_->FindCapacity(id)].RemainingFrom(DaysFromIsoDate(day));
    return sum;
  };
  const std::string end = IsoDateFromDays(DaysFromIsoDate(kToday) + 10);
  const std::string after = IsoDateFromDays(DaysFromIsoDate(kToday) + 11);
  const double free_before = hours_left(kToday);
  auto placed = core::ConfirmHomecare(*store_, Context(), person, agency, ByPhone(), t_);
  ASSERT_TRUE(placed.ok()) << placed.status().ToString();
  const double free_placed = hours_left(kToday);
  EXPECT_LT(free_placed, free_before - 1e-9);
  auto hb = core::HandBackReferral(*store_, person, HandbackReason::kStaffing, end, t_);
  ASSERT_TRUE(hb.ok()) << hb.status().ToString();
  // Until the last day the hours stay taken; from the day after they are free again.
  EXPECT_DOUBLE_EQ(hours_left(kToday), free_placed);
  EXPECT_DOUBLE_EQ(hours_left(end), free_placed);
  EXPECT_DOUBLE_EQ(hours_left(after), free_before);
  // The person is needed from the day after, and the agency is not proposed to them again.
  Referral r = *LoadReferral(store_->db(), person);
  ctx = Context();
  const core::MatchResult m = core::Match(ctx, r);
  EXPECT_EQ(m.needs.needed_day, DaysFromIsoDate(after));
  for (const core::Candidate& c : m.candidates) EXPECT_NE(index_->providers()[c.provider].id, agency);
}

TEST_F(OnTheDemo, AnOptionSeventeenFiftyOverBudgetIsRankedAndFlaggedNotExcluded) {
  // A council-funded referral with a spot or framework bed among its options; its budget set GBP 17.50 a
  // week below that bed's rate, through the workflow's referral save.
  auto queue = core::LoadOpenQueue(store_->db(), kToday);
  ASSERT_TRUE(queue.ok());
  auto ctx = Context();
  std::string person, bed;
  int64_t rate = 0;
  for (const Referral& r : *queue) {
    if (r.funding != Funding::kLa) continue;
    for (const core::Candidate& c : core::Match(ctx, r).candidates) {
      if (c.kind != core::CandidateKind::kBed || index_->beds()[c.bed].contract == ContractType::kBlock)
        continue;
      person = r.id;
      bed = index_->beds()[c.bed].id;
      rate = c.weekly_cost_pence;
      break;
    }
    if (!person.empty()) break;
  }
  ASSERT_FALSE(person.empty());
  Referral r = *LoadReferral(store_->db(), person);
  r.weekly_budget_pence = rate - 1750;
  ASSERT_TRUE(core::SaveReferral(*store_, geo_, r, t_).ok());
  ctx = Context();
  const core::MatchResult m = core::Match(ctx, *LoadReferral(store_->db(), person));
  bool found = false;
  for (const core::Candidate& c : m.candidates) {
    if (c.kind != core::CandidateKind::kBed || index_->beds()[c.bed].id != bed) continue;
    found = true;
    EXPECT_EQ(c.over_budget_pence, 1750);
    EXPECT_LT(c.components.budget, 0);
  }
  EXPECT_TRUE(found) << "the bed GBP 17.50 over budget is still an option";
  for (const core::Exclusion& e : m.excluded) EXPECT_NE(e.rule, core::Rule::kOverBudget);
  const auto j = core::MatchJson(ctx, m, 0);
  bool flagged = false;
  for (const auto& c : j["candidates"]) {
    if (c.value("bed_id", "") == bed)
      flagged = c["over_budget"]["words"].get<std::string>().find("GBP 17.50 a week over") == 0;
  }
  EXPECT_TRUE(flagged);
}

}  // namespace
}  // namespace berth

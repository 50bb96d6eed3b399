// Each hard rule on a hand-made fixture: the candidate that breaks it is excluded with that rule's code
// (the first failing rule), the one that does not is ranked.
#include <gtest/gtest.h>

#include "match_fixture.h"

namespace berth {
namespace {

using testing::kToday;
using Strings = std::vector<std::string>;

class MatchRules : public testing::MatchFixture {};

TEST_F(MatchRules, CategoryMustFitTheNeed) {
  Put(Home("H1"));
  Put(MakeBed("B1", "H1"));
  Bed nursing = MakeBed("B2", "H1");
  nursing.category = BedCategory::kNursing;
  Put(nursing);
  const auto m = MatchOne(Ref("R1"));
  EXPECT_EQ(Ranking(m), (Strings{"bed:B1"}));
  EXPECT_EQ(RuleFor(m, "B2"), "category");
}

TEST_F(MatchRules, ShortStayMayUseAFlexibleBlockBedOnly) {
  Put(Home("H1"));
  Bed flex = MakeBed("B1", "H1");
  flex.contract = ContractType::kBlock;
  flex.flexibility_clause = true;
  Put(flex);
  Bed rigid = MakeBed("B2", "H1");
  rigid.contract = ContractType::kBlock;
  Put(rigid);
  Referral r = Ref("R1");
  r.pathway = Pathway::kP2;
  r.category = BedCategory::kShortStay;
  const auto m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"bed:B1"}));
  EXPECT_EQ(RuleFor(m, "B2"), "category");
}

TEST_F(MatchRules, RegistrationMustCoverNursing) {
  Provider p = Home("H1");
  p.registration = Registration::kResidential;
  Put(p);
  Bed b = MakeBed("B1", "H1");
  b.category = BedCategory::kNursing;
  Put(b);
  Put(Home("H2"));
  Bed ok = MakeBed("B2", "H2");
  ok.category = BedCategory::kNursing;
  Put(ok);
  Referral r = Ref("R1");
  r.category = BedCategory::kNursing;
  r.weekly_budget_pence = 100000;
  const auto m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"bed:B2"}));
  EXPECT_EQ(RuleFor(m, "B1"), "registration");
}

TEST_F(MatchRules, DementiaNeedsTheSpecialism) {
  Provider p = Home("H1");
  p.specialisms = {Specialism::kOlderPeople};
  Put(p);
  Put(Home("H2"));
  for (const char* id : {"B1", "B2"}) {
    Bed b = MakeBed(id, id == std::string("B1") ? "H1" : "H2");
    b.category = BedCategory::kResidentialDementia;
    Put(b);
  }
  Referral r = Ref("R1");
  r.category = BedCategory::kResidentialDementia;
  r.needs = {Need::kDementia};
  const auto m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"bed:B2"}));
  EXPECT_EQ(RuleFor(m, "B1"), "specialism");
}

TEST_F(MatchRules, ClosedToAdmissionsForThatCategoryOrAll) {
  Put(Home("H1"));
  Put(Home("H2"));
  Put(Home("H3"));
  Put(MakeBed("B1", "H1"));
  Put(MakeBed("B2", "H2"));
  Put(MakeBed("B3", "H3"));
  ProviderAdmissions residential;
  residential.provider_id = "H1";
  residential.category = BedCategory::kResidential;
  residential.status = AdmissionsStatus::kClosed;
  residential.reason = ClosureReason::kQuality;
  residential.id = AdmissionsId("H1", residential.category);
  Put(residential);
  ProviderAdmissions nursing_only = residential;
  nursing_only.provider_id = "H2";
  nursing_only.category = BedCategory::kNursing;
  nursing_only.id = AdmissionsId("H2", nursing_only.category);
  Put(nursing_only);
  ProviderAdmissions all;
  all.provider_id = "H3";
  all.status = AdmissionsStatus::kClosed;
  all.reason = ClosureReason::kOutbreak;
  all.id = AdmissionsId("H3", std::nullopt);
  Put(all);
  const auto m = MatchOne(Ref("R1"));
  EXPECT_EQ(Ranking(m), (Strings{"bed:B2"}));
  EXPECT_EQ(RuleFor(m, "B1"), "admissions_closed");
  EXPECT_EQ(RuleFor(m, "B3"), "admissions_closed");
}

TEST_F(MatchRules, InfectiousPersonNeedsAnIsolationRoom) {
  Put(Home("H1"));
  Put(MakeBed("B1", "H1"));
  Bed ensuite = MakeBed("B2", "H1");
  ensuite.features.en_suite = true;
  Put(ensuite);
  Referral r = Ref("R1");
  r.infection_status = InfectionStatus::kPositive;
  auto m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"bed:B2"}));
  EXPECT_EQ(RuleFor(m, "B1"), "infection");
  r.infection_status = InfectionStatus::kNegative;
  m = MatchOne(r);
  EXPECT_EQ(m.candidates.size(), 2u);
}

TEST_F(MatchRules, RoomFeatures) {
  Put(Home("H1"));
  Bed plain = MakeBed("PLAIN", "H1");
  Put(plain);
  Bed all = MakeBed("ALL", "H1");
  all.features.bariatric = all.features.hoist = all.features.ground_floor = all.features.en_suite = true;
  Put(all);
  const std::vector<std::pair<Need, std::string>> cases = {{Need::kBariatric, "room_bariatric"},
                                                           {Need::kHoist, "room_hoist"},
                                                           {Need::kGroundFloor, "room_ground_floor"},
                                                           {Need::kEnSuite, "room_en_suite"}};
  for (const auto& [need, code] : cases) {
    Referral r = Ref("R1");
    r.needs = {need};
    const auto m = MatchOne(r);
    EXPECT_EQ(Ranking(m), (Strings{"bed:ALL"})) << code;
    EXPECT_EQ(RuleFor(m, "PLAIN"), code);
  }
}

TEST_F(MatchRules, SingleSexUnitMatchesGender) {
  Put(Home("H1"));
  Bed male = MakeBed("MALE", "H1");
  male.features.single_sex_unit = SexPreference::kMale;
  Put(male);
  Bed female = MakeBed("FEMALE", "H1");
  female.features.single_sex_unit = SexPreference::kFemale;
  Put(female);
  Referral r = Ref("R1");
  r.gender = Gender::kFemale;
  auto m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"bed:FEMALE"}));
  EXPECT_EQ(RuleFor(m, "MALE"), "single_sex_unit");
  r.gender = Gender::kUnknown;  // cannot be confirmed: neither unit
  m = MatchOne(r);
  EXPECT_TRUE(m.candidates.empty());
}

TEST_F(MatchRules, AvailabilityByTheDateNeeded) {
  Put(Home("H1"));
  Bed held_other = MakeBed("HELD_OTHER", "H1");
  held_other.status = BedStatus::kHeld;
  held_other.held_for_referral_id = "SOMEONE_ELSE";
  held_other.held_until = "2026-03-11T12:00:00Z";
  Put(held_other);
  Bed lapsed = held_other;
  lapsed.id = lapsed.room = "LAPSED";
  lapsed.held_until = "2026-03-10T08:00:00Z";  // before 09:00 "now"
  Put(lapsed);
  Bed mine = held_other;
  mine.id = mine.room = "MINE";
  mine.held_for_referral_id = "R1";
  Put(mine);
  Bed ending = MakeBed("ENDING", "H1");
  ending.status = BedStatus::kOccupied;
  Put(ending);
  Placement ends;
  ends.id = "P1";
  ends.referral_id = "OTHER";
  ends.provider_id = "H1";
  ends.bed_id = "ENDING";
  ends.start_date = "2025-01-01";
  ends.end_date = "2026-03-11";  // the last day of care: free from the 12th
  ends.status = PlacementStatus::kActive;
  Put(ends);
  Bed occupied = MakeBed("OCCUPIED", "H1");
  occupied.status = BedStatus::kOccupied;
  Put(occupied);
  Bed broken = MakeBed("BROKEN", "H1");
  broken.status = BedStatus::kUnavailable;
  broken.unavailable_reason = UnavailableReason::kMaintenance;
  Put(broken);

  Referral r = Ref("R1");  // ready today
  auto m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"bed:LAPSED", "bed:MINE"}));
  EXPECT_EQ(RuleFor(m, "HELD_OTHER"), "not_available");
  EXPECT_EQ(RuleFor(m, "ENDING"), "not_available");
  EXPECT_EQ(RuleFor(m, "BROKEN"), "not_available");
  EXPECT_EQ(RuleFor(m, "OCCUPIED"), "");  // not supply at all: no known vacancy date
  // Ready on the 11th, the placement's last day of care: still taken.
  r.discharge_ready_date = "2026-03-11";
  EXPECT_EQ(RuleFor(MatchOne(r), "ENDING"), "not_available");
  // Ready on the 12th: the other hold has lapsed by then and the occupied bed's placement has ended.
  r.discharge_ready_date = "2026-03-12";
  m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"bed:ENDING", "bed:HELD_OTHER", "bed:LAPSED", "bed:MINE"}));
  EXPECT_EQ(RuleFor(m, "BROKEN"), "not_available");
}

TEST_F(MatchRules, FundingAndBudgetAreRouteAware) {
  Put(Home("H1"));
  Bed dear = MakeBed("DEAR", "H1");
  dear.weekly_rate_pence = 90000;
  Put(dear);
  Bed block = dear;
  block.id = block.room = "BLOCK";
  block.contract = ContractType::kBlock;
  Put(block);
  Referral r = Ref("R1");  // LA, GBP 800
  auto m = MatchOne(r);
  // The council's own block bed is already paid for; the spot bed is GBP 100 a week over: still an option,
  // ranked below and flagged with the amount.
  EXPECT_EQ(Ranking(m), (Strings{"bed:BLOCK", "bed:DEAR"}));
  EXPECT_EQ(m.candidates[0].over_budget_pence, 0);
  EXPECT_EQ(m.candidates[1].over_budget_pence, 10000);
  EXPECT_EQ(m.candidates[1].budget_limit_pence, 80000);
  r.funding = Funding::kChc;  // the NHS funds the whole cost
  m = MatchOne(r);
  EXPECT_EQ(m.candidates.size(), 2u);
  EXPECT_EQ(m.candidates[1].over_budget_pence, 0);
  r.funding = Funding::kSelfFunder;
  EXPECT_EQ(MatchOne(r).candidates[1].over_budget_pence, 0);
  r.funding = Funding::kTopUp;  // the budget includes the top-up
  r.weekly_budget_pence = 90000;
  EXPECT_EQ(MatchOne(r).candidates[1].over_budget_pence, 0);
  r.weekly_budget_pence = 0;  // no budget: the usual residential rate (GBP 700)
  r.funding = Funding::kLa;
  EXPECT_EQ(MatchOne(r).candidates[1].over_budget_pence, 20000);
  // With the council's hard ceiling on, over budget excludes again.
  settings_.budget_hard_limit = 1;
  EXPECT_EQ(RuleFor(MatchOne(r), "DEAR"), "over_budget");
  settings_.budget_hard_limit = 0;
  // FNC adds the nursing contribution for a nursing bed: 800 + 235.88 covers 1,000.
  Bed nursing = MakeBed("NURSING", "H1");
  nursing.category = BedCategory::kNursing;
  nursing.weekly_rate_pence = 100000;
  Put(nursing);
  r = Ref("R2");
  r.category = BedCategory::kNursing;
  r.funding = Funding::kFnc;
  m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"bed:NURSING"}));
  EXPECT_EQ(m.candidates[0].over_budget_pence, 0);
  r.funding = Funding::kLa;
  EXPECT_EQ(MatchOne(r).candidates[0].over_budget_pence, 20000);
}

// Budget is a soft rule: an option over budget ranks below an equal one within budget and above nothing,
// and says by how much it is over.
TEST_F(MatchRules, AnOptionOverBudgetRanksBelowAnEqualOneWithinBudgetAndAboveNothing) {
  Put(Home("H1"));
  Bed within = MakeBed("WITHIN", "H1");
  within.weekly_rate_pence = 80000;
  Put(within);
  Bed over = MakeBed("OVER", "H1");
  over.weekly_rate_pence = 81750;  // GBP 17.50 a week over the GBP 800 budget
  Put(over);
  Referral r = Ref("R1");
  auto m = MatchOne(r);
  ASSERT_EQ(Ranking(m), (Strings{"bed:WITHIN", "bed:OVER"}));
  const core::Candidate& c = m.candidates[1];
  EXPECT_EQ(c.over_budget_pence, 1750);
  EXPECT_LT(c.components.budget, 0);
  EXPECT_DOUBLE_EQ(c.components.budget, -4.38);  // 2 points per 1% over: 2.1875% -> 4.375, to 0.01
  const auto j = core::MatchJson(Context(), m, 0);
  EXPECT_EQ(j["candidates"][0]["over_budget"], nullptr);
  EXPECT_EQ(j["candidates"][1]["over_budget"]["weekly_amount_pence"], 1750);
  EXPECT_EQ(j["candidates"][1]["over_budget"]["words"], "GBP 17.50 a week over the GBP 800.00 budget");
  EXPECT_NE(core::MatchText(Context(), MatchOne(r), 0).find("OVER BUDGET: GBP 17.50 a week over"),
            std::string::npos);
  // Alone, it is still an option (better than none).
  ASSERT_TRUE(Remove(store(), "bed", "WITHIN").ok());
  m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"bed:OVER"}));
  // The plan may use it, and says so.
  const auto plan = core::MakePlan(Context(), {r});
  ASSERT_EQ(plan.allocations.size(), 1u);
  EXPECT_NE(plan.allocations[0].reason.find("GBP 17.50 a week over the GBP 800.00 budget (needs approval)"),
            std::string::npos)
      << plan.allocations[0].reason;
  EXPECT_EQ(plan.totals.over_budget, 1u);
  EXPECT_EQ(plan.totals.over_budget_weekly_pence, 1750);
}

TEST_F(MatchRules, MaximumDistanceFromThePreferredPlace) {
  Put(Home("NEAR", "PE29"));
  Put(Home("FAR", "PE1"));
  Provider nowhere = Home("NOWHERE");
  nowhere.latitude.reset();
  nowhere.longitude.reset();
  Put(nowhere);
  Put(MakeBed("B_NEAR", "NEAR"));
  Put(MakeBed("B_FAR", "FAR"));
  Put(MakeBed("B_NOWHERE", "NOWHERE"));
  const double km = core::DistanceKm(At("PE29"), At("PE1"));
  ASSERT_GT(km, 10);
  Referral r = Ref("R1");
  r.max_distance_km = km * 0.8;  // FAR is just beyond the limit: listed as too far
  auto m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"bed:B_NEAR"}));
  EXPECT_EQ(RuleFor(m, "B_FAR"), "too_far");
  EXPECT_EQ(RuleFor(m, "B_NOWHERE"), "distance_unknown");
  r.max_distance_km = 0;  // no limit: all three; the unplaceable one scores as if 60 km away, so last
  settings_.unknown_distance_km = 60;
  m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"bed:B_NEAR", "bed:B_FAR", "bed:B_NOWHERE"}));
}

TEST_F(MatchRules, TheFirstFailingRuleIsTheOneRecorded) {
  Provider p = Home("H1");
  p.registration = Registration::kResidential;
  Put(p);
  Bed b = MakeBed("B1", "H1");
  b.category = BedCategory::kNursing;  // wrong category, wrong registration, and too dear
  b.weekly_rate_pence = 200000;
  Put(b);
  const auto m = MatchOne(Ref("R1"));
  ASSERT_EQ(m.excluded.size(), 1u);
  EXPECT_EQ(RuleFor(m, "B1"), "category");
  core::MatchContext ctx = Context();
  const auto sentence = core::ReasonSentence(ctx, m.needs, m.excluded[0]);
  EXPECT_EQ(sentence, "The bed is nursing; the person needs residential.");
}

// --- homecare ---

class HomecareRules : public testing::MatchFixture {
 protected:
  void SetUp() override {
    MatchFixture::SetUp();
    Put(Agency("A1"));
    Put(Cap("A1-M", "A1", "Huntingdonshire", TimeBand::kMorning, 20));
    Put(Cap("A1-B", "A1", "Huntingdonshire", TimeBand::kBed, 20));
  }
};

TEST_F(HomecareRules, AnAgencyWithTheHoursIsACandidate) {
  const auto m = MatchOne(HomecareRef("R1"));
  ASSERT_EQ(Ranking(m), (Strings{"homecare:A1"}));
  const auto& c = m.candidates[0];
  ASSERT_EQ(c.bands.size(), 2u);
  // 2 calls x 30 min x 7 days = 7 hours a week, spread over the two bands.
  EXPECT_DOUBLE_EQ(c.bands[0].hours, 3.5);
  EXPECT_EQ(c.weekly_cost_pence, 7 * 1900);
  EXPECT_EQ(index_->zones()[m.needs.zone].name, "Huntingdonshire");
}

TEST_F(HomecareRules, ZoneOutsideThePersonsZone) {
  Put(Agency("A2", "PE29"));  // based nearby, but its hours are in Fenland
  Put(Cap("A2-M", "A2", "Fenland", TimeBand::kMorning, 20));
  Put(Cap("A2-B", "A2", "Fenland", TimeBand::kBed, 20));
  const auto m = MatchOne(HomecareRef("R1"));
  EXPECT_EQ(Ranking(m), (Strings{"homecare:A1"}));
  EXPECT_EQ(HomecareRuleFor(m, "A2"), "zone");
}

TEST_F(HomecareRules, EveryRequiredBandNeedsTheHours) {
  Put(Agency("A2"));
  Put(Cap("A2-M", "A2", "Huntingdonshire", TimeBand::kMorning, 20));
  Put(Cap("A2-B", "A2", "Huntingdonshire", TimeBand::kBed, 3));  // 3.5 needed
  auto m = MatchOne(HomecareRef("R1"));
  EXPECT_EQ(Ranking(m), (Strings{"homecare:A1"}));
  EXPECT_EQ(HomecareRuleFor(m, "A2"), "band_hours");
  // Hours already allocated count: 17 of A1's 20 bed-band hours taken leaves 3.
  Placement p;
  p.id = "P1";
  p.referral_id = "OTHER";
  p.provider_id = "A1";
  p.kind = PlacementKind::kHomecare;
  p.homecare_capacity_id = "A1-B";
  p.hours_per_week = 17;
  p.status = PlacementStatus::kActive;
  Put(p);
  m = MatchOne(HomecareRef("R1"));
  EXPECT_TRUE(m.candidates.empty());
  EXPECT_EQ(HomecareRuleFor(m, "A1"), "band_hours");
}

TEST_F(HomecareRules, DoubleUpNeedsTwoCarerCapacity) {
  Put(Agency("A2"));
  for (TimeBand b : {TimeBand::kMorning, TimeBand::kBed}) {
    HomecareCapacity c = Cap(std::string("A2-") + std::string(ToString(b)), "A2", "Huntingdonshire", b, 20);
    c.double_up = true;
    Put(c);
  }
  Referral r = HomecareRef("R1");
  r.homecare.double_up = true;
  const auto m = MatchOne(r);
  ASSERT_EQ(Ranking(m), (Strings{"homecare:A2"}));
  EXPECT_DOUBLE_EQ(m.candidates[0].bands[0].hours, 7.0);  // two carers: twice the hours
  EXPECT_EQ(HomecareRuleFor(m, "A1"), "double_up");
}

TEST_F(HomecareRules, CarerGenderIsHonoured) {
  Put(Agency("A2"));
  for (TimeBand b : {TimeBand::kMorning, TimeBand::kBed}) {
    HomecareCapacity c = Cap(std::string("A2-") + std::string(ToString(b)), "A2", "Huntingdonshire", b, 20);
    c.male_carers = false;
    Put(c);
  }
  Referral r = HomecareRef("R1");
  r.gender = Gender::kMale;
  r.homecare.carer_gender = SexPreference::kMale;
  const auto m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"homecare:A1"}));
  EXPECT_EQ(HomecareRuleFor(m, "A2"), "carer_gender");
}

TEST_F(HomecareRules, CapacityMustStartByTheDateNeeded) {
  Put(Agency("A2"));
  for (TimeBand b : {TimeBand::kMorning, TimeBand::kBed}) {
    HomecareCapacity c = Cap(std::string("A2-") + std::string(ToString(b)), "A2", "Huntingdonshire", b, 20);
    c.available_from = "2026-03-20";
    Put(c);
  }
  Referral r = HomecareRef("R1");
  auto m = MatchOne(r);
  EXPECT_EQ(HomecareRuleFor(m, "A2"), "homecare_start");
  r.discharge_ready_date = "2026-03-20";
  m = MatchOne(r);
  EXPECT_EQ(m.candidates.size(), 2u);
}

TEST_F(HomecareRules, BudgetAppliesToHomecareToo) {
  Referral r = HomecareRef("R1");
  r.weekly_budget_pence = 10000;  // GBP 100 < 7 h x GBP 19 = GBP 133
  auto m = MatchOne(r);
  ASSERT_FALSE(m.candidates.empty());
  for (const auto& c : m.candidates) EXPECT_EQ(c.over_budget_pence, 3300);
  settings_.budget_hard_limit = 1;
  m = MatchOne(r);
  EXPECT_TRUE(m.candidates.empty());
  EXPECT_EQ(HomecareRuleFor(m, "A1"), "over_budget");
}

}  // namespace
}  // namespace berth

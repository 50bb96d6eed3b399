// Each soft-score component on a hand-made fixture, with the expected values and rankings worked out by
// hand from the default weights (void 20, delay 1/day, distance 0.5/km, cost 0.3 per 1% over the usual
// rate, CQC 10 for Outstanding, continuity 15); and the weights as settings in the store.
#include <gtest/gtest.h>

#include "match_fixture.h"

namespace berth {
namespace {

using Strings = std::vector<std::string>;

class MatchScoring : public testing::MatchFixture {
 protected:
  const core::Candidate& Of(const core::MatchResult& m, const std::string& bed) {
    for (const auto& c : m.candidates) {
      if (c.kind == core::CandidateKind::kBed && index_->beds()[c.bed].id == bed) return c;
    }
    ADD_FAILURE() << "no candidate " << bed;
    return m.candidates.front();
  }
};

TEST_F(MatchScoring, AVacantBlockBedRanksAboveAnOtherwiseIdenticalSpotBed) {
  Put(Home("H1"));
  Bed spot = MakeBed("A_SPOT", "H1");  // sorts first by id, so only the score can put BLOCK ahead
  Put(spot);
  Bed block = spot;
  block.id = block.room = "B_BLOCK";
  block.contract = ContractType::kBlock;
  block.tier = BlockTier::kT1;
  Put(block);
  const auto m = MatchOne(Ref("R1"));
  EXPECT_EQ(Ranking(m), (Strings{"bed:B_BLOCK", "bed:A_SPOT"}));
  // Void 5 days (since 2026-03-05): 20 x (1 + 5/90) = 21.11; the spot bed gets no void points.
  EXPECT_DOUBLE_EQ(Of(m, "B_BLOCK").components.void_fill, 21.11);
  EXPECT_DOUBLE_EQ(Of(m, "A_SPOT").components.void_fill, 0);
  EXPECT_TRUE(Of(m, "B_BLOCK").is_void);
}

TEST_F(MatchScoring, ALongerVoidRanksHigherUpToTheCap) {
  Put(Home("H1"));
  Bed young = MakeBed("YOUNG", "H1");
  young.contract = ContractType::kBlock;
  young.status_since = "2026-03-01";  // 9 days
  Put(young);
  Bed old = young;
  old.id = old.room = "OLD";
  old.status_since = "2026-01-19";  // 50 days
  Put(old);
  Bed ancient = young;
  ancient.id = ancient.room = "ANCIENT";
  ancient.status_since = "2025-01-01";  // capped at 90 days
  Put(ancient);
  const auto m = MatchOne(Ref("R1"));
  EXPECT_EQ(Ranking(m), (Strings{"bed:ANCIENT", "bed:OLD", "bed:YOUNG"}));
  EXPECT_DOUBLE_EQ(Of(m, "YOUNG").components.void_fill, 22.0);    // 20 x (1 + 9/90)
  EXPECT_DOUBLE_EQ(Of(m, "OLD").components.void_fill, 31.11);     // 20 x (1 + 50/90)
  EXPECT_DOUBLE_EQ(Of(m, "ANCIENT").components.void_fill, 40.0);  // 20 x 2
}

TEST_F(MatchScoring, DaysPastTheDischargeReadyDate) {
  Put(Home("H1"));
  Put(MakeBed("B1", "H1"));
  Referral r = Ref("R1");
  r.discharge_ready_date = "2026-03-04";  // six days ago
  auto m = MatchOne(r);
  EXPECT_DOUBLE_EQ(m.candidates.at(0).components.delay, 6.0);
  EXPECT_EQ(m.needs.days_past, 6);
  r.discharge_ready_date = "2026-03-15";  // not yet ready
  m = MatchOne(r);
  EXPECT_DOUBLE_EQ(m.candidates.at(0).components.delay, 0.0);
}

TEST_F(MatchScoring, NearerRanksHigher) {
  Put(Home("NEAR", "PE29"));
  Put(Home("FAR", "PE1"));
  Put(MakeBed("B_FAR", "FAR"));
  Put(MakeBed("B_NEAR", "NEAR"));
  Referral r = Ref("R1");
  r.max_distance_km = 60;
  const auto m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"bed:B_NEAR", "bed:B_FAR"}));
  const double km = core::DistanceKm(At("PE29"), At("PE1"));
  EXPECT_DOUBLE_EQ(Of(m, "B_NEAR").components.distance, 0.0);
  EXPECT_NEAR(Of(m, "B_FAR").components.distance, -0.5 * km, 0.01);
}

TEST_F(MatchScoring, CostAgainstTheUsualRate) {
  Put(Home("H1"));
  Bed usual = MakeBed("USUAL", "H1");  // GBP 700 = the usual residential rate
  Put(usual);
  Bed dearer = usual;
  dearer.id = dearer.room = "DEARER";
  dearer.weekly_rate_pence = 77000;  // 10% over
  Put(dearer);
  Bed cheaper = usual;
  cheaper.id = cheaper.room = "CHEAPER";
  cheaper.weekly_rate_pence = 63000;  // 10% under
  Put(cheaper);
  const auto m = MatchOne(Ref("R1"));
  EXPECT_EQ(Ranking(m), (Strings{"bed:CHEAPER", "bed:USUAL", "bed:DEARER"}));
  EXPECT_DOUBLE_EQ(Of(m, "DEARER").components.cost, -3.0);
  EXPECT_DOUBLE_EQ(Of(m, "USUAL").components.cost, 0.0);
  EXPECT_DOUBLE_EQ(Of(m, "CHEAPER").components.cost, 3.0);
}

TEST_F(MatchScoring, CqcRating) {
  const std::vector<std::pair<std::string, CqcRating>> homes = {{"H_RI", CqcRating::kRequiresImprovement},
                                                                {"H_OUT", CqcRating::kOutstanding},
                                                                {"H_NONE", CqcRating::kUnrated},
                                                                {"H_INAD", CqcRating::kInadequate},
                                                                {"H_GOOD", CqcRating::kGood}};
  for (const auto& [id, rating] : homes) {
    Provider p = Home(id);
    p.rating = rating;
    Put(p);
    Put(MakeBed("B" + id, id));
  }
  const auto m = MatchOne(Ref("R1"));
  EXPECT_EQ(Ranking(m), (Strings{"bed:BH_OUT", "bed:BH_GOOD", "bed:BH_NONE", "bed:BH_RI", "bed:BH_INAD"}));
  EXPECT_DOUBLE_EQ(Of(m, "BH_OUT").components.cqc, 10.0);
  EXPECT_DOUBLE_EQ(Of(m, "BH_GOOD").components.cqc, 7.0);
  EXPECT_DOUBLE_EQ(Of(m, "BH_INAD").components.cqc, -10.0);
}

TEST_F(MatchScoring, ContinuityWithAPreviousProvider) {
  Put(Home("A_NEW"));
  Put(Home("B_KNOWN"));
  Put(MakeBed("B1", "A_NEW"));
  Put(MakeBed("B2", "B_KNOWN"));
  Placement before;
  before.id = "P-old";
  before.referral_id = "R1";
  before.provider_id = "B_KNOWN";
  before.kind = PlacementKind::kCareHome;
  before.start_date = "2025-06-01";
  before.end_date = "2025-06-20";
  before.status = PlacementStatus::kEnded;  // respite there last summer
  Put(before);
  const auto m = MatchOne(Ref("R1"));
  EXPECT_EQ(Ranking(m), (Strings{"bed:B2", "bed:B1"}));
  EXPECT_DOUBLE_EQ(Of(m, "B2").components.continuity, 15.0);
  EXPECT_DOUBLE_EQ(Of(m, "B1").components.continuity, 0.0);
}

TEST_F(MatchScoring, AHandRankedMixture) {
  // Worked out by hand with the default weights, person at PE29, ready 2 days ago (delay +2 for all):
  //   V  block void 30 days, GBP 720 (+2.86% -> -0.86), Good        : 26.67 + 2 - 0.86 + 7 = 34.81
  //   C  spot GBP 630 (-10% -> +3), Outstanding                      : 2 + 3 + 10           = 15.00
  //   S  spot GBP 700, Good                                          : 2 + 7                = 9.00
  //   R  spot GBP 700, Requires improvement                          : 2 + 1                = 3.00
  Provider good = Home("HG");
  Put(good);
  Provider out = Home("HO");
  out.rating = CqcRating::kOutstanding;
  Put(out);
  Provider ri = Home("HR");
  ri.rating = CqcRating::kRequiresImprovement;
  Put(ri);
  Bed v = MakeBed("V", "HG");
  v.contract = ContractType::kBlock;
  v.weekly_rate_pence = 72000;
  v.status_since = "2026-02-08";
  Put(v);
  Bed c = MakeBed("C", "HO");
  c.weekly_rate_pence = 63000;
  Put(c);
  Put(MakeBed("S", "HG"));
  Put(MakeBed("R", "HR"));
  Referral r = Ref("R1");
  r.discharge_ready_date = "2026-03-08";
  const auto m = MatchOne(r);
  EXPECT_EQ(Ranking(m), (Strings{"bed:V", "bed:C", "bed:S", "bed:R"}));
  EXPECT_DOUBLE_EQ(Of(m, "V").score, 34.81);
  EXPECT_DOUBLE_EQ(Of(m, "C").score, 15.0);
  EXPECT_DOUBLE_EQ(Of(m, "S").score, 9.0);
  EXPECT_DOUBLE_EQ(Of(m, "R").score, 3.0);
}

TEST_F(MatchScoring, WeightsAreSettingsInTheStore) {
  Put(Home("NEAR", "PE29"));
  Put(Home("FAR", "PE1"));
  Bed dear_near = MakeBed("DEAR_NEAR", "NEAR");
  dear_near.weekly_rate_pence = 77000;
  dear_near.contract = ContractType::kFramework;
  Put(dear_near);
  Bed cheap_far = MakeBed("CHEAP_FAR", "FAR");
  cheap_far.weekly_rate_pence = 56000;
  Put(cheap_far);
  Referral r = Ref("R1");
  r.max_distance_km = 60;
  EXPECT_EQ(Ranking(MatchOne(r)), (Strings{"bed:DEAR_NEAR", "bed:CHEAP_FAR"}));
  // Brokers decide money matters more than miles.
  ASSERT_TRUE(core::SetMatchSetting(store(), "cost", "2").ok());
  ASSERT_TRUE(core::SetMatchSetting(store(), "match.weight.distance", "0.1").ok());
  auto loaded = core::LoadMatchSettings(store());
  ASSERT_TRUE(loaded.ok());
  EXPECT_DOUBLE_EQ(loaded->w_cost, 2.0);
  EXPECT_DOUBLE_EQ(loaded->w_distance, 0.1);
  settings_ = *loaded;
  EXPECT_EQ(Ranking(MatchOne(r)), (Strings{"bed:CHEAP_FAR", "bed:DEAR_NEAR"}));
  auto stored = store().GetSetting("match.weight.cost");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ(**stored, "2");
}

TEST_F(MatchScoring, BadSettingsAreRefusedAndNothingIsWritten) {
  auto count = [&] { return *store().db().QueryInt("SELECT count(*) FROM setting"); };
  const int64_t before = count();
  EXPECT_EQ(core::SetMatchSetting(store(), "speed", "3").code(), Code::kBadInput);
  EXPECT_EQ(core::SetMatchSetting(store(), "void", "lots").code(), Code::kBadInput);
  EXPECT_EQ(core::SetMatchSetting(store(), "void", "-1").code(), Code::kBadInput);
  EXPECT_EQ(core::SetMatchSetting(store(), "void", "nan").code(), Code::kBadInput);
  EXPECT_EQ(count(), before);
  // The store itself refuses it (the settings schema), and a hold of a year too.
  EXPECT_EQ(store().SetSetting("match.weight.void", "twenty").code(), Code::kBadInput);
  EXPECT_EQ(core::SetMatchSetting(store(), "hold_hours", "8760").code(), Code::kBadInput);
  EXPECT_EQ(count(), before);
  // A bad value stored by other means (a store written before the schema, an edit outside Berth) is
  // reported, not ignored.
  ASSERT_TRUE(store().SetSetting("match.weight.void", "25").ok());
  ASSERT_TRUE(store().db().Exec("UPDATE setting SET value = 'twenty' WHERE id = 'match.weight.void'").ok());
  const auto loaded = core::LoadMatchSettings(store());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Code::kBadInput);
  EXPECT_NE(loaded.status().message().find("match.weight.void"), std::string::npos);
}

TEST_F(MatchScoring, HoldHoursDefaultIsFour) {
  const auto s = core::LoadMatchSettings(store());
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->hold_hours, 4.0);
}

}  // namespace
}  // namespace berth

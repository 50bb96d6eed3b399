// Near misses: for a referral with few or no options, the excluded options that one rule alone stops, the
// rule, and how far each is from passing it, nearest first; in `match --json` (`near_misses`), the text,
// and the plan's unplaced list, in words.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>

#include "match_fixture.h"

namespace berth {
namespace {

class NearMiss : public testing::MatchFixture {
 protected:
  // The near miss for `id` (a bed id or a provider id), if any.
  const core::NearMiss* For(const std::vector<core::NearMiss>& v, const std::string& id) const {
    for (const auto& x : v) {
      const auto& e = x.exclusion;
      if ((e.bed != core::kNoSlot && index_->beds()[e.bed].id == id) ||
          index_->providers()[e.provider].id == id)
        return &x;
    }
    return nullptr;
  }
};

TEST_F(NearMiss, EachMeasuredRuleSaysByHowMuch) {
  // Too far: a home in CB23, about 17 km from PE29, beyond a 15 km limit.
  Put(Home("FAR", "CB23"));
  Put(MakeBed("FAR-1", "FAR"));
  // Not free in time: occupied by a placement whose last day is 2026-03-14 (free from the 15th).
  Put(Home("BUSY"));
  Bed busy = MakeBed("BUSY-1", "BUSY");
  busy.status = BedStatus::kOccupied;
  busy.status_since = "2026-01-01";
  Put(busy);
  Placement p;
  p.id = "P1";
  p.referral_id = "SOMEONE";
  p.provider_id = "BUSY";
  p.bed_id = "BUSY-1";
  p.start_date = "2026-01-01";
  p.end_date = "2026-03-14";
  Put(p);
  // Closed to admissions: a measure-less rule.
  Put(Home("SHUT"));
  Put(MakeBed("SHUT-1", "SHUT"));
  ProviderAdmissions a;
  a.provider_id = "SHUT";
  a.id = AdmissionsId("SHUT", std::nullopt);
  a.status = AdmissionsStatus::kClosed;
  a.reason = ClosureReason::kOutbreak;
  Put(a);
  // Two rules at once (a nursing bed, far away): no near miss.
  Put(Home("FARNURSE", "CB23"));
  Bed nursing = MakeBed("FARNURSE-1", "FARNURSE");
  nursing.category = BedCategory::kNursing;
  Put(nursing);
  // Over a hard budget ceiling by GBP 17.50.
  Put(Home("DEAR"));
  Bed dear = MakeBed("DEAR-1", "DEAR");
  dear.weekly_rate_pence = 81750;
  Put(dear);
  settings_.budget_hard_limit = 1;

  Referral r = Ref("R1");
  r.max_distance_km = 15;
  auto ctx = Context();
  const core::MatchResult m = core::Match(ctx, r);
  ASSERT_TRUE(m.candidates.empty());
  const auto near = core::NearMisses(ctx, m, 10);
  const auto* far = For(near, "FAR-1");
  ASSERT_NE(far, nullptr);
  EXPECT_EQ(core::RuleCode(far->exclusion.rule), "too_far");
  const double km = core::DistanceKm(At("PE29"), At("CB23"));
  EXPECT_NEAR(far->amount, km - 15, 1e-9);
  EXPECT_EQ(far->unit, "km");
  EXPECT_EQ(far->words, fmt::format("{:.1f} km beyond the 15 km limit", km - 15));
  const auto* later = For(near, "BUSY-1");
  ASSERT_NE(later, nullptr);
  EXPECT_EQ(core::RuleCode(later->exclusion.rule), "not_available");
  EXPECT_EQ(later->amount, 5);  // needed on the 10th, free from the 15th
  EXPECT_EQ(later->words, "free from 2026-03-15, 5 day(s) after the date needed (2026-03-10)");
  const auto* over = For(near, "DEAR-1");
  ASSERT_NE(over, nullptr);
  EXPECT_EQ(core::RuleCode(over->exclusion.rule), "over_budget");
  EXPECT_DOUBLE_EQ(over->amount, 17.5);
  EXPECT_EQ(over->words, "GBP 17.50 a week over the GBP 800.00 budget ceiling");
  const auto* shut = For(near, "SHUT-1");
  ASSERT_NE(shut, nullptr);
  EXPECT_EQ(core::RuleCode(shut->exclusion.rule), "admissions_closed");
  EXPECT_EQ(shut->amount, 0);
  EXPECT_EQ(For(near, "FARNURSE-1"), nullptr) << "two rules stop it: not a near miss";
  // Nearest first: the measured ones (by how far) before a closure.
  EXPECT_EQ(core::RuleCode(near.back().exclusion.rule), "admissions_closed");
  // In the JSON, with rule and amount.
  const auto j = core::MatchJson(ctx, m, 0);
  ASSERT_EQ(j["near_misses"].size(), 4u);
  bool seen = false;
  for (const auto& x : j["near_misses"]) {
    if (x["rule"] != "over_budget") continue;
    seen = true;
    EXPECT_EQ(x["amount"], 17.5);
    EXPECT_EQ(x["unit"], "GBP a week");
    EXPECT_EQ(x["bed_id"], "DEAR-1");
  }
  EXPECT_TRUE(seen);
  // The plan's unplaced list says it in words, not codes.
  const auto plan = core::MakePlan(ctx, {r});
  ASSERT_EQ(plan.unplaced.size(), 1u);
  EXPECT_NE(plan.unplaced[0].reason.find("Nearest: "), std::string::npos) << plan.unplaced[0].reason;
  EXPECT_NE(plan.unplaced[0].reason.find("free from 2026-03-15"), std::string::npos)
      << plan.unplaced[0].reason;
  EXPECT_EQ(plan.unplaced[0].reason.find("not_available"), std::string::npos) << plan.unplaced[0].reason;
}

TEST_F(NearMiss, HomecareSaysWhichBandIsShortAndWhenHoursStart) {
  Put(Agency("SHORT"));
  Put(Cap("SHORT-M", "SHORT", "Huntingdonshire", TimeBand::kMorning, 3));  // 3.5 needed
  Put(Cap("SHORT-B", "SHORT", "Huntingdonshire", TimeBand::kBed, 20));
  Put(Agency("LATE"));
  HomecareCapacity m = Cap("LATE-M", "LATE", "Huntingdonshire", TimeBand::kMorning, 20);
  m.available_from = "2026-03-17";
  Put(m);
  HomecareCapacity b = Cap("LATE-B", "LATE", "Huntingdonshire", TimeBand::kBed, 20);
  b.available_from = "2026-03-12";
  Put(b);
  auto ctx = Context();
  const core::MatchResult res = core::Match(ctx, HomecareRef("R1"));
  ASSERT_TRUE(res.candidates.empty());
  const auto near = core::NearMisses(ctx, res);
  const auto* shortx = For(near, "SHORT");
  ASSERT_NE(shortx, nullptr);
  EXPECT_EQ(core::RuleCode(shortx->exclusion.rule), "band_hours");
  EXPECT_DOUBLE_EQ(shortx->amount, 0.5);
  EXPECT_EQ(shortx->words, "morning band 0.50 hours a week short");
  const auto* late = For(near, "LATE");
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(core::RuleCode(late->exclusion.rule), "homecare_start");
  EXPECT_EQ(late->amount, 7);
  // Enough options: no near misses are listed.
  Put(Agency("OK"));
  Put(Cap("OK-M", "OK", "Huntingdonshire", TimeBand::kMorning, 20));
  Put(Cap("OK-B", "OK", "Huntingdonshire", TimeBand::kBed, 20));
  Put(Agency("OK2"));
  Put(Cap("OK2-M", "OK2", "Huntingdonshire", TimeBand::kMorning, 20));
  Put(Cap("OK2-B", "OK2", "Huntingdonshire", TimeBand::kBed, 20));
  Put(Agency("OK3"));
  Put(Cap("OK3-M", "OK3", "Huntingdonshire", TimeBand::kMorning, 20));
  Put(Cap("OK3-B", "OK3", "Huntingdonshire", TimeBand::kBed, 20));
  ctx = Context();
  const core::MatchResult enough = core::Match(ctx, HomecareRef("R1"));
  EXPECT_EQ(enough.candidates.size(), 3u);
  EXPECT_TRUE(core::MatchJson(ctx, enough, 0)["near_misses"].empty());
}

// Every other hard rule: an option that this rule alone stops is a near miss naming the rule, with no amount
// (nothing to measure) and the exclusion's own sentence as its words. Each case has its own provider and
// referral, so earlier cases' supply cannot stand in for it.
TEST_F(NearMiss, EveryUnmeasuredRuleIsNamedWithItsReason) {
  struct Case {
    std::string rule;
    std::function<void(Provider&, Bed&, Referral&)> make;
  };
  const std::vector<Case> cases = {
      {"category", [](Provider&, Bed& b, Referral&) { b.category = BedCategory::kNursing; }},
      {"registration",
       [](Provider& p, Bed& b, Referral& r) {
         p.registration = Registration::kResidential;
         b.category = BedCategory::kNursing;
         r.category = BedCategory::kNursing;
         r.weekly_budget_pence = 100000;
       }},
      {"specialism",
       [](Provider& p, Bed& b, Referral& r) {
         p.specialisms = {Specialism::kOlderPeople};
         b.category = BedCategory::kResidentialDementia;
         r.category = BedCategory::kResidentialDementia;
         r.needs = {Need::kDementia};
       }},
      {"infection", [](Provider&, Bed&, Referral& r) { r.infection_status = InfectionStatus::kPositive; }},
      {"room_bariatric", [](Provider&, Bed&, Referral& r) { r.needs = {Need::kBariatric}; }},
      {"room_hoist", [](Provider&, Bed&, Referral& r) { r.needs = {Need::kHoist}; }},
      {"room_ground_floor", [](Provider&, Bed&, Referral& r) { r.needs = {Need::kGroundFloor}; }},
      {"room_en_suite", [](Provider&, Bed&, Referral& r) { r.needs = {Need::kEnSuite}; }},
      {"single_sex_unit",
       [](Provider&, Bed& b, Referral& r) {
         b.features.single_sex_unit = SexPreference::kFemale;
         r.gender = Gender::kMale;
       }},
      {"distance_unknown",
       [](Provider& p, Bed&, Referral&) {
         p.latitude.reset();
         p.longitude.reset();
       }},
      {"declined", [](Provider&, Bed&, Referral&) {}},
      {"handed_back", [](Provider&, Bed&, Referral&) {}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const std::string home = fmt::format("H{}", i), bed = home + "-1", person = fmt::format("R{}", i);
    Provider p = Home(home);
    Bed b = MakeBed(bed, home);
    Referral r = Ref(person);
    c.make(p, b, r);
    Put(p);
    Put(b);
    if (c.rule == "declined") {
      Offer o;
      o.id = "offer-" + person;
      o.referral_id = person;
      o.provider_id = home;
      o.sent_at = "2026-03-08T09:00:00Z";
      o.status = OfferStatus::kDeclined;
      o.decline_reason = DeclineReason::kNoCapacity;
      Put(o);
    }
    if (c.rule == "handed_back") {
      Handback h;
      h.id = "hb-" + person;
      h.referral_id = person;
      h.provider_id = home;
      h.notice_date = "2026-03-01";
      h.end_date = "2026-03-09";
      h.reason = HandbackReason::kStaffing;
      Put(h);
    }
    auto ctx = Context();
    ctx.keep_exclusions = true;
    const core::MatchResult m = core::Match(ctx, r);
    EXPECT_EQ(RuleFor(m, bed), c.rule) << "the case's bed is stopped by its own rule";
    const auto near = core::NearMisses(ctx, m, 100);
    const auto* x = For(near, bed);
    ASSERT_NE(x, nullptr) << c.rule << ": one rule alone stops it, so it is a near miss";
    EXPECT_EQ(core::RuleCode(x->exclusion.rule), c.rule);
    EXPECT_EQ(x->amount, 0) << c.rule;
    EXPECT_EQ(x->unit, "") << c.rule;
    EXPECT_EQ(x->words, core::ReasonSentence(ctx, m.needs, x->exclusion)) << c.rule;
    EXPECT_FALSE(x->words.empty()) << c.rule;
  }
}

TEST_F(NearMiss, HomecareCarersAndZones) {
  // Double-up and carer gender each stop an agency alone; an agency whose hours are in another zone is no
  // near miss at all (the person cannot move zone).
  Put(Agency("SINGLE"));
  Put(Cap("SINGLE-M", "SINGLE", "Huntingdonshire", TimeBand::kMorning, 20));
  Put(Cap("SINGLE-B", "SINGLE", "Huntingdonshire", TimeBand::kBed, 20));
  Put(Agency("WOMEN"));
  for (TimeBand band : {TimeBand::kMorning, TimeBand::kBed}) {
    HomecareCapacity c = Cap(fmt::format("WOMEN-{}", ToString(band)), "WOMEN", "Huntingdonshire", band, 20);
    c.double_up = true;
    c.male_carers = false;
    Put(c);
  }
  Put(Agency("ELSEWHERE"));
  Put(Cap("ELSEWHERE-M", "ELSEWHERE", "Fenland", TimeBand::kMorning, 20));
  Put(Cap("ELSEWHERE-B", "ELSEWHERE", "Fenland", TimeBand::kBed, 20));
  Referral r = HomecareRef("R1");
  r.gender = Gender::kMale;
  r.homecare.double_up = true;
  r.homecare.carer_gender = SexPreference::kMale;
  auto ctx = Context();
  ctx.keep_exclusions = true;
  const core::MatchResult m = core::Match(ctx, r);
  ASSERT_TRUE(m.candidates.empty());
  EXPECT_EQ(HomecareRuleFor(m, "ELSEWHERE"), "zone");
  const auto near = core::NearMisses(ctx, m, 100);
  ASSERT_EQ(near.size(), 2u);
  const auto* single = For(near, "SINGLE");
  ASSERT_NE(single, nullptr);
  EXPECT_EQ(core::RuleCode(single->exclusion.rule), "double_up");
  EXPECT_EQ(single->words, core::ReasonSentence(ctx, m.needs, single->exclusion));
  const auto* women = For(near, "WOMEN");
  ASSERT_NE(women, nullptr);
  EXPECT_EQ(core::RuleCode(women->exclusion.rule), "carer_gender");
  EXPECT_EQ(For(near, "ELSEWHERE"), nullptr);
}

}  // namespace
}  // namespace berth

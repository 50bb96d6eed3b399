// Seeded property tests on random stores: no candidate ever breaks a hard rule (checked by the
// independent oracle in match_oracle.h), ranking is deterministic and the same from an index kept up to
// date one record at a time as from a fresh build, and the plan never double-allocates and is at least
// as good as greedy first-come.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "berth/core/referrals.h"
#include "match_fixture.h"
#include "match_oracle.h"

namespace berth {
namespace {

// Each exclusion as "kind provider bed zone band rule", by row ids, sorted: two indexes built differently
// number their slots differently but must exclude the same options for the same reasons.
std::vector<std::string> ExclusionKeys(const core::SupplyIndex& ix, const core::MatchResult& m) {
  std::vector<std::string> keys;
  for (const core::Exclusion& e : m.excluded) {
    const std::string provider = e.provider == core::kNoSlot ? "-" : ix.providers()[e.provider].id;
    const std::string bed = e.bed == core::kNoSlot ? "-" : ix.beds()[e.bed].id;
    const std::string zone = e.zone == core::kNoSlot ? "-" : ix.zones()[e.zone].name;
    keys.push_back(fmt::format("{} {} {} {} {} {}", core::KindCode(e.kind), provider, bed, zone,
                               static_cast<int>(e.band), core::RuleCode(e.rule)));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

class MatchProperty : public testing::MatchFixture, public ::testing::WithParamInterface<uint32_t> {
 protected:
  std::mt19937 rng;
  testing::Supply supply;
  std::vector<Referral> referrals;
  std::vector<std::string> order;  // "table/id" in the order the records were written

  int Pick(int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
  std::string Date(int offset) { return IsoDateFromDays(DaysFromIsoDate(testing::kToday) + offset); }

  template <class T>
  void Keep(const T& r, const char* table) {
    Put(r);
    order.push_back(std::string(table) + "/" + r.id);
  }

  void Generate() {
    static const std::vector<std::string> outcodes = {"PE29", "PE1", "CB2",  "CB1", "PE27",
                                                      "PE13", "CB6", "PE19", "PE15"};
    static const std::vector<std::string> zones = {"Huntingdonshire",     "Fenland",
                                                   "Cambridge",           "Peterborough",
                                                   "East Cambridgeshire", "South Cambridgeshire"};
    const int homes = 6 + Pick(6), agencies = 3 + Pick(4);
    for (int h = 0; h < homes; ++h) {
      Provider p = Home("H" + std::to_string(h),
                        outcodes[static_cast<size_t>(Pick(static_cast<int>(outcodes.size())))]);
      p.registration = Chance(0.1) ? Registration::kUnknown : static_cast<Registration>(1 + Pick(3));
      p.specialisms.clear();
      for (size_t s = 0; s < EnumCount<Specialism>(); ++s) {
        if (Chance(s == 0 ? 0.6 : 0.3)) p.specialisms.push_back(static_cast<Specialism>(s));
      }
      p.rating = static_cast<CqcRating>(Pick(5));
      if (Chance(0.1)) {
        p.latitude.reset();
        p.longitude.reset();
      }
      Keep(p, "provider");
      supply.providers[p.id] = p;
      if (Chance(0.25)) {
        ProviderAdmissions a;
        a.provider_id = p.id;
        if (Chance(0.5)) a.category = static_cast<BedCategory>(Pick(4));
        a.status = AdmissionsStatus::kClosed;
        a.reason = ClosureReason::kOutbreak;
        a.id = AdmissionsId(p.id, a.category);
        Keep(a, "provider_admissions");
        supply.admissions.push_back(a);
      }
      const int beds = 2 + Pick(8);
      for (int b = 0; b < beds; ++b) {
        Bed bed = MakeBed(p.id + "-B" + std::to_string(b), p.id);
        bed.category = static_cast<BedCategory>(Chance(0.8) ? Pick(4) : Pick(9));
        bed.contract = static_cast<ContractType>(Pick(3));
        bed.flexibility_clause = Chance(0.4);
        bed.weekly_rate_pence = 60000 + 1000 * Pick(50);
        bed.features.en_suite = Chance(0.5);
        bed.features.ground_floor = Chance(0.5);
        bed.features.bariatric = Chance(0.2);
        bed.features.hoist = Chance(0.5);
        bed.features.single_sex_unit = static_cast<SexPreference>(Chance(0.8) ? 0 : 1 + Pick(2));
        bed.status_since = Date(-Pick(120));
        const int st = Pick(10);
        if (st < 5) {
          bed.status = BedStatus::kVacant;
        } else if (st < 7) {
          bed.status = BedStatus::kHeld;
          bed.held_for_referral_id = "R" + std::to_string(Pick(12));
          bed.held_until = Date(Pick(4) - 1) + "T1" + std::to_string(Pick(10)) + ":00:00Z";
        } else if (st < 9) {
          bed.status = BedStatus::kOccupied;
          if (Chance(0.5)) {
            Placement pl;
            pl.id = bed.id + "-P";
            pl.referral_id = "OLD" + std::to_string(Pick(5));
            pl.provider_id = p.id;
            pl.bed_id = bed.id;
            pl.start_date = Date(-100);
            pl.end_date = Date(Pick(10));
            pl.status = PlacementStatus::kActive;
            supply.placements.push_back(pl);
            supply.beds[bed.id] = bed;
            Keep(bed, "bed");
            Keep(pl, "placement");
            continue;
          }
        } else {
          bed.status = BedStatus::kUnavailable;
        }
        Keep(bed, "bed");
        supply.beds[bed.id] = bed;
      }
    }
    for (int a = 0; a < agencies; ++a) {
      Provider p = Agency("A" + std::to_string(a),
                          outcodes[static_cast<size_t>(Pick(static_cast<int>(outcodes.size())))]);
      Keep(p, "provider");
      supply.providers[p.id] = p;
      const int nz = 1 + Pick(2);
      for (int z = 0; z < nz; ++z) {
        const std::string zone = zones[static_cast<size_t>(Pick(static_cast<int>(zones.size())))];
        for (size_t band = 0; band < EnumCount<TimeBand>(); ++band) {
          if (Chance(0.2)) continue;
          HomecareCapacity c = Cap(p.id + "-" + zone + "-" + std::to_string(band), p.id, zone,
                                   static_cast<TimeBand>(band), 2 + Pick(20));
          c.double_up = Chance(0.5);
          c.female_carers = Chance(0.9);
          c.male_carers = Chance(0.7);
          c.available_from = Date(Pick(8) - 2);
          c.contract = Chance(0.3) ? HomecareContract::kBlock : HomecareContract::kDps;
          c.hourly_rate_pence = 1800 + 10 * Pick(30);
          if (supply.capacity.count(c.id)) continue;
          Keep(c, "homecare_capacity");
          supply.capacity[c.id] = c;
          if (Chance(0.2)) {
            Placement pl;
            pl.id = c.id + "-P";
            pl.referral_id = "OLD";
            pl.provider_id = p.id;
            pl.kind = PlacementKind::kHomecare;
            pl.homecare_capacity_id = c.id;
            pl.hours_per_week = 1 + Pick(5);
            pl.status = PlacementStatus::kActive;
            Keep(pl, "placement");
            supply.placements.push_back(pl);
          }
        }
      }
    }
    const int people = 8 + Pick(10);
    for (int i = 0; i < people; ++i) {
      Referral r = Ref("R" + std::to_string(i));
      r.gender = static_cast<Gender>(Pick(4));
      r.preferred_postcode =
          Chance(0.8) ? outcodes[static_cast<size_t>(Pick(static_cast<int>(outcodes.size())))] + " 2BB" : "";
      r.postcode = outcodes[static_cast<size_t>(Pick(static_cast<int>(outcodes.size())))] + " 3CC";
      r.max_distance_km = Chance(0.2) ? 0 : 10 + 10 * Pick(4);
      r.needs.clear();
      for (Need n : {Need::kDementia, Need::kHoist, Need::kBariatric, Need::kGroundFloor, Need::kEnSuite}) {
        if (Chance(0.2)) r.needs.push_back(n);
      }
      if (Chance(0.4)) {
        r.pathway = Pathway::kP1;
        r.category.reset();
        r.homecare.calls_per_day = 1 + Pick(4);
        r.homecare.minutes_per_call = Chance(0.2) ? 45 : 30;
        static const std::vector<TimeBand> all = {TimeBand::kMorning, TimeBand::kLunch, TimeBand::kTea,
                                                  TimeBand::kBed};
        r.homecare.bands.assign(all.begin(), all.begin() + r.homecare.calls_per_day);
        r.homecare.double_up = Chance(0.3);
        r.homecare.carer_gender = static_cast<SexPreference>(Chance(0.7) ? 0 : 1 + Pick(2));
        r.weekly_budget_pence = Chance(0.5) ? 0 : 10000 + 1000 * Pick(40);
      } else {
        r.category = static_cast<BedCategory>(Chance(0.8) ? Pick(4) : Pick(9));
        if (*r.category == BedCategory::kNursing || *r.category == BedCategory::kNursingDementia) {
          r.needs.push_back(Need::kNursing);
        }
        r.weekly_budget_pence = Chance(0.2) ? 0 : 60000 + 1000 * Pick(50);
      }
      std::sort(r.needs.begin(), r.needs.end());
      r.needs.erase(std::unique(r.needs.begin(), r.needs.end()), r.needs.end());
      r.infection_status = static_cast<InfectionStatus>(Pick(4));
      r.funding = static_cast<Funding>(Pick(6));
      r.discharge_ready_date = Date(Pick(20) - 10);
      r.priority = static_cast<Priority>(Pick(3));
      Put(r);
      referrals.push_back(r);
    }
  }

  std::vector<std::string> Signature(const core::MatchResult& m) {
    std::vector<std::string> out;
    for (const auto& c : m.candidates) {
      out.push_back(fmt::format("{}:{}:{}:{:.2f}", core::KindCode(c.kind), index_->providers()[c.provider].id,
                                c.bed == core::kNoSlot ? std::string() : index_->beds()[c.bed].id, c.score));
    }
    for (const auto& e : m.excluded) {
      out.push_back(fmt::format("x:{}:{}:{}", index_->providers()[e.provider].id,
                                e.bed == core::kNoSlot ? std::string() : index_->beds()[e.bed].id,
                                core::RuleCode(e.rule)));
    }
    return out;
  }
};

TEST_P(MatchProperty, NoCandidateBreaksAHardRuleAndRankingIsDeterministic) {
  rng.seed(GetParam());
  Generate();
  const auto ctx = Context();
  size_t candidates = 0;
  for (const Referral& r : referrals) {
    const auto m = core::Match(ctx, r);
    for (size_t i = 0; i < m.candidates.size(); ++i) {
      const auto& c = m.candidates[i];
      if (i > 0) {
        EXPECT_GE(m.candidates[i - 1].score, c.score);
      }
      ++candidates;
      if (c.kind == core::CandidateKind::kBed) {
        const std::string bed = index_->beds()[c.bed].id;
        EXPECT_EQ(
            testing::BedViolation(supply, *geo(), r, bed, ctx.today, ctx.now_iso, settings_.fnc_weekly_pence,
                                  settings_.UsualWeekly(index_->beds()[c.bed].category)),
            "")
            << "seed " << GetParam() << " referral " << r.id << " bed " << bed;
      } else {
        std::vector<testing::BandUse> uses;
        for (const auto& u : c.bands) {
          uses.push_back({std::string(ToString(u.band)), index_->capacity()[u.capacity].id, u.hours});
        }
        EXPECT_EQ(testing::HomecareViolation(supply, r, index_->providers()[c.provider].id,
                                             index_->zones()[c.zone].name, uses, ctx.today,
                                             settings_.usual_homecare_hourly_pence),
                  "")
            << "seed " << GetParam() << " referral " << r.id << " agency "
            << index_->providers()[c.provider].id;
      }
    }
    // Deterministic: the same answer again.
    EXPECT_EQ(Signature(core::Match(ctx, r)), Signature(m));
  }
  EXPECT_GT(candidates, 0u) << "the generator made nothing matchable";
}

TEST_P(MatchProperty, AnIndexKeptCurrentRecordByRecordMatchesAFreshBuild) {
  rng.seed(GetParam());
  // Build an index on the empty store, then write everything and refresh it record by record.
  auto empty = core::SupplyIndex::Build(store().db(), geo());
  ASSERT_TRUE(empty.ok());
  core::SupplyIndex live = std::move(empty).value();
  Generate();
  for (const auto& key : order) {
    const auto slash = key.find('/');
    ASSERT_TRUE(live.Refresh(store().db(), key.substr(0, slash), key.substr(slash + 1)).ok());
  }
  // Then some edits: a bed confirmed, a hold released, a home closed, a capacity row removed.
  std::vector<std::string> touched;
  for (auto& [id, b] : supply.beds) {
    if (b.status == BedStatus::kVacant && Chance(0.3)) {
      Mutation m;
      m.entity = "bed";
      m.row_id = id;
      m.fields["status"] = std::string("occupied");
      ASSERT_TRUE(store().Write(m).ok());
      touched.push_back("bed/" + id);
    }
  }
  if (!supply.capacity.empty()) {
    const std::string gone = supply.capacity.begin()->first;
    ASSERT_TRUE(Remove(store(), "homecare_capacity", gone).ok());
    touched.push_back("homecare_capacity/" + gone);
  }
  ProviderAdmissions closed;
  closed.provider_id = "H0";
  closed.status = AdmissionsStatus::kClosed;
  closed.id = AdmissionsId("H0", std::nullopt);
  Put(closed);
  touched.push_back("provider_admissions/" + closed.id);
  for (const auto& key : touched) {
    const auto slash = key.find('/');
    ASSERT_TRUE(live.Refresh(store().db(), key.substr(0, slash), key.substr(slash + 1)).ok());
  }
  const auto fresh_ctx = Context();  // index_ = a fresh build
  core::MatchContext live_ctx = fresh_ctx;
  live_ctx.index = &live;
  for (const Referral& r : referrals) {
    const auto a = core::Match(fresh_ctx, r);
    const auto b = core::Match(live_ctx, r);
    ASSERT_EQ(a.candidates.size(), b.candidates.size()) << r.id;
    for (size_t i = 0; i < a.candidates.size(); ++i) {
      const auto& x = a.candidates[i];
      const auto& y = b.candidates[i];
      EXPECT_EQ(index_->providers()[x.provider].id, live.providers()[y.provider].id);
      if (x.kind == core::CandidateKind::kBed) {
        EXPECT_EQ(index_->beds()[x.bed].id, live.beds()[y.bed].id);
      }
      EXPECT_DOUBLE_EQ(x.score, y.score);
    }
    // The same options excluded by the same rules, named by row ids (slot numbers differ between indexes).
    EXPECT_EQ(ExclusionKeys(*index_, a), ExclusionKeys(live, b)) << r.id;
  }
}

// The search circle is exactly "DistanceKm <= radius", including providers exactly on the edge and just
// beyond it, where the trig-free bounds hand over to the great-circle formula.
TEST_P(MatchProperty, TheSearchCircleIsExactlyTheGreatCircleDistance) {
  rng.seed(GetParam());
  Generate();
  (void)Context();  // builds index_
  const auto& providers = index_->providers();
  auto expected = [&](core::LatLong where, double radius, bool beds, bool homecare) {
    std::set<uint32_t> out;
    for (uint32_t p = 0; p < providers.size(); ++p) {
      const auto& ps = providers[p];
      if (!ps.live || !ps.located) continue;
      if (!(beds && !ps.beds.empty()) && !(homecare && !ps.capacity.empty())) continue;
      if (core::DistanceKm(where, ps.where) <= radius) out.insert(p);
    }
    return out;
  };
  auto found = [&](core::LatLong where, double radius, bool beds, bool homecare) {
    std::set<uint32_t> out;
    index_->ForEachSupplierWithin(where, radius, beds, homecare, [&](uint32_t p) {
      EXPECT_TRUE(out.insert(p).second) << "provider listed twice";
    });
    return out;
  };
  size_t checked = 0;
  for (int k = 0; k < 40; ++k) {
    const core::LatLong where{52.2 + 0.8 * (Pick(1000) / 1000.0), -0.6 + 0.9 * (Pick(1000) / 1000.0)};
    std::vector<double> radii = {5, 15, 30, 60};
    // Radii that put a provider exactly on the edge, and a hair inside it.
    for (const auto& ps : providers) {
      if (!ps.located || !Chance(0.3)) continue;
      const double km = core::DistanceKm(where, ps.where);
      radii.push_back(km);
      radii.push_back(std::nextafter(km, 0.0));
    }
    for (double radius : radii) {
      static constexpr std::pair<bool, bool> kWants[] = {{true, false}, {false, true}, {true, true}};
      for (const auto& [beds, homecare] : kWants) {
        EXPECT_EQ(found(where, radius, beds, homecare), expected(where, radius, beds, homecare))
            << "seed " << GetParam() << " radius " << radius;
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0u);
}

TEST_P(MatchProperty, ThePlanNeverDoubleAllocatesAndIsAtLeastGreedy) {
  rng.seed(GetParam());
  Generate();
  std::vector<core::QueueEntry> entries;
  for (const Referral& r : referrals) entries.push_back({r, "", r.discharge_ready_date, 0});
  core::SortQueue(entries);
  std::vector<Referral> queue;
  for (const auto& e : entries) queue.push_back(e.referral);
  const auto ctx = Context();
  core::PlanOptions greedy_only;
  greedy_only.greedy_only = true;
  const auto greedy = core::MakePlan(ctx, queue, greedy_only);
  for (size_t arcs : {size_t{1}, size_t{3}, size_t{40}}) {
    core::PlanOptions o;
    o.arcs_per_referral = arcs;
    const auto plan = core::MakePlan(ctx, queue, o);
    EXPECT_GE(plan.totals.objective, greedy.totals.objective) << "seed " << GetParam();
    EXPECT_GE(plan.totals.placed, greedy.totals.placed) << "seed " << GetParam();
    EXPECT_EQ(plan.totals.placed + plan.totals.unplaced, queue.size());
    std::set<std::string> beds, people;
    std::map<std::string, double> hours;
    for (const auto& a : plan.allocations) {
      EXPECT_TRUE(people.insert(a.referral_id).second) << "referral twice";
      if (a.candidate.kind == core::CandidateKind::kBed) {
        EXPECT_TRUE(beds.insert(index_->beds()[a.candidate.bed].id).second)
            << "bed twice, seed " << GetParam();
      }
      for (const auto& u : a.candidate.bands) hours[index_->capacity()[u.capacity].id] += u.hours;
    }
    for (const auto& [id, h] : hours) {
      const auto& slot = index_->capacity()[index_->FindCapacity(id)];
      EXPECT_LE(h, slot.Remaining() + 1e-9) << "hours over-allocated on " << id << ", seed " << GetParam();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, MatchProperty, ::testing::Range(1u, 13u));

}  // namespace
}  // namespace berth

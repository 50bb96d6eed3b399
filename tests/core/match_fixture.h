// Small hand-made supply for the matching, plan and workflow tests: a store, builders for providers,
// beds, homecare capacity and referrals with plain defaults, and a matcher over a fresh index.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/plan.h"
#include "berth/core/scoring.h"
#include "berth/core/supply_index.h"
#include "berth/schema/repository.h"
#include "berth/schema/store.h"
#include "support/test_support.h"

namespace berth::testing {

inline constexpr const char* kToday = "2026-03-10";

class MatchFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    o.actor = "test-broker";
    Secret recovery;
    auto r = Store::Create(tmp_.Sub("store"), Secret("pass phrase for tests"), &recovery, o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    store_ = std::move(r).value();
    auto g = core::DefaultGeography();
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    geo_ = *g;
  }

  Store& store() { return *store_; }
  const core::Geography* geo() const { return geo_; }

  core::LatLong At(const std::string& outcode) const {
    auto where = geo_->Locate(outcode);
    EXPECT_TRUE(where.has_value()) << outcode;
    return where.value_or(core::LatLong{});
  }

  // A nursing+residential home with dementia specialism, rated Good, in `outcode`.
  Provider Home(const std::string& id, const std::string& outcode = "PE29") {
    Provider p;
    p.id = id;
    p.name = "Home " + id;
    p.kind = ProviderKind::kCareHome;
    p.postcode = outcode + " 1AA";
    const auto where = At(outcode);
    p.latitude = where.lat;
    p.longitude = where.lon;
    p.registration = Registration::kResidentialNursing;
    p.specialisms = {Specialism::kDementia, Specialism::kOlderPeople};
    p.rating = CqcRating::kGood;
    return p;
  }
  Provider Agency(const std::string& id, const std::string& outcode = "PE29") {
    Provider p = Home(id, outcode);
    p.name = "Agency " + id;
    p.kind = ProviderKind::kHomecareAgency;
    p.registration = Registration::kUnknown;
    return p;
  }
  // A vacant spot residential bed, nothing special, GBP 700 a week, vacant since 5 days ago.
  static Bed MakeBed(const std::string& id, const std::string& provider) {
    Bed b;
    b.id = id;
    b.provider_id = provider;
    b.room = id;
    b.category = BedCategory::kResidential;
    b.contract = ContractType::kSpot;
    b.weekly_rate_pence = 70000;
    b.status = BedStatus::kVacant;
    b.status_since = "2026-03-05";
    return b;
  }
  static HomecareCapacity Cap(const std::string& id, const std::string& provider, const std::string& zone,
                              TimeBand band, double hours) {
    HomecareCapacity c;
    c.id = id;
    c.provider_id = provider;
    c.zone = zone;
    c.band = band;
    c.hours_per_week = hours;
    c.available_from = "2026-03-01";
    c.double_up = false;
    c.contract = HomecareContract::kDps;
    c.hourly_rate_pence = 1900;
    return c;
  }
  // A P3 residential referral, ready today, preferring PE29, 30 km limit, LA-funded at GBP 800.
  static Referral Ref(const std::string& id) {
    Referral r;
    r.id = id;
    r.nhs_number = "9990000018";
    r.name = "Test Person";
    r.date_of_birth = "1940-01-01";
    r.gender = Gender::kFemale;
    r.location_kind = LocationKind::kCommunity;
    r.postcode = "PE29 1AA";
    r.preferred_postcode = "PE29 1AA";
    r.max_distance_km = 30;
    r.pathway = Pathway::kP3;
    r.category = BedCategory::kResidential;
    r.infection_status = InfectionStatus::kNegative;
    r.funding = Funding::kLa;
    r.weekly_budget_pence = 80000;
    r.discharge_ready_date = kToday;
    r.status = ReferralStatus::kSourcing;
    r.created_date = "2026-03-01";
    return r;
  }
  static Referral HomecareRef(const std::string& id) {
    Referral r = Ref(id);
    r.pathway = Pathway::kP1;
    r.category.reset();
    r.homecare.calls_per_day = 2;
    r.homecare.minutes_per_call = 30;
    r.homecare.bands = {TimeBand::kMorning, TimeBand::kBed};
    r.weekly_budget_pence = 0;
    return r;
  }

  template <class T>
  void Put(const T& record) {
    const Status st = Save(*store_, record);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  core::MatchContext Context() {
    auto ix = core::SupplyIndex::Build(store_->db(), geo_);
    EXPECT_TRUE(ix.ok()) << ix.status().ToString();
    index_ = std::move(ix).value();
    core::MatchContext ctx;
    ctx.index = &*index_;
    ctx.settings = &settings_;
    ctx.geo = geo_;
    ctx.today = kToday;
    ctx.now_iso = std::string(kToday) + "T09:00:00Z";
    return ctx;
  }

  core::MatchResult MatchOne(const Referral& r) { return core::Match(Context(), r); }

  // "bed:B1" / "homecare:A1" for each candidate, in rank order.
  std::vector<std::string> Ranking(const core::MatchResult& m) const {
    std::vector<std::string> out;
    for (const auto& c : m.candidates) {
      out.push_back(c.kind == core::CandidateKind::kBed ? "bed:" + index_->beds()[c.bed].id
                                                        : "homecare:" + index_->providers()[c.provider].id);
    }
    return out;
  }
  // The rule code that excluded `bed_id` (or "" if it was not excluded).
  std::string RuleFor(const core::MatchResult& m, const std::string& bed_id) const {
    for (const auto& e : m.excluded) {
      if (e.bed != core::kNoSlot && index_->beds()[e.bed].id == bed_id)
        return std::string(core::RuleCode(e.rule));
    }
    return "";
  }
  std::string HomecareRuleFor(const core::MatchResult& m, const std::string& provider_id) const {
    for (const auto& e : m.excluded) {
      if (e.kind == core::CandidateKind::kHomecare && index_->providers()[e.provider].id == provider_id) {
        return std::string(core::RuleCode(e.rule));
      }
    }
    return "";
  }

  core::MatchSettings settings_;
  std::optional<core::SupplyIndex> index_;

 private:
  TempDir tmp_;
  std::unique_ptr<Store> store_;
  const core::Geography* geo_ = nullptr;
};

}  // namespace berth::testing

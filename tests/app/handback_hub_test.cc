// Two laptops and a real hub (berth-hub on loopback, encrypted stores on both sides), driven through the
// workflow API as brokers use it: a hand back with notice keeps the bed taken at the hub for every day of
// care, so a confirmation from another laptop that overlaps those days loses, and one that starts the day
// after care ends stands (sync/PROTOCOL.md section 7).
#include <gtest/gtest.h>

#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/supply_index.h"
#include "berth/core/referrals.h"
#include "berth/core/workflow.h"
#include "berth/schema/repository.h"
#include "sync/hub_harness.h"

namespace berth::testing {
namespace {

using core::PlacementTerms;
using core::WorkflowTime;

std::string DaysAfter(const std::string& day, int64_t n) {
  return IsoDateFromDays(DaysFromIsoDate(day) + n);
}

PlacementTerms ByPhone(const std::string& start, const std::string& end = "") {
  PlacementTerms t;
  t.start_date = start;
  t.end_date = end;
  t.override_reason = "arranged by phone";
  return t;
}

Referral Person(const std::string& nhs) {
  Referral r;
  r.nhs_number = nhs;
  r.name = "Test Person";
  r.date_of_birth = "1940-01-01";
  r.gender = Gender::kFemale;
  r.location_kind = LocationKind::kCommunity;
  r.postcode = "PE29 1AA";
  r.pathway = Pathway::kP3;
  r.category = BedCategory::kResidential;
  r.discharge_ready_date = TodayIsoDate();
  return r;
}

class HandbackAcrossLaptops : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(tmp_.Sub("hub"));
    hub_->Start();
    a_ = Device::Create(tmp_.Sub("a"), "broker-a");
    b_ = Device::Create(tmp_.Sub("b"), "broker-b");
    ASSERT_TRUE(a_->Enroll(*hub_).ok());
    ASSERT_TRUE(b_->Enroll(*hub_).ok());
    auto geo = core::DefaultGeography();
    ASSERT_TRUE(geo.ok());
    geo_ = *geo;
  }
  void TearDown() override { hub_->Kill(); }

  void Synced(Device& d) {
    auto s = d.Sync();
    ASSERT_TRUE(s.ok()) << s.status().ToString();
  }
  std::string NewReferral(Device& d, const std::string& nhs) {
    auto id = core::SaveReferral(*d.store, geo_, Person(nhs), t_);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }

  TempDir tmp_;
  std::unique_ptr<HubProcess> hub_;
  std::unique_ptr<Device> a_, b_;
  const core::Geography* geo_ = nullptr;
  const WorkflowTime t_ = WorkflowTime::Now();  // the hub judges dates by its own (real) clock
};

TEST_F(HandbackAcrossLaptops, AnOverlappingConfirmationLosesAndOneFromTheDayAfterCareEndsStands) {
  // Supply both laptops know: a home in Huntingdonshire with one vacant bed.
  Provider home;
  home.id = NewUuidV7();
  home.name = "Hinchingbrooke House";
  home.district = "Huntingdonshire";
  home.registration = Registration::kResidential;
  ASSERT_TRUE(Save(*a_->store, home).ok());
  Bed bed;
  bed.id = NewUuidV7();
  bed.provider_id = home.id;
  bed.room = "12";
  bed.status_since = t_.today;
  ASSERT_TRUE(Save(*a_->store, bed).ok());
  const std::string p = NewReferral(*a_, "9990000018");
  Synced(*a_);
  Synced(*b_);  // B goes offline from here, knowing the bed vacant

  // Laptop A places P, then the home hands P back with four weeks' notice.
  const std::string last_day = DaysAfter(t_.today, 28);
  auto placement = core::ConfirmBed(*a_->store, p, bed.id, ByPhone(t_.today), t_);
  ASSERT_TRUE(placement.ok()) << placement.status().ToString();
  auto hb = core::HandBack(*a_->store, *placement, HandbackReason::kNeedsChanged, last_day, t_);
  ASSERT_TRUE(hb.ok()) << hb.status().ToString();
  Synced(*a_);

  // Laptop B, offline, books the same bed: X for a week's respite from next week (inside P's notice), and
  // Y from the day after P's care ends.
  const std::string x = NewReferral(*b_, "9990000026");
  const std::string y = NewReferral(*b_, "9990000034");
  auto bx = core::ConfirmBed(*b_->store, x, bed.id, ByPhone(DaysAfter(t_.today, 7), DaysAfter(t_.today, 13)), t_);
  ASSERT_TRUE(bx.ok()) << bx.status().ToString();
  auto by = core::ConfirmBed(*b_->store, y, bed.id, ByPhone(DaysAfter(last_day, 1)), t_);
  ASSERT_TRUE(by.ok()) << by.status().ToString();

  // Both sync.
  auto summary = b_->Sync();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_GE(summary->rejected, 1);
  Synced(*a_);
  Synced(*b_);

  // The first is a conflict on B, naming the bed and X; X is back in the queue (open, not placed) and its
  // placement gone.
  auto conflicts = sync::ListConflicts(*b_->store);
  ASSERT_TRUE(conflicts.ok());
  ASSERT_EQ(conflicts->size(), 1u);
  EXPECT_EQ(conflicts->front().claim, "bed_confirm");
  EXPECT_EQ(conflicts->front().reason_code, "bed_taken");
  EXPECT_EQ(conflicts->front().bed_id, bed.id);
  EXPECT_EQ(conflicts->front().referral_id, x);
  EXPECT_NE(LoadReferral(b_->store->db(), x)->status, ReferralStatus::kPlaced);
  EXPECT_EQ(LoadPlacement(b_->store->db(), *bx).status().code(), Code::kNotFound);
  // The second stands: at the hub and on both laptops, P's placement ends on its last day and Y's starts
  // the day after; nothing else is on the bed.
  auto hub_store = hub_->OpenStore();
  ASSERT_NE(hub_store, nullptr);
  for (Store* s : {hub_store.get(), a_->store.get(), b_->store.get()}) {
    auto on_bed = LoadPlacementsOfBed(s->db(), bed.id);
    ASSERT_TRUE(on_bed.ok());
    ASSERT_EQ(on_bed->size(), 2u);
    EXPECT_EQ((*on_bed)[0].id, *placement);
    EXPECT_EQ((*on_bed)[0].end_date, last_day);
    EXPECT_EQ((*on_bed)[0].status, PlacementStatus::kHandedBack);
    EXPECT_EQ((*on_bed)[1].id, *by);
    EXPECT_EQ((*on_bed)[1].start_date, DaysAfter(last_day, 1));
  }
  EXPECT_EQ(LoadReferral(a_->store->db(), y)->status, ReferralStatus::kPlaced);
  // A laptop's matcher, after the sync, offers the bed to nobody: P until the last day, Y from the next.
  auto ix = core::SupplyIndex::Build(a_->store->db(), geo_);
  ASSERT_TRUE(ix.ok());
  core::MatchSettings settings;
  core::MatchContext ctx = core::ContextNow(*ix, settings, geo_);
  Referral later = *LoadReferral(a_->store->db(), x);
  later.discharge_ready_date = DaysAfter(last_day, 5);
  const core::MatchResult m = core::Match(ctx, later);
  for (const core::Candidate& c : m.candidates) {
    EXPECT_NE(ix->beds()[c.bed].id, bed.id);
  }
}

}  // namespace
}  // namespace berth::testing

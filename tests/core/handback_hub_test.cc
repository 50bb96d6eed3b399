// Two laptops and a real hub (berth-hub on loopback, encrypted stores on both sides), driven through the
// workflow API as brokers use it: a hand back with notice keeps the bed taken at the hub for every day of
// care, so a confirmation from another laptop that overlaps those days loses, and one that starts the day
// after care ends stands (sync/PROTOCOL.md section 7).
#include <gtest/gtest.h>

#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/plan.h"
#include "berth/core/referrals.h"
#include "berth/core/supply_index.h"
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

  // A home in Huntingdonshire with one vacant bed, saved on laptop A.
  std::pair<Provider, Bed> OneBedHome() {
    Provider home;
    home.id = NewUuidV7();
    home.name = "Hinchingbrooke House";
    home.district = "Huntingdonshire";
    home.registration = Registration::kResidential;
    EXPECT_TRUE(Save(*a_->store, home).ok());
    Bed bed;
    bed.id = NewUuidV7();
    bed.provider_id = home.id;
    bed.room = "12";
    bed.status_since = t_.today;
    EXPECT_TRUE(Save(*a_->store, bed).ok());
    return {home, bed};
  }

  TempDir tmp_;
  std::unique_ptr<HubProcess> hub_;
  std::unique_ptr<Device> a_, b_;
  const core::Geography* geo_ = nullptr;
  const WorkflowTime t_ = WorkflowTime::Now();  // the hub judges dates by its own (real) clock
};

TEST_F(HandbackAcrossLaptops, AnOverlappingConfirmationLosesAndOneFromTheDayAfterCareEndsStands) {
  // Supply both laptops know: a home in Huntingdonshire with one vacant bed.
  const Bed bed = OneBedHome().second;
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
  auto bx =
      core::ConfirmBed(*b_->store, x, bed.id, ByPhone(DaysAfter(t_.today, 7), DaysAfter(t_.today, 13)), t_);
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

// A referral's life crosses laptops through the hub like every workflow step: laptop A holds a bed for P,
// offers P to a home, then cancels P (died), moves Q's discharge-ready date and records Q's delay reason;
// laptop B sees P cancelled with its reason, the bed vacant again (the release claim stood at the hub),
// the offer withdrawn, Q's new date with its history row and the delay code. B reopens P; A sees it back.
TEST_F(HandbackAcrossLaptops, ACancelAReopenADateChangeAndADelayReasonReachTheOtherLaptop) {
  const auto [home, bed] = OneBedHome();
  const std::string p = NewReferral(*a_, "9990000018");
  const std::string q = NewReferral(*a_, "9990000026");
  Synced(*a_);

  const core::MatchSettings settings;
  ASSERT_TRUE(core::HoldBed(*a_->store, settings, p, bed.id, t_).ok());
  auto offers = core::SendOffers(*a_->store, settings, geo_, p, {{home.id, ""}}, t_);
  ASSERT_TRUE(offers.ok()) << offers.status().ToString();
  Synced(*a_);
  ASSERT_TRUE(core::CancelReferral(*a_->store, p, CancelReason::kDied, t_).ok());
  const std::string moved = DaysAfter(t_.today, 4);
  ASSERT_TRUE(core::ChangeDischargeReadyDate(*a_->store, q, moved, "not medically fit", t_).ok());
  ASSERT_TRUE(core::SetDelayReason(*a_->store, q, DelayReason::kNursingHome, t_).ok());
  auto pushed = a_->Sync();
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_EQ(pushed->rejected, 0);
  Synced(*b_);

  Db& on_b = b_->store->db();
  const Referral cancelled = *LoadReferral(on_b, p);
  EXPECT_EQ(cancelled.status, ReferralStatus::kCancelled);
  EXPECT_EQ(cancelled.cancel_reason, CancelReason::kDied);
  EXPECT_EQ(LoadBed(on_b, bed.id)->status, BedStatus::kVacant);
  EXPECT_EQ(LoadOffer(on_b, offers->front())->status, OfferStatus::kWithdrawn);
  const Referral later = *LoadReferral(on_b, q);
  EXPECT_EQ(later.discharge_ready_date, moved);
  EXPECT_EQ(later.delay_reason, DelayReason::kNursingHome);
  const auto history = LoadDateChanges(on_b, q);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].old_date, t_.today);
  EXPECT_EQ((*history)[0].new_date, moved);
  EXPECT_EQ((*history)[0].note, "not medically fit");
  auto queue = core::LoadOpenQueue(on_b, t_.today);
  ASSERT_TRUE(queue.ok());
  for (const Referral& r : *queue) EXPECT_NE(r.id, p) << "a cancelled referral leaves the queue";

  ASSERT_TRUE(core::ReopenReferral(*b_->store, p, t_).ok());
  Synced(*b_);
  Synced(*a_);
  const Referral back = *LoadReferral(a_->store->db(), p);
  EXPECT_EQ(back.status, ReferralStatus::kNew);
  EXPECT_EQ(back.cancel_reason, CancelReason::kNone);
}

}  // namespace
}  // namespace berth::testing

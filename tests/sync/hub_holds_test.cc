// A live bed hold belongs to the device that made it: no other device's change may move it to another
// referral, shorten it or clear it, whichever fields that change names (issue 15, finding 5).
#include <gtest/gtest.h>

#include "hub_harness.h"

namespace berth::testing {
namespace {

class HubHolds : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(tmp_.Sub("hub"));
    hub_->Start();
    holder_ = Device::Create(tmp_.Sub("holder"));
    other_ = Device::Create(tmp_.Sub("other"));
    ASSERT_TRUE(holder_->Enroll(*hub_).ok());
    ASSERT_TRUE(other_->Enroll(*hub_).ok());
    provider_ =
        holder_->Write("provider", "",
                       {{"name", std::string("Ramsey Court")}, {"district", std::string("Huntingdonshire")}});
    bed_ = holder_->Write("bed", "", {{"provider_id", provider_}, {"status", std::string("vacant")}});
    r1_ = holder_->Write("referral", "", {{"name", std::string("Person One")}});
    r2_ = other_->Write("referral", "", {{"name", std::string("Person Two")}});
    holder_->Write("bed", bed_,
                   {{"status", std::string("held")},
                    {"held_for_referral_id", r1_},
                    {"held_until", std::string("2999-01-01T00:00:00Z")}},
                   MutationKind::kClaim, "bed_hold");
    ASSERT_TRUE(holder_->Sync().ok());
    ASSERT_TRUE(other_->Sync().ok());
    ASSERT_EQ(Text(*other_->store, "SELECT held_for_referral_id FROM bed WHERE id = '" + bed_ + "'"), r1_);
  }
  void TearDown() override { hub_->Kill(); }

  // Pushes one plain change of the bed from the other device; returns its conflict's reason code.
  std::string PushFromOther(std::map<std::string, Value> fields) {
    const int64_t before = static_cast<int64_t>(sync::ListConflicts(*other_->store)->size());
    other_->Write("bed", bed_, std::move(fields));
    auto s = other_->Sync();
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    auto conflicts = sync::ListConflicts(*other_->store);
    if (!conflicts.ok() || static_cast<int64_t>(conflicts->size()) != before + 1) return "applied";
    return conflicts->back().reason_code;
  }

  void ExpectHoldUnchanged() {
    auto hub_store = hub_->OpenStore();
    ASSERT_NE(hub_store, nullptr);
    EXPECT_EQ(Text(*hub_store,
                   "SELECT status || '/' || held_for_referral_id || '/' || held_until FROM bed"
                   " WHERE id = '" +
                       bed_ + "'"),
              "held/" + r1_ + "/2999-01-01T00:00:00Z");
    EXPECT_EQ(Text(*other_->store, "SELECT held_for_referral_id FROM bed WHERE id = '" + bed_ + "'"), r1_)
        << "the refused device is put back to the hub's state";
  }

  TempDir tmp_;
  std::unique_ptr<HubProcess> hub_;
  std::unique_ptr<Device> holder_, other_;
  std::string provider_, bed_, r1_, r2_;
};

TEST_F(HubHolds, AnotherReferralWithoutStatusIsRefusedNotHolder) {
  EXPECT_EQ(PushFromOther({{"held_for_referral_id", r2_}}), "not_holder");
  ExpectHoldUnchanged();
}

TEST_F(HubHolds, AnExpiryInThePastWithoutStatusIsRefusedNotHolder) {
  EXPECT_EQ(PushFromOther({{"held_until", std::string("2000-01-01T00:00:00Z")}}), "not_holder");
  ExpectHoldUnchanged();
  // ... so the other device cannot then take the bed for its own referral either.
  EXPECT_EQ(PushFromOther({{"status", std::string("held")}, {"held_for_referral_id", r2_}}), "bed_taken");
  ExpectHoldUnchanged();
}

TEST_F(HubHolds, MarkingTheHeldBedUnavailableOrVacantIsRefusedNotHolder) {
  EXPECT_EQ(PushFromOther({{"status", std::string("unavailable")}}), "not_holder");
  EXPECT_EQ(PushFromOther({{"status", std::string("vacant")}, {"held_for_referral_id", std::string("")}}),
            "not_holder");
  ExpectHoldUnchanged();
}

TEST_F(HubHolds, TheHolderMayStillExtendAndReleaseAndOthersMayEditOtherFields) {
  EXPECT_EQ(PushFromOther({{"room", std::string("4B")}}), "applied") << "fields outside the hold are free";
  holder_->Write("bed", bed_, {{"held_until", std::string("2999-06-01T00:00:00Z")}});
  auto s = holder_->Sync();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->rejected, 0);
  holder_->Write("bed", bed_, {{"status", std::string("vacant")}, {"held_for_referral_id", std::string("")}},
                 MutationKind::kClaim, "release");
  s = holder_->Sync();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->rejected, 0);
  auto hub_store = hub_->OpenStore();
  EXPECT_EQ(Text(*hub_store, "SELECT status || '/' || room FROM bed WHERE id = '" + bed_ + "'"), "vacant/4B");
  // Once released, the other device may hold it.
  EXPECT_EQ(PushFromOther({{"status", std::string("held")}, {"held_for_referral_id", r2_}}), "applied");
}

}  // namespace
}  // namespace berth::testing

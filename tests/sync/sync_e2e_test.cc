// End to end over loopback with real berth-hub processes and real encrypted stores: enrollment, push and
// pull, and claim arbitration (the double-booked bed, the last double-up homecare hours). Built into
// sync_tests (the SQLite hub) and into sync_pg_tests, where the hub is on PostgreSQL and device B syncs
// with a second hub process on the same database (issue 21's acceptance scenario).
#include <gtest/gtest.h>

#include <algorithm>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <set>

#include "berth/schema/binary_encoding.h"
#include "berth/schema/outbox.h"
#include "berth/sync/wire.h"
#include "hub_harness.h"

namespace berth::testing {
namespace {

const std::vector<std::string> kTables = {"provider", "bed", "homecare_capacity", "referral", "placement"};

class SyncE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(tmp_.Sub("hub"));
    hub_->Start();
    a_ = Device::Create(tmp_.Sub("a"));
    b_ = Device::Create(tmp_.Sub("b"));
    ASSERT_TRUE(a_->Enroll(*hub_).ok());
    if (hub_->on_postgres()) {
      hub_b_ = std::make_unique<HubProcess>(tmp_.Sub("hub-b"), hub_->postgres_url(), /*init=*/false);
      hub_b_->Start();
      ASSERT_TRUE(b_->EnrollAt(hub_b_->url(), *hub_).ok());
    } else {
      ASSERT_TRUE(b_->Enroll(*hub_).ok());
    }
  }
  void TearDown() override {
    hub_->Kill();
    if (hub_b_) hub_b_->Kill();
  }
  // The hub's own store, to compare with the devices' (the SQLite hub only: on PostgreSQL the rows are
  // sealed, and the devices' agreement is what is checked).
  std::unique_ptr<Store> HubStoreIfSqlite() { return hub_->on_postgres() ? nullptr : hub_->OpenStore(); }

  // Supply that both devices know: a provider in Huntingdonshire with one vacant bed.
  void SeedSupply() {
    provider_ = a_->Write(
        "provider", "",
        {{"name", std::string("Hinchingbrooke House")}, {"district", std::string("Huntingdonshire")}});
    bed_ = a_->Write(
        "bed", "",
        {{"provider_id", provider_}, {"room", std::string("12")}, {"status", std::string("vacant")}});
    ASSERT_TRUE(a_->Sync().ok());
    ASSERT_TRUE(b_->Sync().ok());
  }

  // Hold then confirm `bed_` for `referral` (what the matching workflow writes), offline.
  static void HoldAndConfirm(Device& d, const std::string& bed, const std::string& provider,
                             const std::string& referral) {
    d.Write("bed", bed, {{"status", std::string("held")}, {"held_for_referral_id", referral}},
            MutationKind::kClaim, "bed_hold");
    d.Write("placement", "",
            {{"referral_id", referral},
             {"bed_id", bed},
             {"provider_id", provider},
             {"kind", std::string("care_home")},
             {"status", std::string("active")}},
            MutationKind::kClaim, "bed_confirm");
    d.Write("bed", bed, {{"status", std::string("occupied")}, {"held_for_referral_id", std::string("")}});
    d.Write("referral", referral, {{"status", std::string("placed")}});
  }

  TempDir tmp_;
  std::unique_ptr<HubProcess> hub_;
  std::unique_ptr<HubProcess> hub_b_;  // on PostgreSQL: the second hub process device B syncs with
  std::unique_ptr<Device> a_, b_;
  std::string provider_, bed_;
};

TEST_F(SyncE2e, PushedRowsReachTheOtherDeviceAndTheHub) {
  SeedSupply();
  EXPECT_EQ(Count(*b_->store, "SELECT count(*) FROM bed WHERE id = '" + bed_ + "' AND status = 'vacant'"), 1);
  EXPECT_EQ(Count(*a_->store, "SELECT count(*) FROM outbox"), 0) << "acknowledged entries leave the outbox";
  // An edit on B comes back to A; field merge keeps both sides' fields.
  b_->Write("bed", bed_, {{"room", std::string("12A")}});
  a_->Write("bed", bed_, {{"en_suite", int64_t{1}}});
  ASSERT_TRUE(b_->Sync().ok());
  ASSERT_TRUE(a_->Sync().ok());
  ASSERT_TRUE(b_->Sync().ok());
  EXPECT_EQ(Text(*a_->store, "SELECT room || '/' || en_suite FROM bed"), "12A/1");
  EXPECT_EQ(DumpDomain(*a_->store, kTables), DumpDomain(*b_->store, kTables));
  if (auto hub_store = HubStoreIfSqlite()) {
    EXPECT_EQ(DumpDomain(*hub_store, kTables), DumpDomain(*a_->store, kTables));
  }
}

// A push batch stops at push_batch_bytes as well as at push_batch entries, so a week of long notes can
// never make a request the hub refuses for its size; every entry still arrives, once.
TEST_F(SyncE2e, PushBatchesAreCappedInBytesAndStillDeliverEverything) {
  std::vector<std::string> referrals;
  for (int i = 0; i < 12; ++i) {
    referrals.push_back(a_->Write("referral", "",
                                  {{"name", std::string("Person ") + std::to_string(i)},
                                   {"notes", std::string(400, static_cast<char>('a' + i))}}));
  }
  sync::SyncOptions o;
  o.max_retries = 1;
  o.push_batch_bytes = 1200;  // two or three of these mutations
  int push_batches = 0;
  auto summary = sync::SyncOnce(
      *a_->store, o, [&](const sync::SyncProgress& p) { push_batches += p.phase == "push" ? 1 : 0; });
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->pushed, 12);
  EXPECT_EQ(summary->duplicates, 0);
  EXPECT_GE(push_batches, 4);
  EXPECT_LE(push_batches, 12);
  EXPECT_EQ(Count(*a_->store, "SELECT count(*) FROM outbox"), 0);
  ASSERT_TRUE(b_->Sync().ok());
  EXPECT_EQ(Count(*b_->store, "SELECT count(*) FROM referral WHERE length(notes) = 400"), 12);
}

// The byte cap counts what an entry takes on the wire, not its smaller stored form (the outbox's compact
// payload, schema/FORMAT.md "Outbox"): beds of many short fields are well over twice their stored size.
TEST_F(SyncE2e, PushBatchesAreCappedByTheirBytesOnTheWireNotInTheOutbox) {
  for (int i = 0; i < 12; ++i) {
    a_->Write("bed", "",
              {{"provider_id", std::string("p1")},
               {"room", std::to_string(i)},
               {"en_suite", int64_t{1}},
               {"ground_floor", int64_t{0}},
               {"bariatric", int64_t{0}},
               {"hoist", int64_t{1}},
               {"weekly_rate_pence", int64_t{90000 + i}},
               {"flexibility_clause", int64_t{0}}});
  }
  size_t stored = 0, widest = 0, wire = 0;
  {
    auto q = a_->store->db().Prepare(std::string("SELECT seq, length(payload), ") + kOutboxEntryColumns +
                                     " FROM outbox ORDER BY seq");
    ASSERT_TRUE(q.ok());
    while (*q->Step()) {
      sync::OutboxEntry e;
      e.seq = static_cast<uint64_t>(q->Int(0));
      auto m = ReadOutboxEntry(*q, 2);
      ASSERT_TRUE(m.ok()) << m.status().ToString();
      e.mutation = *m;
      const size_t bytes = EncodeBinary(e).size();
      stored += static_cast<size_t>(q->Int(1));
      wire += bytes;
      widest = std::max(widest, bytes);
    }
  }
  ASSERT_LT(stored * 2, wire);  // counted by the outbox, three or more beds would fit where two do
  sync::SyncOptions o;
  o.max_retries = 1;
  o.push_batch_bytes = static_cast<uint32_t>(2 * widest);  // two beds on the wire, at most
  int push_batches = 0;
  auto summary = sync::SyncOnce(
      *a_->store, o, [&](const sync::SyncProgress& p) { push_batches += p.phase == "push" ? 1 : 0; });
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->pushed, 12);
  EXPECT_GE(push_batches, 6);
  EXPECT_EQ(Count(*a_->store, "SELECT count(*) FROM outbox"), 0);
}

// The hub never runs the devices' matching queries: its store keeps only the indexes the hub's own queries
// use, and a device's store keeps all of them.
TEST_F(SyncE2e, TheHubStoreKeepsOnlyTheIndexesTheHubUses) {
  SeedSupply();
  hub_->Terminate();
  auto indexes = [](Store& s) {
    std::set<std::string> out;
    auto st = s.db().Prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL");
    while (st.ok()) {
      auto r = st->Step();
      if (!r.ok() || !*r) break;
      out.insert(st->Text(0));
    }
    return out;
  };
  const auto on_hub = indexes(*hub_->OpenStore());
  // The audit's own indexes stay: the hub audits like any store (its batches' records by row, too).
  EXPECT_EQ(on_hub, (std::set<std::string>{"audit_by_row", "audit_record_by_row", "hub_placement_by_capacity",
                                           "placement_by_bed"}));
  const auto on_device = indexes(*a_->store);
  EXPECT_TRUE(on_device.count("bed_held"));
  EXPECT_TRUE(on_device.count("bed_by_provider"));
  EXPECT_FALSE(on_device.count("hub_placement_by_capacity"));
}

TEST_F(SyncE2e, RepeatedSyncAppliesNothingTwice) {
  SeedSupply();
  auto first = a_->Sync();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->pushed, 0);
  a_->Write("bed", bed_, {{"room", std::string("14")}});
  auto second = a_->Sync();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->pushed, 1);
  EXPECT_EQ(second->applied, 1);
}

class DoubleBooking : public SyncE2e, public ::testing::WithParamInterface<bool> {};

TEST_P(DoubleBooking, ExactlyOnePlacementAndTheLoserGetsOneConflict) {
  SeedSupply();
  const std::string r1 =
      a_->Write("referral", "", {{"name", std::string("Person One")}, {"status", std::string("sourcing")}});
  const std::string r2 =
      b_->Write("referral", "", {{"name", std::string("Person Two")}, {"status", std::string("sourcing")}});
  // Both offline: each holds and confirms the same bed for their own referral.
  HoldAndConfirm(*a_, bed_, provider_, r1);
  HoldAndConfirm(*b_, bed_, provider_, r2);
  Device& first = GetParam() ? *a_ : *b_;
  Device& second = GetParam() ? *b_ : *a_;
  const std::string winner_ref = GetParam() ? r1 : r2;
  const std::string loser_ref = GetParam() ? r2 : r1;
  for (int round = 0; round < 2; ++round) {
    auto s1 = first.Sync();
    ASSERT_TRUE(s1.ok()) << s1.status().ToString();
    auto s2 = second.Sync();
    ASSERT_TRUE(s2.ok()) << s2.status().ToString();
  }
  auto hub_store = HubStoreIfSqlite();
  std::vector<Store*> stores = {a_->store.get(), b_->store.get()};
  if (hub_store) stores.push_back(hub_store.get());
  for (Store* s : stores) {
    const std::string live =
        "SELECT count(*) FROM placement WHERE deleted = 0 AND status = 'active' AND bed_id = '" + bed_ + "'";
    EXPECT_EQ(Count(*s, live), 1);
    EXPECT_EQ(Text(*s, "SELECT referral_id FROM placement WHERE deleted = 0 AND bed_id = '" + bed_ + "'"),
              winner_ref);
    EXPECT_EQ(Text(*s, "SELECT status FROM referral WHERE id = '" + winner_ref + "'"), "placed");
    EXPECT_EQ(Text(*s, "SELECT status FROM referral WHERE id = '" + loser_ref + "'"), "sourcing")
        << "the loser's referral is back in the queue";
    EXPECT_EQ(Text(*s, "SELECT status FROM bed WHERE id = '" + bed_ + "'"), "occupied");
  }
  auto winner_conflicts = sync::ListConflicts(*first.store);
  auto loser_conflicts = sync::ListConflicts(*second.store);
  ASSERT_TRUE(winner_conflicts.ok() && loser_conflicts.ok());
  EXPECT_TRUE(winner_conflicts->empty());
  ASSERT_EQ(loser_conflicts->size(), 1u);
  EXPECT_EQ((*loser_conflicts)[0].bed_id, bed_);
  EXPECT_EQ((*loser_conflicts)[0].referral_id, loser_ref);
  EXPECT_EQ((*loser_conflicts)[0].reason_code, "bed_taken");
  EXPECT_EQ(Count(*second.store, "SELECT count(*) FROM outbox"), 0) << "nothing left blocked";
  EXPECT_EQ(DumpDomain(*a_->store, kTables), DumpDomain(*b_->store, kTables));
  if (hub_store) {
    EXPECT_EQ(DumpDomain(*hub_store, kTables), DumpDomain(*a_->store, kTables));
  }
}

INSTANTIATE_TEST_SUITE_P(EitherOrder, DoubleBooking, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? std::string("AFirst") : std::string("BFirst");
                         });

TEST_F(SyncE2e, LastDoubleUpMorningHoursGoToOneDevice) {
  const std::string agency = a_->Write("provider", "",
                                       {{"name", std::string("Ouse Valley Care")},
                                        {"kind", std::string("homecare_agency")},
                                        {"district", std::string("Huntingdonshire")}});
  const std::string cap = a_->Write("homecare_capacity", "",
                                    {{"provider_id", agency},
                                     {"zone", std::string("PE29")},
                                     {"band", std::string("morning")},
                                     {"double_up", int64_t{1}},
                                     {"hours_per_week", 10.5}});
  ASSERT_TRUE(a_->Sync().ok());
  ASSERT_TRUE(b_->Sync().ok());
  auto allocate = [&](Device& d, const std::string& who) {
    const std::string ref = d.Write("referral", "",
                                    {{"name", who},
                                     {"homecare_double_up", int64_t{1}},
                                     {"pathway", std::string("P1")},
                                     {"status", std::string("accepted")}});
    d.Write("placement", "",
            {{"referral_id", ref},
             {"homecare_capacity_id", cap},
             {"provider_id", agency},
             {"kind", std::string("homecare")},
             {"hours_per_week", 10.5},
             {"status", std::string("active")}},
            MutationKind::kClaim, "homecare_allocate");
    d.Write("referral", ref, {{"status", std::string("placed")}});
    return ref;
  };
  const std::string ra = allocate(*a_, "Person A");
  const std::string rb = allocate(*b_, "Person B");
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(b_->Sync().ok());
    ASSERT_TRUE(a_->Sync().ok());
  }
  auto hub_store = HubStoreIfSqlite();
  std::vector<Store*> stores = {a_->store.get(), b_->store.get()};
  if (hub_store) stores.push_back(hub_store.get());
  for (Store* s : stores) {
    EXPECT_EQ(Count(*s, "SELECT count(*) FROM placement WHERE deleted = 0 AND homecare_capacity_id = '" +
                            cap + "'"),
              1);
    EXPECT_EQ(Text(*s, "SELECT referral_id FROM placement WHERE deleted = 0"), rb)
        << "B synced first and won";
    EXPECT_EQ(Text(*s, "SELECT status FROM referral WHERE id = '" + ra + "'"), "sourcing");
  }
  auto conflicts = sync::ListConflicts(*a_->store);
  ASSERT_TRUE(conflicts.ok());
  ASSERT_EQ(conflicts->size(), 1u);
  EXPECT_EQ((*conflicts)[0].reason_code, "capacity_exhausted");
  EXPECT_EQ((*conflicts)[0].capacity_id, cap);
  EXPECT_EQ((*conflicts)[0].referral_id, ra);
  EXPECT_TRUE(sync::ListConflicts(*b_->store)->empty());
}

}  // namespace
}  // namespace berth::testing

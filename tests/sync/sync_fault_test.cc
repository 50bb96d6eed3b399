// Faults between a device and a real hub: connections cut at random points of pushes and pulls (through
// a cutting proxy), and the hub killed in the middle of applying a batch. Nothing may be lost, nothing
// applied twice, and the next sync completes. Built into sync_tests (the SQLite hub) and into
// sync_pg_tests, where the hub is on PostgreSQL (the kill there: hub_processes_pg_test.cc, which kills one
// of two processes).
#include <gtest/gtest.h>

#include <random>

#include "fault_proxy.h"
#include "hub_doubles.h"
#include "hub_harness.h"

namespace berth::testing {
namespace {

const std::vector<std::string> kTables = {"provider", "bed", "referral", "placement"};

// A hub served by the test, counting what it applies.
struct CountedHub {
  explicit CountedHub(HubProcess& admin)
      : live(admin, nullptr, [this](std::unique_ptr<sync::HubStorage> inner) {
          auto counting = std::make_unique<CountingHubStorage>(std::move(inner));
          counter = counting.get();
          return counting;
        }) {}
  CountingHubStorage* counter = nullptr;
  InProcessHub live;
};

TEST(SyncFaults, CutConnectionsInPushAndPullLoseNothingAndApplyNothingTwice) {
  TempDir tmp;
  HubProcess hub(tmp.Sub("hub"));
  CountedHub served(hub);
  FaultProxy proxy(served.live.port());
  auto a = Device::Create(tmp.Sub("a"));
  auto b = Device::Create(tmp.Sub("b"));
  ASSERT_TRUE(a->EnrollAt(served.live.url(), hub).ok());
  ASSERT_TRUE(b->EnrollAt(served.live.url(), hub).ok());
  const std::string home = a->Write("provider", "", {{"district", std::string("Huntingdonshire")}});
  int64_t written = 1;
  std::mt19937 rng(20261122);
  std::vector<std::string> beds;
  int failures = 0;
  for (int round = 0; round < 14; ++round) {
    for (int i = 0; i < 25; ++i) {
      if (!beds.empty() && rng() % 3 == 0) {
        a->Write("bed", beds[rng() % beds.size()], {{"room", std::to_string(rng() % 1000)}});
      } else {
        beds.push_back(a->Write("bed", "", {{"provider_id", home}, {"room", std::to_string(i)}}));
      }
      ++written;
    }
    // B changes things too, so A's pulls carry rows.
    b->Write("referral", "", {{"status", std::string("new")}});
    ++written;
    ASSERT_TRUE(b->Sync().ok());
    // Connections of one sync: 0 ping, then the push batches (of 4 entries here, so a round's push is
    // about seven batches, each sent while the one before is at the hub), then the pulls.
    int connection = static_cast<int>(rng() % 10);
    bool to_hub = rng() % 2 == 0;
    int64_t bytes = static_cast<int64_t>(rng() % 3000);
    if (round == 0) {
      // One cut that breaks the sync whatever the timing: the answer to the first push batch, which is
      // never sent ahead of another, lost after its first byte. (A random cut may fall on a batch sent
      // ahead, which the device sends again in its turn, or past the sync's last connection.)
      connection = 1;
      to_hub = false;
      bytes = 1;
    }
    proxy.CutAt(connection, to_hub, bytes);
    sync::SyncOptions cut;
    cut.hub_url = proxy.url();
    cut.max_retries = 0;
    cut.push_batch = 4;
    auto first = sync::SyncOnce(*a->store, cut);
    if (round == 0) {
      EXPECT_FALSE(first.ok()) << "the first batch's answer was cut";
    }
    if (!first.ok()) {
      ++failures;
      EXPECT_EQ(first.status().code(), Code::kNetwork) << first.status().ToString();
    }
    proxy.NoCuts();
    auto retry = sync::SyncOnce(*a->store, cut);
    ASSERT_TRUE(retry.ok()) << "round " << round << ": " << retry.status().ToString();
    EXPECT_EQ(Count(*a->store, "SELECT count(*) FROM outbox"), 0);
  }
  EXPECT_GT(proxy.cuts(), 0);
  EXPECT_GT(failures, 0) << "some cuts must have broken a sync";
  ASSERT_TRUE(b->Sync().ok());
  EXPECT_EQ(hub.HubRowCount("bed"), static_cast<int64_t>(beds.size()));
  EXPECT_EQ(served.counter->applied(), written) << "every mutation applied exactly once";
  EXPECT_EQ(DumpDomain(*a->store, kTables), DumpDomain(*b->store, kTables));
  if (hub.on_postgres()) {
    EXPECT_EQ(PostgresColumn(hub.postgres_url(), "SELECT count(*) FROM hub_rejection"),
              std::vector<std::string>{"0"});
    return;  // its rows are sealed: the devices' agreement is what is checked
  }
  auto hub_store = hub.OpenStore();
  EXPECT_EQ(Count(*hub_store, "SELECT count(*) FROM hub_rejection"), 0);
  EXPECT_EQ(DumpDomain(*a->store, kTables), DumpDomain(*hub_store, kTables));
}

TEST(SyncFaults, HubKilledMidBatchAppliesNothingOfItAndTheRetryCompletes) {
  TempDir tmp;
  HubProcess hub(tmp.Sub("hub"));
  hub.Start();
  auto a = Device::Create(tmp.Sub("a"));
  ASSERT_TRUE(a->Enroll(hub).ok());
  hub.Kill();
  hub.StartInChild([](std::unique_ptr<Store> store) {
    return std::make_unique<HubStorageThatDiesMidBatch>(std::move(store), 7);
  });
  const std::string home = a->Write("provider", "", {{"district", std::string("Huntingdonshire")}});
  for (int i = 0; i < 19; ++i) a->Write("bed", "", {{"provider_id", home}, {"room", std::to_string(i)}});
  sync::SyncOptions o;
  o.max_retries = 0;
  auto dead = sync::SyncOnce(*a->store, o);
  ASSERT_FALSE(dead.ok());
  EXPECT_EQ(dead.status().code(), Code::kNetwork);
  EXPECT_EQ(hub.WaitExit(), HubStorageThatDiesMidBatch::kExitCode) << "the hub died inside the batch";
  {
    auto hub_store = hub.OpenStore();
    EXPECT_EQ(Count(*hub_store, "SELECT count(*) FROM bed"), 0) << "the batch's transaction rolled back";
  }
  EXPECT_EQ(Count(*a->store, "SELECT count(*) FROM outbox"), 20) << "nothing acknowledged, nothing lost";
  hub.Start();
  auto done = a->Sync();
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->pushed, 20);
  EXPECT_EQ(done->applied, 20);
  EXPECT_EQ(done->duplicates, 0);
  EXPECT_EQ(Count(*a->store, "SELECT count(*) FROM outbox"), 0);
  auto hub_store = hub.OpenStore();
  EXPECT_EQ(Count(*hub_store, "SELECT count(*) FROM bed"), 19);
  EXPECT_EQ(DumpDomain(*a->store, kTables), DumpDomain(*hub_store, kTables));
}

TEST(SyncFaults, AnAnswerLostAfterTheHubCommittedIsRecoveredAsDuplicates) {
  TempDir tmp;
  HubProcess hub(tmp.Sub("hub"));
  CountedHub served(hub);
  FaultTransport network;
  auto a = Device::Create(tmp.Sub("a"));
  ASSERT_TRUE(a->EnrollAt(served.live.url(), hub).ok());
  ASSERT_TRUE(a->Sync().ok());  // the first sync also registers the courier key (PROTOCOL.md section 8)
  for (int i = 0; i < 10; ++i) a->Write("bed", "", {{"room", std::to_string(i)}});
  // The push's answer (after the ping) is lost after the hub committed.
  network.FailExchange(1, FaultTransport::Fault::kLoseAnswer);
  sync::SyncOptions o;
  o.transport = &network;
  o.max_retries = 0;
  ASSERT_FALSE(sync::SyncOnce(*a->store, o).ok());
  EXPECT_EQ(network.faults(), 1);
  EXPECT_EQ(Count(*a->store, "SELECT count(*) FROM outbox"), 10);
  network.NoFaults();
  auto again = sync::SyncOnce(*a->store, o);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->duplicates, 10);
  EXPECT_EQ(again->applied, 0);
  EXPECT_EQ(served.counter->applied(), 10);
}

// The retry after a lost answer waits its backoff on the device's clock (SyncOptions::env), so the test
// sees the wait without spending it: a first retry waits 200 ms plus up to 99 ms of jitter.
TEST(SyncFaults, ARetryWaitsItsBackoffOnTheDevicesClock) {
  TempDir tmp;
  HubProcess hub(tmp.Sub("hub"));
  CountedHub served(hub);
  FaultTransport network;
  auto a = Device::Create(tmp.Sub("a"));
  ASSERT_TRUE(a->EnrollAt(served.live.url(), hub).ok());
  ASSERT_TRUE(a->Sync().ok());
  for (int i = 0; i < 10; ++i) a->Write("bed", "", {{"room", std::to_string(i)}});
  network.FailExchange(1, FaultTransport::Fault::kLoseAnswer);  // the push's answer, after the ping
  ManualClockEnv clock(NowMs());
  sync::SyncOptions o;
  o.transport = &network;
  o.max_retries = 2;
  o.env = &clock;
  auto s = sync::SyncOnce(*a->store, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(network.faults(), 1);
  EXPECT_EQ(s->retries, 1);
  EXPECT_GE(clock.slept_ms(), 200);
  EXPECT_LT(clock.slept_ms(), 300);
  EXPECT_EQ(s->duplicates, 10) << "the retried push finds its changes applied";
  EXPECT_EQ(served.counter->applied(), 10);
  EXPECT_EQ(Count(*a->store, "SELECT count(*) FROM outbox"), 0);
}

}  // namespace
}  // namespace berth::testing

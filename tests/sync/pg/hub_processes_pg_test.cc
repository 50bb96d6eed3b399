// Several berth-hub processes on one PostgreSQL database (`berth-hub --postgres URL`), as real processes:
// any of them answers any device, a code enrols one device whichever process it is shown to, and a
// revocation made with the CLI holds on every process at once. (Two processes arbitrating one bed:
// DoubleBooking in sync_e2e_test.cc, which this binary runs on PostgreSQL.) One process killed in the
// middle of a batch while the other carries on.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "hub_harness.h"
#include "pg_server.h"
#include "pg_session.h"

namespace berth::testing {
namespace {

class PgHubProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(PgEnvironment::Get(), nullptr) << "no PostgreSQL test server";
    url_ = PgEnvironment::Get()->NewDatabase();
    a_ = std::make_unique<HubProcess>(tmp_.Sub("hub-a"), url_, /*init=*/true);
    b_ = std::make_unique<HubProcess>(tmp_.Sub("hub-b"), url_, /*init=*/false);
    a_->Start();
    b_->Start();
  }
  int Hub(const std::string& args, std::string* out) {
    return RunCommand(Program("sync/hub/berth-hub") + a_->where() + " " + args, out);
  }
  TempDir tmp_;
  std::string url_;
  std::unique_ptr<HubProcess> a_, b_;
};

TEST_F(PgHubProcesses, ACodeEnrolsOnceAndARevocationHoldsWhicheverProcessSeesThem) {
  ASSERT_NE(a_->port(), b_->port());
  const std::string code = a_->MakeCode("Broker laptop", "broker", "Fenland");
  ASSERT_FALSE(code.empty());
  auto first = Device::Create(tmp_.Sub("first"));
  auto second = Device::Create(tmp_.Sub("second"));
  ASSERT_TRUE(sync::Enroll(*first->store, b_->url(), code).ok()) << "hub B enrols with a code made on A";
  EXPECT_EQ(sync::Enroll(*second->store, a_->url(), code).status().code(), Code::kNotAuthorised)
      << "the code was used on B";
  ASSERT_TRUE(second->EnrollAt(a_->url(), *a_, "ward", "Fenland").ok());
  std::string out;
  ASSERT_EQ(Hub("devices", &out), 0) << out;
  EXPECT_NE(out.find(first->store->device_id()), std::string::npos) << out;
  EXPECT_NE(out.find(second->store->device_id()), std::string::npos) << out;
  EXPECT_NE(out.find("ward"), std::string::npos) << out;
  ASSERT_EQ(Hub("codes", &out), 0) << out;
  EXPECT_EQ(out.find("Broker laptop"), std::string::npos) << "a used code is not listed: " << out;
  // Revoked with the CLI: hub B, running since before, refuses the device, which wipes itself.
  ASSERT_EQ(a_->Revoke(first->store->device_id(), &out), 0) << out;
  EXPECT_FALSE(std::filesystem::exists(a_->dir() + "/revocations"))
      << "on PostgreSQL the revocation is the database's row, not a file beside one process";
  auto r = first->Sync(b_->url());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotAuthorised);
  EXPECT_FALSE(Store::Exists(first->dir)) << "the revoked device's key file is gone";
}

// A hub process killed while applying a batch, at a point chosen by count as the SQLite hub's kill test
// chooses it (HubStorageThatDiesMidBatch, sync_fault_test.cc). That test's seam is the update hook of the
// hub store's SQLite connection, which the PostgreSQL storage's pooled libpq connections have no
// counterpart of, so here the seam is in the database: a trigger counts the change-log entries each
// transaction writes and at the seventh waits for an advisory lock the test holds. The test sees that
// wait in pg_locks (process A is then stopped inside the batch, its transaction open) and kills A there.
TEST_F(PgHubProcesses, AProcessKilledMidBatchAppliesNothingOfItAndTheDevicesRetryOnTheOtherCompletes) {
  const std::vector<std::string> tables = {"provider", "bed", "referral"};
  auto a = Device::Create(tmp_.Sub("a"));
  auto b = Device::Create(tmp_.Sub("b"));
  ASSERT_TRUE(a->EnrollAt(a_->url(), *a_).ok());
  ASSERT_TRUE(b->EnrollAt(b_->url(), *a_).ok());
  ASSERT_TRUE(a->Sync(a_->url()).ok());  // the courier key is registered: the next sync is ping, push, pull
  ASSERT_TRUE(b->Sync(b_->url()).ok());
  PgSession test(url_);
  test.Run(R"(
    CREATE FUNCTION berth_test_stop() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE n int := coalesce(nullif(current_setting('berth_test.logged', true), ''), '0')::int + 1;
    BEGIN
      PERFORM set_config('berth_test.logged', n::text, true);
      IF n = 7 THEN PERFORM pg_advisory_xact_lock(2121); END IF;
      RETURN NULL;
    END $$;
    CREATE TRIGGER berth_test_stop AFTER INSERT ON hub_change FOR EACH ROW EXECUTE FUNCTION berth_test_stop();
    SELECT pg_advisory_lock(2121);)");
  const std::string home = a->Write("provider", "", {{"district", std::string("Huntingdonshire")}});
  for (int i = 0; i < 19; ++i) a->Write("bed", "", {{"provider_id", home}, {"room", std::to_string(i)}});
  auto dead = std::async(std::launch::async, [&] { return a->Sync(a_->url()); });
  ASSERT_TRUE(test.WaitFor("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted", "1"))
      << "hub A never reached the seventh entry of the batch";
  // Hub B carries on while A is stopped inside A's batch: B's device pushes and pulls (on PostgreSQL
  // neither waits for a push held open in the middle of its transaction).
  const std::string referral = b->Write("referral", "", {{"status", std::string("new")}});
  auto meanwhile = b->Sync(b_->url());
  ASSERT_TRUE(meanwhile.ok()) << meanwhile.status().ToString();
  EXPECT_EQ(meanwhile->applied, 1);
  EXPECT_EQ(Count(*b->store, "SELECT count(*) FROM bed"), 0) << "nothing of A's open batch is visible";
  a_->Kill();
  auto r = dead.get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNetwork);
  // A's server connection ends its transaction once it finds its client gone; dropping the trigger
  // waits for that (the transaction holds hub_change), and the retry below must not stop.
  test.Run("SELECT pg_advisory_unlock(2121); DROP TRIGGER berth_test_stop ON hub_change");
  EXPECT_EQ(a_->HubRowCount("bed"), 0) << "the killed batch's transaction rolled back";
  EXPECT_EQ(a_->HubRowCount("provider"), 0);
  EXPECT_EQ(Count(*a->store, "SELECT count(*) FROM outbox"), 20) << "nothing acknowledged, nothing lost";
  auto done = a->Sync(b_->url());
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->pushed, 20);
  EXPECT_EQ(done->applied, 20);
  EXPECT_EQ(done->duplicates, 0);
  EXPECT_EQ(Count(*a->store, "SELECT count(*) FROM outbox"), 0);
  EXPECT_EQ(Count(*a->store, "SELECT count(*) FROM referral WHERE id = '" + referral + "'"), 1);
  EXPECT_EQ(a_->HubRowCount("bed"), 19);
  ASSERT_TRUE(b->Sync(b_->url()).ok());
  EXPECT_EQ(DumpDomain(*a->store, tables), DumpDomain(*b->store, tables));
}

// Each request to the next of several hub processes in turn, as a round-robin load balancer sends them.
class RoundRobinTransport final : public sync::Transport {
 public:
  explicit RoundRobinTransport(std::vector<std::string> urls) : urls_(std::move(urls)) {}
  sync::HttpResult Post(const std::string&, const std::string& path, const sync::Bytes& body,
                        const sync::HttpTimeouts& timeouts, const std::atomic<bool>* cancel) override {
    const std::string& url = urls_[static_cast<size_t>(next_++) % urls_.size()];
    return sync::Transport::Default()->Post(url, path, body, timeouts, cancel);
  }

 private:
  std::vector<std::string> urls_;
  std::atomic<int> next_{0};
};

// A device's push batches sent ahead of the batch they follow (PROTOCOL.md section 5) land on alternate
// processes: each waits on its process until the other's commit of the batch before it shows in the
// database, so the entries are applied once each, in the device's order.
TEST_F(PgHubProcesses, PushBatchesSplitBetweenProcessesAreAppliedInTheDevicesOrder) {
  auto a = Device::Create(tmp_.Sub("a"));
  ASSERT_TRUE(a->EnrollAt(a_->url(), *a_).ok());
  ASSERT_TRUE(a->Sync(a_->url()).ok());
  RoundRobinTransport balancer({a_->url(), b_->url()});
  const std::string home = a->Write("provider", "", {{"district", std::string("Huntingdonshire")}});
  std::vector<std::string> beds;
  for (int i = 0; i < 20; ++i) {
    beds.push_back(a->Write("bed", "", {{"provider_id", home}, {"room", std::to_string(i)}}));
  }
  sync::SyncOptions o;
  o.hub_url = a_->url();
  o.push_batch = 3;  // seven batches, each sent while the one before is at the other process
  o.transport = &balancer;
  auto r = sync::SyncOnce(*a->store, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->pushed, 21);
  EXPECT_EQ(r->applied, 21);
  EXPECT_EQ(r->duplicates, 0);
  EXPECT_EQ(r->conflicts, 0);
  EXPECT_EQ(Count(*a->store, "SELECT count(*) FROM outbox"), 0);
  EXPECT_EQ(a_->HubRowCount("bed"), 20);
  const std::vector<std::string> order =
      PostgresColumn(url_, "SELECT row_id FROM hub_change WHERE entity = 'bed' ORDER BY seq");
  EXPECT_EQ(order, beds) << "the hub's change log holds the beds in the order the device wrote them";
}

// The commands alone, no hub serving.
TEST(PgHubCommands, CommandsNeedOnePlaceAndTheRightPassphrase) {
  ASSERT_NE(PgEnvironment::Get(), nullptr) << "no PostgreSQL test server";
  TempDir tmp;
  HubProcess hub(tmp.Sub("hub"), PgEnvironment::Get()->NewDatabase(), /*init=*/true);
  auto run = [&](const std::string& args, std::string* out) {
    return RunCommand(Program("sync/hub/berth-hub") + hub.where() + " " + args, out);
  };
  std::string out;
  ASSERT_EQ(run("devices", &out), 0) << out;
  EXPECT_EQ(RunCommand(Program("sync/hub/berth-hub") + " devices", &out), 1) << out;
  EXPECT_EQ(
      RunCommand(Program("sync/hub/berth-hub") + " --data " + tmp.Sub("x") + hub.where() + " devices", &out),
      1)
      << "--data and --postgres together: " << out;
  EXPECT_EQ(
      RunCommand("BERTH_HUB_PASSPHRASE=wrong " + Program("sync/hub/berth-hub") + hub.where() + " devices",
                 &out),
      3)
      << out;
  EXPECT_NE(run("init", &out), 0) << "a second init must not replace the hub's keys: " << out;
  EXPECT_NE(RunCommand(Program("sync/hub/berth-hub") +
                           " --postgres 'postgresql://postgres@127.0.0.1:1/none' devices",
                       &out),
            0)
      << out;
}

}  // namespace
}  // namespace berth::testing

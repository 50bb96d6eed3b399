// The tombstone horizon (sync/PROTOCOL.md, "Tombstones and horizon") with real berth-hub processes and real
// encrypted stores: the hub purges old tombstones at start, a device behind the horizon re-pulls a snapshot
// (resumably) and forgets the purged rows but never its unsynced data, and a device above the horizon
// keeps pulling incrementally. Built into sync_tests (the SQLite hub) and into sync_pg_tests, where the hub
// is on PostgreSQL and runs the scenarios that do not read the SQLite hub's store
// (tests/sync/CMakeLists.txt).
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "berth/schema/ids.h"
#include "berth/sync/hub_storage.h"
#include "fault_proxy.h"
#include "hub_harness.h"

namespace berth::testing {
namespace {

// The tables that sync (id, hlc, origin, deleted), as sync/src/rows.cc finds them.
std::vector<std::string> SyncedTables(Store& s) {
  std::vector<std::string> names, out;
  auto st = s.db().Prepare(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  EXPECT_TRUE(st.ok());
  if (!st.ok()) return out;
  while (true) {
    auto row = st->Step();
    if (!row.ok() || !*row) break;
    names.push_back(st->Text(0));
  }
  for (const auto& n : names) {
    if (Count(s, "SELECT count(*) FROM pragma_table_info('" + n +
                     "') WHERE name IN ('id', 'hlc', 'origin', 'deleted')") == 4) {
      out.push_back(n);
    }
  }
  return out;
}

// Every row of every synced table and every field clock: equal dumps mean identical replicas. Lines that
// name `except_row` are left out (a device above the horizon keeps a tombstone the hub has purged).
std::string State(Store& s, const std::string& except_row = "") {
  const auto tables = SyncedTables(s);
  EXPECT_GE(tables.size(), 5u);
  std::string dump = DumpDomain(s, tables);
  auto st = s.db().Prepare(
      "SELECT entity || ' ' || row_id || ' ' || field || ' ' || hlc || ' ' || origin FROM field_clock"
      " ORDER BY entity, row_id, field");
  EXPECT_TRUE(st.ok());
  while (st.ok()) {
    auto row = st->Step();
    if (!row.ok() || !*row) break;
    dump += "clock: " + st->Text(0) + "\n";
  }
  if (except_row.empty()) return dump;
  std::string out, line;
  for (char c : dump) {
    line += c;
    if (c != '\n') continue;
    if (line.find(except_row) == std::string::npos) out += line;
    line.clear();
  }
  return out;
}

uint64_t HubHorizon(Store& hub) {
  auto st = hub.db().Prepare("SELECT value FROM hub_state WHERE key = 'horizon'");
  EXPECT_TRUE(st.ok());
  if (!st.ok()) return 0;
  auto row = st->Step();
  if (!row.ok() || !*row) return 0;
  const auto blob = st->Blob(0);
  uint64_t h = 0;
  EXPECT_EQ(blob.size(), 8u);
  if (blob.size() == 8) std::memcpy(&h, blob.data(), 8);
  return h;
}

uint64_t CursorOf(Device& d) {
  auto st = sync::GetSyncStatus(*d.store);
  EXPECT_TRUE(st.ok());
  return st.ok() ? st->cursor : 0;
}

std::string SyncStateText(Device& d, const std::string& key) {
  return Text(*d.store, "SELECT CAST(value AS TEXT) FROM sync_state WHERE key = '" + key + "'");
}

class Horizon : public ::testing::Test {
 protected:
  // A provider with `beds` beds written by A; both devices synced.
  void SetUpWithBeds(int beds) {
    hub_ = std::make_unique<HubProcess>(tmp_.Sub("hub"));
    hub_->Start();
    a_ = Device::Create(tmp_.Sub("a"));
    b_ = Device::Create(tmp_.Sub("b"));
    ASSERT_TRUE(a_->Enroll(*hub_).ok());
    ASSERT_TRUE(b_->Enroll(*hub_).ok());
    provider_ = a_->Write(
        "provider", "",
        {{"name", std::string("Hinchingbrooke House")}, {"district", std::string("Huntingdonshire")}});
    for (int i = 0; i < beds; ++i) {
      beds_.push_back(a_->Write(
          "bed", "",
          {{"provider_id", provider_}, {"room", std::to_string(i)}, {"status", std::string("vacant")}}));
    }
    ASSERT_TRUE(a_->Sync().ok());
    ASSERT_TRUE(b_->Sync().ok());
    ASSERT_EQ(Count(*b_->store, "SELECT count(*) FROM bed"), beds);
  }
  void TearDown() override {
    if (hub_) hub_->Kill();
  }

  void Delete(Device& d, const std::string& bed) { d.Write("bed", bed, {}, MutationKind::kDelete); }

  // A number from the hub's own tables: `sqlite` on the SQLite hub's store, `pg` on its PostgreSQL
  // database (where a row is one sealed hub_row, its field clocks inside it).
  int64_t HubNumber(const std::string& sqlite, const std::string& pg) {
    if (hub_->on_postgres()) {
      const auto v = PostgresColumn(hub_->postgres_url(), pg);
      return v.empty() || v[0].empty() ? -1 : std::stoll(v[0]);
    }
    auto hub_store = hub_->OpenStore();
    return Count(*hub_store, sqlite);
  }
  uint64_t HubsHorizon() {
    if (hub_->on_postgres()) {
      return static_cast<uint64_t>(HubNumber("", "SELECT value FROM hub_state WHERE key = 'horizon'"));
    }
    auto hub_store = hub_->OpenStore();
    return HubHorizon(*hub_store);
  }
  // B holds exactly the hub's rows and field clocks, and A too but for the tombstone of `purged` it keeps
  // (it never fell behind). The SQLite hub's store is read directly; on PostgreSQL, whose rows are
  // sealed, B is compared with A.
  void ExpectReplicasMatchTheHub(const std::string& purged) {
    if (hub_->on_postgres()) {
      EXPECT_EQ(State(*b_->store), State(*a_->store, purged));
      return;
    }
    auto hub_store = hub_->OpenStore();
    EXPECT_EQ(State(*b_->store), State(*hub_store)) << "B holds exactly the hub's rows and clocks";
    EXPECT_EQ(State(*a_->store, purged), State(*hub_store));
  }

  void RestartHub(const std::vector<std::string>& args) {
    hub_->Terminate();
    hub_->Start({}, args);
  }

  // A deletes `bed` and syncs; the hub restarts with a zero horizon and purges that tombstone. Returns
  // the purged change's number (the new horizon).
  uint64_t DeleteAndPurge(const std::string& bed) {
    Delete(*a_, bed);
    auto s = a_->Sync();
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    const std::string change = "SELECT seq FROM hub_change WHERE deleted = 1 AND row_id = '" + bed + "'";
    const std::string pg_row = "SELECT count(*) FROM hub_row WHERE entity = 'bed' AND row_id = '" + bed + "'";
    const auto seq = static_cast<uint64_t>(HubNumber(change, change));
    EXPECT_EQ(HubNumber("SELECT count(*) FROM bed WHERE deleted = 1 AND id = '" + bed + "'",
                        pg_row + " AND deleted = 1"),
              1);
    EXPECT_GE(CursorOf(*a_), seq);
    RestartHub({"--tombstone-days", "0"});  // purges before it listens
    EXPECT_EQ(HubNumber("SELECT count(*) FROM bed WHERE id = '" + bed + "'", pg_row), 0);
    EXPECT_EQ(HubNumber("SELECT count(*) FROM field_clock WHERE row_id = '" + bed + "'", pg_row), 0);
    const std::string logged = "SELECT count(*) FROM hub_change WHERE row_id = '" + bed + "'";
    EXPECT_EQ(HubNumber(logged, logged), 0);
    EXPECT_EQ(HubsHorizon(), seq);
    return seq;
  }

  TempDir tmp_;
  std::unique_ptr<HubProcess> hub_;
  std::unique_ptr<Device> a_, b_;
  std::string provider_;
  std::vector<std::string> beds_;
};

TEST_F(Horizon, StaleDeviceTakesASnapshotAndForgetsThePurgedDelete) {
  SetUpWithBeds(4);
  // B is offline from here. A edits one bed, then deletes another (the newest change on the hub).
  a_->Write("bed", beds_[1], {{"room", std::string("1A")}});
  const uint64_t b_cursor = CursorOf(*b_);
  const uint64_t horizon = DeleteAndPurge(beds_[0]);
  ASSERT_GT(horizon, b_cursor) << "B is behind the horizon";
  // A fresh delete after the purge: the hub keeps its tombstone, and the snapshot must carry it. The purged
  // change was the newest, and the next is numbered past it all the same (a device at the horizon pulls it).
  Delete(*a_, beds_[2]);
  ASSERT_TRUE(a_->Sync().ok());
  const std::string fresh = "SELECT seq FROM hub_change WHERE row_id = '" + beds_[2] + "'";
  EXPECT_GT(HubNumber(fresh, fresh), static_cast<int64_t>(horizon));

  auto s = b_->Sync();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->snapshot) << "told snapshot_required, B re-pulled from 0";
  EXPECT_EQ(Count(*b_->store, "SELECT count(*) FROM bed WHERE id = '" + beds_[0] + "'"), 0)
      << "the purged row is gone from B";
  EXPECT_EQ(Text(*b_->store, "SELECT room FROM bed WHERE id = '" + beds_[1] + "'"), "1A");
  EXPECT_EQ(Count(*b_->store, "SELECT deleted FROM bed WHERE id = '" + beds_[2] + "'"), 1)
      << "the hub's unpurged tombstone reached B";
  EXPECT_EQ(SyncStateText(*b_, "snapshot_in_progress"), "0");
  EXPECT_EQ(Count(*b_->store, "SELECT count(*) FROM sync_state WHERE key LIKE 'snapshot_seen:%'"), 0);
  ExpectReplicasMatchTheHub(beds_[0]);
  EXPECT_GE(s->cursor, horizon);
  const std::string last = "SELECT max(seq) FROM hub_change";
  EXPECT_EQ(static_cast<int64_t>(s->cursor), HubNumber(last, last));
  EXPECT_EQ(CursorOf(*b_), s->cursor);

  // The next syncs are ordinary incremental ones with nothing to pull.
  auto again = b_->Sync();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->snapshot) << "the cursor is past the horizon now";
  EXPECT_EQ(again->pulled_rows, 0);
  EXPECT_EQ(again->pull_pages, 1);
  auto a_again = a_->Sync();
  ASSERT_TRUE(a_again.ok());
  EXPECT_FALSE(a_again->snapshot);
}

TEST_F(Horizon, UnsyncedLocalChangesSurviveTheSnapshot) {
  SetUpWithBeds(4);
  // B, offline, changes things it will not have pushed when its snapshot finishes.
  b_->Write("bed", beds_[3], {{"room", std::string("3B")}});  // pushed before the snapshot
  b_->Write("bed", beds_[1], {{"room", std::string("1B")}});  // pending during the snapshot
  b_->Write("bed", beds_[2], {{"room", std::string("2B")}});  // pending; A deletes this bed later
  const std::string local = b_->Write("bed", "",
                                      {{"provider_id", provider_},
                                       {"room", std::string("L")},
                                       {"status", std::string("vacant")}});  // exists only on B
  const uint64_t horizon = DeleteAndPurge(beds_[0]);
  ASSERT_GT(horizon, CursorOf(*b_));
  Delete(*a_, beds_[2]);
  ASSERT_TRUE(a_->Sync().ok());

  // One outbox entry per push batch and one batch per round: the snapshot runs with three entries pending.
  sync::SyncOptions slow;
  slow.push_batch = 1;
  slow.max_push_batches = 1;
  slow.max_retries = 1;
  auto s = sync::SyncOnce(*b_->store, slow);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE(s->snapshot);
  EXPECT_EQ(s->pushed, 2) << "one entry before the snapshot, one in the session's second round";
  EXPECT_EQ(Count(*b_->store, "SELECT count(*) FROM outbox"), 2);
  EXPECT_EQ(Count(*b_->store, "SELECT count(*) FROM bed WHERE id = '" + beds_[0] + "'"), 0);
  EXPECT_EQ(Text(*b_->store, "SELECT room FROM bed WHERE id = '" + beds_[1] + "'"), "1B")
      << "the edit pending during the snapshot was kept (and pushed after it)";
  EXPECT_EQ(Text(*b_->store, "SELECT room || '/' || status FROM bed WHERE id = '" + local + "'"), "L/vacant")
      << "a row that exists only on B, unsynced, is not removed";
  EXPECT_EQ(Count(*b_->store, "SELECT deleted FROM bed WHERE id = '" + beds_[2] + "'"), 1)
      << "A's newer delete wins over B's pending edit, on B too";

  // Everything left goes out on the next syncs; all three replicas converge.
  auto rest = b_->Sync();
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_FALSE(rest->snapshot);
  EXPECT_EQ(rest->pushed, 2);
  EXPECT_EQ(rest->rejected, 0);
  EXPECT_EQ(Count(*b_->store, "SELECT count(*) FROM outbox"), 0);
  ASSERT_TRUE(a_->Sync().ok());
  ASSERT_TRUE(b_->Sync().ok());
  auto hub_store = hub_->OpenStore();
  for (Store* st : {a_->store.get(), b_->store.get(), hub_store.get()}) {
    EXPECT_EQ(Text(*st, "SELECT room FROM bed WHERE id = '" + beds_[3] + "'"), "3B");
    EXPECT_EQ(Text(*st, "SELECT room FROM bed WHERE id = '" + beds_[1] + "'"), "1B");
    EXPECT_EQ(Text(*st, "SELECT room || '/' || deleted FROM bed WHERE id = '" + local + "'"), "L/0");
    EXPECT_EQ(Count(*st, "SELECT deleted FROM bed WHERE id = '" + beds_[2] + "'"), 1);
  }
  EXPECT_EQ(State(*b_->store), State(*hub_store));
  EXPECT_EQ(State(*a_->store, beds_[0]), State(*hub_store));
}

// A laptop enrolled after a purge pulls from 0: its second page asks from a cursor below the horizon, which
// the hub answers with snapshot_required. Everything it holds came in this pull, so it carries on from there
// with snapshot pages (tombstones included) instead of starting again from 0: each row comes once, and
// there is no snapshot to remember or rows to forget.
TEST_F(Horizon, ADeviceEnrolledAfterAPurgePullsEachRowOnce) {
  SetUpWithBeds(6);
  const uint64_t horizon = DeleteAndPurge(beds_[5]);  // the newest change: the horizon is past every row
  Delete(*a_, beds_[4]);                              // a tombstone the hub keeps
  ASSERT_TRUE(a_->Sync().ok());
  auto c = Device::Create(tmp_.Sub("c"));
  ASSERT_TRUE(c->Enroll(*hub_).ok());
  sync::SyncOptions pages;
  pages.pull_page = 2;
  pages.max_retries = 1;
  auto s = sync::SyncOnce(*c->store, pages);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->snapshot) << "a pull from 0 is not sent back to 0";
  // The provider, five beds (one of them a tombstone) and the settings the hub holds, each once.
  const std::string rows = "SELECT count(*) FROM hub_change WHERE entity <> ''";
  const std::string pg_rows = "SELECT count(*) FROM hub_row";
  EXPECT_EQ(s->pulled_rows, HubNumber(rows, pg_rows));
  EXPECT_GE(s->cursor, horizon);
  EXPECT_EQ(Count(*c->store, "SELECT deleted FROM bed WHERE id = '" + beds_[4] + "'"), 1);
  EXPECT_EQ(Count(*c->store, "SELECT count(*) FROM bed WHERE id = '" + beds_[5] + "'"), 0);
  EXPECT_EQ(Count(*c->store, "SELECT count(*) FROM sync_state WHERE key LIKE 'snapshot%'"), 0)
      << "no snapshot was begun, so none is remembered";
  if (hub_->on_postgres()) {
    EXPECT_EQ(State(*c->store), State(*a_->store, beds_[5]))
        << "C holds what A holds but the purged tombstone";
  } else {
    EXPECT_EQ(State(*c->store), State(*hub_->OpenStore())) << "C holds exactly the hub's rows and clocks";
  }
  auto again = sync::SyncOnce(*c->store, pages);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->snapshot);
  EXPECT_EQ(again->pulled_rows, 0);
}

enum class Interruption { kAnswerCut, kRequestCut, kHubKilled };

class InterruptedSnapshot : public Horizon, public ::testing::WithParamInterface<Interruption> {};

TEST_P(InterruptedSnapshot, ResumesOnTheNextSyncAndEndsInTheSameState) {
  SetUpWithBeds(24);
  a_->Write("bed", beds_[5], {{"room", std::string("5A")}});
  const uint64_t horizon = DeleteAndPurge(beds_[0]);
  FaultProxy proxy(hub_->port());
  sync::SyncOptions o;
  o.hub_url = proxy.url();
  o.pull_page = 4;  // 24 live rows: 6 full snapshot pages and an empty last one
  o.max_retries = 0;
  // Connections of B's sync (its outbox is empty): 0 ping, 1 pull (snapshot_required), 2.. snapshot pages.
  int pulls = 0;
  sync::ProgressFn kill_hub;
  switch (GetParam()) {
    case Interruption::kAnswerCut:
      proxy.CutAt(4, /*to_hub=*/false, 10);  // the third page's answer is lost
      break;
    case Interruption::kRequestCut:
      proxy.CutAt(5, /*to_hub=*/true, 100);  // the fourth page's request is cut
      break;
    case Interruption::kHubKilled:
      kill_hub = [&](const sync::SyncProgress& p) {
        if (p.phase == std::string("pull") && ++pulls == 5) hub_->Kill();  // before the fourth page
      };
      break;
  }
  auto cut = sync::SyncOnce(*b_->store, o, kill_hub);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.status().code(), Code::kNetwork) << cut.status().ToString();
  EXPECT_EQ(SyncStateText(*b_, "snapshot_in_progress"), "1") << "the snapshot is remembered";
  const uint64_t part = CursorOf(*b_);
  EXPECT_GT(part, 0u) << "the pages before the cut were applied";
  EXPECT_LT(part, horizon);
  EXPECT_EQ(Count(*b_->store, "SELECT count(*) FROM bed WHERE id = '" + beds_[0] + "'"), 1)
      << "nothing is removed before the last snapshot page";
  EXPECT_GT(Count(*b_->store, "SELECT count(*) FROM sync_state WHERE key LIKE 'snapshot_seen:%'"), 0);
  if (GetParam() == Interruption::kHubKilled) {
    // The sync asks for each page while it applies the one before (PROTOCOL.md section 8), so the fourth
    // page may already be in hand when the hub dies; then the fifth page's request is the one that fails.
    EXPECT_TRUE(pulls == 5 || pulls == 6) << pulls;
    hub_->Start();
  }

  proxy.NoCuts();
  auto resumed = sync::SyncOnce(*b_->store, o);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_TRUE(resumed->snapshot);
  EXPECT_LT(resumed->pull_pages, 7) << "resumed from the last applied page, not from 0";
  EXPECT_EQ(Count(*b_->store, "SELECT count(*) FROM bed WHERE id = '" + beds_[0] + "'"), 0);
  EXPECT_EQ(Text(*b_->store, "SELECT room FROM bed WHERE id = '" + beds_[5] + "'"), "5A");
  EXPECT_EQ(Count(*b_->store, "SELECT count(*) FROM bed"), 23);
  EXPECT_EQ(SyncStateText(*b_, "snapshot_in_progress"), "0");
  EXPECT_EQ(Count(*b_->store, "SELECT count(*) FROM sync_state WHERE key LIKE 'snapshot_seen:%'"), 0);
  EXPECT_GE(resumed->cursor, horizon);
  ExpectReplicasMatchTheHub(beds_[0]);
  auto after = sync::SyncOnce(*b_->store, o);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->snapshot);
  EXPECT_EQ(after->pulled_rows, 0);
}

INSTANTIATE_TEST_SUITE_P(Horizon, InterruptedSnapshot,
                         ::testing::Values(Interruption::kAnswerCut, Interruption::kRequestCut,
                                           Interruption::kHubKilled),
                         [](const ::testing::TestParamInfo<Interruption>& p) {
                           switch (p.param) {
                             case Interruption::kAnswerCut:
                               return std::string("AnswerCut");
                             case Interruption::kRequestCut:
                               return std::string("RequestCut");
                             case Interruption::kHubKilled:
                               break;
                           }
                           return std::string("HubKilled");
                         });

TEST_F(Horizon, PurgeRemovesOnlyTombstonesOlderThanTheHorizon) {
  SetUpWithBeds(3);
  // The hub's clock is the test's: the first tombstone is stamped before `cutoff`, the second at it.
  hub_->Terminate();
  ManualClockEnv clock(NowMs());
  int64_t cutoff = 0;
  uint64_t b_cursor = 0;
  {
    InProcessHub live(hub_->dir(), &clock);
    Delete(*a_, beds_[0]);
    ASSERT_TRUE(a_->Sync(live.url()).ok());
    ASSERT_TRUE(b_->Sync(live.url()).ok());  // B has seen the first delete
    b_cursor = CursorOf(*b_);
    clock.Advance(1);
    cutoff = clock.NowMs();
    Delete(*a_, beds_[1]);
    ASSERT_TRUE(a_->Sync(live.url()).ok());
  }
  uint64_t horizon = 0;
  {
    auto storage = sync::MakeSqliteHubStorage(hub_->OpenStore());
    auto purged = storage->PurgeTombstones(cutoff);
    ASSERT_TRUE(purged.ok()) << purged.status().ToString();
    EXPECT_EQ(*purged, 1);
  }
  {
    auto hub_store = hub_->OpenStore();
    EXPECT_EQ(Count(*hub_store, "SELECT count(*) FROM bed WHERE id = '" + beds_[0] + "'"), 0);
    EXPECT_EQ(Count(*hub_store, "SELECT deleted FROM bed WHERE id = '" + beds_[1] + "'"), 1);
    horizon = HubHorizon(*hub_store);
    EXPECT_GT(horizon, 0u);
    EXPECT_LE(horizon, b_cursor) << "B's cursor is above the horizon";
  }
  // The fresh tombstone survives restarts with the default horizon and with one day.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, std::vector<std::string>{"--tombstone-days", "1"}}) {
    hub_->Start({}, args);
    auto hub_store = hub_->OpenStore();
    EXPECT_EQ(Count(*hub_store, "SELECT deleted FROM bed WHERE id = '" + beds_[1] + "'"), 1);
    EXPECT_EQ(HubHorizon(*hub_store), horizon);
    hub_store.reset();
    hub_->Terminate();
  }
  hub_->Start();
  auto s = b_->Sync();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE(s->snapshot) << "a device above the horizon pulls incrementally";
  EXPECT_EQ(s->pulled_rows, 1) << "just the fresh tombstone";
  EXPECT_EQ(Count(*b_->store, "SELECT deleted FROM bed WHERE id = '" + beds_[1] + "'"), 1);
  EXPECT_EQ(Count(*b_->store, "SELECT deleted FROM bed WHERE id = '" + beds_[0] + "'"), 1)
      << "B keeps the tombstone it had pulled before the purge";
  auto hub_store = hub_->OpenStore();
  EXPECT_EQ(State(*b_->store, beds_[0]), State(*hub_store));
}

TEST(HorizonCli, ANegativeHorizonIsRefused) {
  TempDir tmp;
  HubProcess hub(tmp.Sub("hub"));
  std::string out;
  const int rc = RunCommand(Program("sync/hub/berth-hub") + " --data " + hub.dir() +
                                " serve --listen 127.0.0.1:0 --tombstone-days=-1",
                            &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("--tombstone-days"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::testing

// The SQLite hub's change log (PROTOCOL.md section 10), driven through the storage's interface with a
// real encrypted store: every row numbered by its one entry (kHubSeqColumn), a store from before the
// numbers numbered when it opens, the column never synced; and a device's pull stepping over its own latest
// run of echo-suppressed entries ("A device's own run"), which must never cost a device a change that is
// not its own echo: another device's entries after, between and inside its pushes, its own rows edited by
// others, its own changes it must pull (echo not free), pages that end inside or before the run,
// snapshots, and a push rolled back after taking change numbers that the next push then takes again.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "berth/schema/ids.h"
#include "berth/schema/store.h"
#include "berth/sync/crypto.h"
#include "berth/sync/hub_storage.h"
#include "support/test_support.h"

namespace berth::sync {
namespace {

class HubChangeLog : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    Secret recovery;
    auto store = Store::Create(tmp_.Sub("hub"), Secret("hub passphrase for tests"), &recovery, o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE(InitHubStore(**store).ok());
    hub_ = MakeSqliteHubStorage(std::move(store).value());
    a_ = Enrolled();
    b_ = Enrolled();
  }

  DeviceRecord Enrolled() {
    const std::string code = *NormaliseCode(NewEnrollmentCode());
    const Bytes id = CodeId(code);
    const int64_t now = Env::Default()->NowMs();
    EXPECT_TRUE(
        hub_->AddCode(id, CodeKeysFromCode(code).verifier, "laptop", "broker", "Fenland", now + 3600000)
            .ok());
    const auto keys = KeyPairs::Generate();
    auto dev = hub_->EnrollDevice(id, NewUuidV7(), keys.sign_pk, keys.kx_pk, now);
    EXPECT_TRUE(dev.ok()) << dev.status().ToString();
    return dev.ok() ? *dev : DeviceRecord{};
  }

  // A change made by `dev`; the outbox numbers of each device count from 1.
  OutboxEntry Change(const DeviceRecord& dev, const std::string& entity, const std::string& row_id,
                     std::map<std::string, Value> fields) {
    OutboxEntry e;
    e.seq = ++outbox_seq_[dev.device_id];
    e.mutation.mutation_id = NewUuidV7();
    e.mutation.entity = entity;
    e.mutation.row_id = row_id;
    e.mutation.hlc = Hlc{Env::Default()->NowMs(), ++tick_}.ToString();
    e.mutation.origin_device = dev.device_id;
    e.mutation.fields = std::move(fields);
    return e;
  }
  OutboxEntry NewBed(const DeviceRecord& dev, const std::string& room) {
    return Change(dev, "bed", NewUuidV7(), {{"provider_id", provider_}, {"room", room}});
  }

  // Pushes `entries` as `dev` at its cursor; every entry must be applied.
  void Push(const DeviceRecord& dev, std::vector<OutboxEntry> entries) {
    PushRequest req;
    req.cursor = cursor_[dev.device_id];
    req.entries = std::move(entries);
    PushStats stats;
    auto out = hub_->Push(*hub_->GetDevice(dev.device_id), req, Env::Default()->NowMs(), &stats);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_EQ(stats.applied, static_cast<int64_t>(req.entries.size()));
  }

  // Pulls as `dev` from its cursor, in pages of `page` rows, to the end; returns each row's room (or its
  // entity when it has none), in the order pulled, and moves the device's cursor.
  std::vector<std::string> PullAll(const DeviceRecord& dev, uint32_t page = 5000) {
    std::vector<std::string> got;
    for (int pages = 0; pages < 100; ++pages) {
      PullRequest req;
      req.cursor = cursor_[dev.device_id];
      req.max_rows = page;
      auto out = hub_->Pull(*hub_->GetDevice(dev.device_id), req);
      EXPECT_TRUE(out.ok()) << out.status().ToString();
      if (!out.ok()) break;
      EXPECT_GE(out->next_cursor, req.cursor) << "a cursor never goes back";
      for (const RowState& row : out->rows) got.push_back(Room(row));
      cursor_[dev.device_id] = out->next_cursor;
      if (!out->more) return got;
    }
    ADD_FAILURE() << "the pull did not end";
    return got;
  }

  // The change log as a device that never pushed sees it, one page a row: each entry's number and room.
  std::vector<std::pair<uint64_t, std::string>> Log() {
    const DeviceRecord observer = Enrolled();
    std::vector<std::pair<uint64_t, std::string>> log;
    PullRequest req;
    req.max_rows = 1;
    for (int rows = 0; rows < 1000; ++rows) {
      auto out = hub_->Pull(*hub_->GetDevice(observer.device_id), req);
      EXPECT_TRUE(out.ok()) << out.status().ToString();
      if (!out.ok()) break;
      for (const RowState& row : out->rows) log.emplace_back(out->next_cursor, Room(row));
      if (!out->more) break;
      req.cursor = out->next_cursor;
    }
    return log;
  }

  static std::string Room(const RowState& row) {
    for (const auto& f : row.fields) {
      if (f.name == "room") return std::get<std::string>(f.value);
    }
    return row.entity;
  }

  // The provider every bed belongs to, pushed by `dev` (its district puts its beds in the devices' area).
  void SeedProvider(const DeviceRecord& dev) {
    provider_ = NewUuidV7();
    Push(dev, {Change(dev, "provider", provider_,
                      {{"name", std::string("Fen Lodge")}, {"district", std::string("Fenland")}})});
  }

  // Closes the hub, runs `body` on its store, and opens the hub again.
  void WithHubClosed(const std::function<void(Store&)>& body) {
    hub_.reset();
    {
      auto store = Store::Open(tmp_.Sub("hub"), Secret("hub passphrase for tests"), Options());
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      body(**store);
    }
    auto store = Store::Open(tmp_.Sub("hub"), Secret("hub passphrase for tests"), Options());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    hub_ = MakeSqliteHubStorage(std::move(store).value());
  }
  static StoreOptions Options() {
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    return o;
  }
  static int64_t Count(Store& s, const std::string& sql) {
    auto n = s.db().QueryInt(sql);
    EXPECT_TRUE(n.ok()) << n.status().ToString() << ": " << sql;
    return n.ok() ? *n : -1;
  }
  // Every row of `table` is numbered by the one change-log entry that names it, and no entry names a row
  // the table lacks.
  static void ExpectEachRowNumberedByItsOneEntry(Store& s, const std::string& table) {
    EXPECT_EQ(Count(s, "SELECT count(*) FROM \"" + table +
                           "\" r WHERE (SELECT count(*) FROM hub_change c"
                           " WHERE c.entity = '" +
                           table + "' AND c.row_id = r.id) <> 1"),
              0)
        << table << ": a row with no entry or with more than one";
    EXPECT_EQ(Count(s, "SELECT count(*) FROM \"" + table +
                           "\" r WHERE r.hub_seq IS NULL OR NOT EXISTS"
                           " (SELECT 1 FROM hub_change c WHERE c.seq = r.hub_seq AND c.entity = '" +
                           table + "' AND c.row_id = r.id)"),
              0)
        << table << ": a row numbered by another entry";
    EXPECT_EQ(Count(s, "SELECT count(*) FROM hub_change c WHERE c.entity = '" + table +
                           "' AND NOT EXISTS (SELECT 1 FROM \"" + table + "\" r WHERE r.id = c.row_id)"),
              0)
        << table << ": an entry for a row the hub does not hold";
  }

  testing::TempDir tmp_;
  std::unique_ptr<HubStorage> hub_;
  DeviceRecord a_, b_;
  std::string provider_;
  std::map<std::string, uint64_t> outbox_seq_, cursor_;
  uint32_t tick_ = 0;
};

using Rooms = std::vector<std::string>;

TEST_F(HubChangeLog, ADevicePullsEveryoneElsesChangesAroundItsOwnRunsAndNoneOfItsOwn) {
  SeedProvider(b_);
  Push(a_, {NewBed(a_, "a1"), NewBed(a_, "a2")});
  Push(a_, {NewBed(a_, "a3")});  // the run goes on
  Push(b_, {NewBed(b_, "b1")});
  Push(a_, {NewBed(a_, "a4"), NewBed(a_, "a5")});  // a new run, after b1
  Push(b_, {NewBed(b_, "b2")});

  EXPECT_EQ(PullAll(a_), (Rooms{"provider", "b1", "b2"}));
  EXPECT_EQ(PullAll(b_), (Rooms{"a1", "a2", "a3", "a4", "a5"}));
  EXPECT_EQ(PullAll(a_), Rooms{}) << "nothing new";
  EXPECT_EQ(PullAll(b_), Rooms{});
}

TEST_F(HubChangeLog, PagesThatEndBeforeOrInsideTheRunLoseNothing) {
  SeedProvider(b_);
  Push(b_, {NewBed(b_, "b1"), NewBed(b_, "b2"), NewBed(b_, "b3")});
  Push(a_, {NewBed(a_, "a1"), NewBed(a_, "a2"), NewBed(a_, "a3")});
  Push(a_, {NewBed(a_, "a4")});
  Push(b_, {NewBed(b_, "b4"), NewBed(b_, "b5")});
  const Rooms want = {"provider", "b1", "b2", "b3", "b4", "b5"};
  for (uint32_t page : {1u, 2u, 3u, 4u}) {
    cursor_[a_.device_id] = 0;
    EXPECT_EQ(PullAll(a_, page), want) << "pages of " << page;
  }
  // From every cursor a page can leave, before, inside and after a's run: what b wrote past it.
  const auto log = Log();
  ASSERT_EQ(log.size(), 10u);
  for (uint64_t cursor = 0; cursor <= log.back().first; ++cursor) {
    Rooms tail;
    for (const auto& [seq, room] : log) {
      if (seq > cursor && room[0] != 'a') tail.push_back(room);
    }
    cursor_[a_.device_id] = cursor;
    EXPECT_EQ(PullAll(a_, 2), tail) << "from cursor " << cursor;
  }
}

TEST_F(HubChangeLog, ItsOwnRowsChangedByOthersAndItsChangesThatAreNotEchoFreeArePulled) {
  SeedProvider(b_);
  const OutboxEntry mine = NewBed(a_, "a1");
  Push(a_, {mine, NewBed(a_, "a2")});
  // b edits a1 (its entry moves out of a's run to the end of the log).
  Push(b_, {Change(b_, "bed", mine.mutation.row_id, {{"room", std::string("a1 by b")}})});
  const OutboxEntry theirs = NewBed(b_, "b1");
  Push(b_, {theirs});
  // a edits b1 without having pulled it: a must pull b1 back, merged; and its run must not cover it.
  Push(a_, {Change(a_, "bed", theirs.mutation.row_id, {{"weekly_rate_pence", int64_t{99000}}}),
            NewBed(a_, "a3")});
  EXPECT_EQ(PullAll(a_), (Rooms{"provider", "a1 by b", "b1"}));
}

TEST_F(HubChangeLog, ASnapshotCarriesTheDevicesOwnRowsToo) {
  SeedProvider(b_);
  Push(a_, {NewBed(a_, "a1"), NewBed(a_, "a2")});
  PullRequest req;
  req.snapshot = 1;
  auto out = hub_->Pull(*hub_->GetDevice(a_.device_id), req);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Rooms got;
  for (const RowState& row : out->rows) got.push_back(Room(row));
  EXPECT_EQ(got, (Rooms{"provider", "a1", "a2"}));
}

// A push that fails after logging entries is rolled back, and the change numbers it took are taken again
// by the next push, here another device's: a run recorded from the failed push would hide those.
TEST_F(HubChangeLog, APushRolledBackRecordsNoRun) {
  SeedProvider(b_);
  Push(a_, {NewBed(a_, "a1")});
  PushRequest bad;
  bad.cursor = cursor_[a_.device_id];
  bad.entries = {NewBed(a_, "lost 1"), NewBed(a_, "lost 2")};
  bad.entries.push_back(bad.entries.front());  // out of order: refused after two entries were logged
  PushStats stats;
  auto refused = hub_->Push(*hub_->GetDevice(a_.device_id), bad, Env::Default()->NowMs(), &stats);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kBadInput);
  Push(b_, {NewBed(b_, "b1"), NewBed(b_, "b2")});
  EXPECT_EQ(PullAll(a_), (Rooms{"provider", "b1", "b2"}));
}

// The runs live in the process: a hub started again has none, and its pulls give the same answers.
TEST_F(HubChangeLog, AHubStartedAgainGivesTheSameAnswers) {
  SeedProvider(b_);
  Push(a_, {NewBed(a_, "a1")});
  Push(b_, {NewBed(b_, "b1")});
  hub_.reset();
  StoreOptions o;
  o.kdf = KdfParams::Fast();
  auto store = Store::Open(tmp_.Sub("hub"), Secret("hub passphrase for tests"), o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  hub_ = MakeSqliteHubStorage(std::move(store).value());
  EXPECT_EQ(PullAll(a_), (Rooms{"provider", "b1"}));
}

// Edits by the writer and by others, a delete, and a change of a row the hub never had: each row keeps
// exactly one entry, and its number is the row's.
TEST_F(HubChangeLog, EveryRowIsNumberedByItsOneEntry) {
  SeedProvider(b_);
  const OutboxEntry bed = NewBed(a_, "a1");
  const OutboxEntry other = NewBed(a_, "a2");
  Push(a_, {bed, other, Change(a_, "bed", bed.mutation.row_id, {{"room", std::string("a1, again")}})});
  Push(b_, {Change(b_, "bed", bed.mutation.row_id, {{"weekly_rate_pence", int64_t{91000}}})});
  OutboxEntry gone = Change(a_, "bed", other.mutation.row_id, {});
  gone.mutation.kind = MutationKind::kDelete;
  OutboxEntry never = Change(a_, "bed", NewUuidV7(), {});
  never.mutation.kind = MutationKind::kDelete;
  Push(a_, {gone, never});
  EXPECT_EQ(PullAll(b_), (Rooms{"a1, again", "a2"})) << "the delete travels as a tombstone; the other, not";
  WithHubClosed([&](Store& s) {
    ExpectEachRowNumberedByItsOneEntry(s, "bed");
    ExpectEachRowNumberedByItsOneEntry(s, "provider");
    EXPECT_EQ(Count(s, "SELECT count(*) FROM hub_change WHERE row_id = '" + never.mutation.row_id + "'"), 0)
        << "a delete of a row the hub never had is applied and logs nothing";
    EXPECT_EQ(Count(s, "SELECT count(*) FROM sqlite_master WHERE name = 'hub_change_by_row'"), 0);
  });
}

// A hub store from before the numbers (no kHubSeqColumn, the change log indexed by row) is numbered when it
// opens, and goes on as if it had always been.
TEST_F(HubChangeLog, AStoreFromBeforeTheNumbersIsNumberedWhenItOpens) {
  SeedProvider(b_);
  const OutboxEntry bed = NewBed(a_, "a1");
  Push(a_, {bed, NewBed(a_, "a2")});
  WithHubClosed([&](Store& s) {
    for (const char* table : {"bed", "provider", "referral"}) {
      ASSERT_TRUE(s.db().Exec(std::string("ALTER TABLE ") + table + " DROP COLUMN hub_seq").ok());
    }
    ASSERT_TRUE(s.db().Exec("CREATE UNIQUE INDEX hub_change_by_row ON hub_change (entity, row_id)").ok());
  });
  WithHubClosed([&](Store& s) {
    ExpectEachRowNumberedByItsOneEntry(s, "bed");
    ExpectEachRowNumberedByItsOneEntry(s, "provider");
  });
  Push(b_, {Change(b_, "bed", bed.mutation.row_id, {{"room", std::string("a1 by b")}})});
  EXPECT_EQ(PullAll(a_), (Rooms{"provider", "a1 by b"}));
  WithHubClosed([&](Store& s) { ExpectEachRowNumberedByItsOneEntry(s, "bed"); });
}

// The number is the hub's own: a device cannot push it, and pulls never carry it.
TEST_F(HubChangeLog, TheRowsNumberNeverSyncs) {
  SeedProvider(b_);
  PushRequest req;
  req.entries = {Change(a_, "bed", NewUuidV7(), {{"provider_id", provider_}, {"hub_seq", int64_t{1}}})};
  PushStats stats;
  auto out = hub_->Push(*hub_->GetDevice(a_.device_id), req, Env::Default()->NowMs(), &stats);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->results.size(), 1u);
  EXPECT_EQ(out->results[0].outcome, static_cast<uint8_t>(Outcome::kRejected));
  EXPECT_EQ(out->results[0].reason_code, "bad_mutation");
  Push(b_, {NewBed(b_, "b1")});
  auto pulled = hub_->Pull(*hub_->GetDevice(a_.device_id), PullRequest{});
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  ASSERT_EQ(pulled->rows.size(), 2u);
  for (const RowState& row : pulled->rows) {
    for (const auto& f : row.fields) EXPECT_NE(f.name, "hub_seq") << row.entity;
  }
}

}  // namespace
}  // namespace berth::sync

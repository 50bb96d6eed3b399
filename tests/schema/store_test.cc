// The store suite. Every test runs twice: on the encrypting VFS and on SQLite's plain default VFS, to
// prove the encryption changes nothing but the bytes on disk.
#include "berth/schema/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>

#include "support/store_fixture.h"
#include "support/test_support.h"

namespace berth {
namespace {

using testing::FileContains;
using testing::ListFiles;

class StoreTest : public testing::StoreFixture {};

TEST(Hlc, ParsesWhatToStringWritesAndRefusesAnythingElse) {
  for (const Hlc h : {Hlc{0, 0}, Hlc{1700000000123, 7}, Hlc{0x7fffffffffffffff, 0xffff}}) {
    auto back = Hlc::Parse(h.ToString());
    ASSERT_TRUE(back.ok()) << h.ToString();
    EXPECT_EQ(back->wall_ms, h.wall_ms);
    EXPECT_EQ(back->counter, h.counter);
  }
  EXPECT_EQ(Hlc::Parse("0000018bcfe56800-00a1")->counter, 0xa1u);
  for (const char* bad :
       {"", "x", "0000018bcfe56800-00a", "0000018bcfe56800+00a1", " 000018bcfe56800-00a1",
        "0000018bcfe5680g-00a1", "0000018bcfe56800-00g1", "-000018bcfe56800-00a1", "0000018bcfe56800- 0a1"}) {
    EXPECT_EQ(Hlc::Parse(bad).status().code(), Code::kBadInput) << bad;
  }
}

TEST_P(StoreTest, CreateThenReopenKeepsRowsAndDeviceId) {
  std::string device;
  {
    auto store = CreateStore();
    device = store->device_id();
    ASSERT_TRUE(IsUuid(device));
    ASSERT_TRUE(store->SetSetting("hold_hours", "4").ok());
  }
  auto store = OpenStore();
  EXPECT_EQ(store->device_id(), device);
  auto v = store->GetSetting("hold_hours");
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->has_value());
  EXPECT_EQ(**v, "4");
}

TEST_P(StoreTest, WrongPassphraseIsRefusedAndChangesNothing) {
  { auto store = CreateStore(); }
  const auto before = SnapshotFiles();
  auto r = Store::Open(dir(), Secret("not the passphrase"), options());
  EXPECT_EQ(r.status().code(), Code::kWrongPassphrase);
  EXPECT_EQ(ExitCode(r.status().code()), 3);
  EXPECT_EQ(SnapshotFiles(), before);
}

TEST_P(StoreTest, CreateRefusesADirectoryThatAlreadyHoldsAStore) {
  { auto store = CreateStore(); }
  Secret recovery;
  auto again = Store::Create(dir(), Secret("another"), &recovery, options());
  EXPECT_EQ(again.status().code(), Code::kConflict);
  EXPECT_TRUE(OpenStore() != nullptr);  // the original still opens with its own passphrase
}

TEST_P(StoreTest, WriteAppendsOutboxAndAuditInTheSameTransaction) {
  auto store = CreateStore();
  Mutation m;
  m.entity = "setting";
  m.row_id = "auto_lock_minutes";
  m.fields["value"] = std::string("10");
  ASSERT_TRUE(store->Write(m).ok());
  auto outbox = store->db().QueryInt("SELECT count(*) FROM outbox WHERE entity = 'setting'");
  ASSERT_TRUE(outbox.ok());
  EXPECT_EQ(*outbox, 1);
  auto trail = store->AuditTrail("setting", "auto_lock_minutes");
  ASSERT_TRUE(trail.ok());
  ASSERT_EQ(trail->size(), 1u);
  EXPECT_EQ((*trail)[0].action, "write");
  EXPECT_EQ((*trail)[0].detail, "value");
  EXPECT_EQ((*trail)[0].device_id, store->device_id());
}

TEST_P(StoreTest, WriteRefusesUnknownTablesAndFieldsAndWritesNothing) {
  auto store = CreateStore();
  Mutation bad_table;
  bad_table.entity = "no_such_table";
  bad_table.fields["x"] = int64_t{1};
  EXPECT_EQ(store->Write(bad_table).code(), Code::kBadInput);
  Mutation bad_field;
  bad_field.entity = "setting";
  bad_field.row_id = "k";
  bad_field.fields["colour"] = std::string("red");
  EXPECT_EQ(store->Write(bad_field).code(), Code::kBadInput);
  EXPECT_EQ(*store->db().QueryInt("SELECT count(*) FROM outbox"), 0);
  EXPECT_EQ(*store->db().QueryInt("SELECT count(*) FROM setting"), 0);
}

TEST_P(StoreTest, RemoteMutationsMergeLastWriterWinsPerField) {
  auto store = CreateStore();
  ASSERT_TRUE(store->SetSetting("weights", "a").ok());
  Mutation older;
  older.entity = "setting";
  older.row_id = "weights";
  older.hlc = Hlc{1, 0}.ToString();  // from 1970: loses to the local write
  older.origin_device = "other";
  older.fields["value"] = std::string("old");
  ASSERT_TRUE(store->ApplyRemote(older).ok());
  EXPECT_EQ(**store->GetSetting("weights"), "a");
  Mutation newer = older;
  newer.hlc = Hlc{NowMs() + 60'000, 0}.ToString();
  newer.fields["value"] = std::string("new");
  ASSERT_TRUE(store->ApplyRemote(newer).ok());
  EXPECT_EQ(**store->GetSetting("weights"), "new");
  // Remote changes are not the device's to push again.
  EXPECT_EQ(*store->db().QueryInt("SELECT count(*) FROM outbox"), 1);
}

TEST_P(StoreTest, HlcStampsOfLocalWritesIncreaseAcrossReopen) {
  std::string first;
  {
    auto store = CreateStore();
    ASSERT_TRUE(store->SetSetting("a", "1").ok());
    first = Text(*store, "SELECT hlc FROM outbox ORDER BY seq DESC LIMIT 1");
  }
  auto store = OpenStore();
  ASSERT_TRUE(store->SetSetting("b", "2").ok());
  EXPECT_LT(first, Text(*store, "SELECT hlc FROM outbox ORDER BY seq DESC LIMIT 1"));
}

TEST_P(StoreTest, LockWipesKeysAndRefusesFurtherWork) {
  { auto created = CreateStore(); }
  const size_t secret_bytes_before = Secret::LiveBytes();
  auto store = OpenStore();
  // An encrypted store holds its data key (and the VFS its copy) in guarded memory while unlocked.
  if (encrypted()) {
    EXPECT_GT(Secret::LiveBytes(), secret_bytes_before);
  }
  store->Lock();
  EXPECT_EQ(Secret::LiveBytes(), secret_bytes_before);
  EXPECT_TRUE(store->locked());
  EXPECT_EQ(store->SetSetting("a", "b").code(), Code::kNotAuthorised);
  EXPECT_EQ(store->Verify().status().code(), Code::kNotAuthorised);
}

TEST_P(StoreTest, VerifyPassesOnAnUntouchedStoreAndChecksTheAuditChain) {
  auto store = CreateStore();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(store->SetSetting("k" + std::to_string(i), "v").ok());
  auto report = store->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
  EXPECT_EQ(report->audit_entries_checked, 20);
  if (encrypted()) {
    EXPECT_GT(report->pages_checked, 1);
  }
}

TEST_P(StoreTest, EditingAnAuditEntryBreaksTheChain) {
  auto store = CreateStore();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->SetSetting("k" + std::to_string(i), "v").ok());
  ASSERT_TRUE(store->db().Exec("UPDATE audit SET actor = 'someone else' WHERE seq = 3").ok());
  auto report = store->Verify();
  ASSERT_TRUE(report.ok());
  ASSERT_FALSE(report->problems.empty());
  EXPECT_NE(report->problems.front().find("audit entry 3"), std::string::npos);
}

TEST_P(StoreTest, ChangingThePassphraseStopsTheOldOne) {
  { auto store = CreateStore(); }
  ASSERT_TRUE(
      Store::ChangePassphrase(dir(), passphrase(), Secret("a new passphrase"), KdfParams::Fast()).ok());
  EXPECT_EQ(Store::Open(dir(), passphrase(), options()).status().code(), Code::kWrongPassphrase);
  EXPECT_TRUE(Store::Open(dir(), Secret("a new passphrase"), options()).ok());
}

TEST_P(StoreTest, RecoveryKeySetsANewPassphrase) {
  { auto store = CreateStore(); }
  EXPECT_EQ(Store::Recover(dir(), Secret("0000-not-it"), Secret("x"), KdfParams::Fast()).code(),
            Code::kWrongPassphrase);
  ASSERT_TRUE(Store::Recover(dir(), recovery_key(), Secret("after recovery"), KdfParams::Fast()).ok());
  EXPECT_TRUE(Store::Open(dir(), Secret("after recovery"), options()).ok());
  EXPECT_EQ(Store::Open(dir(), passphrase(), options()).status().code(), Code::kWrongPassphrase);
}

TEST_P(StoreTest, OlderStoreIsUpgradedByMigrations) {
  StoreOptions first = options();
  first.migrate_to = 1;
  {
    Secret recovery;
    auto store = Store::Create(dir(), passphrase(), &recovery, first);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EXPECT_EQ((*store)->schema_version(), 1);
    ASSERT_TRUE((*store)->SetSetting("kept", "yes").ok());
  }
  auto store = OpenStore();
  EXPECT_GE(store->schema_version(), 1);
  EXPECT_EQ(*store->db().QueryInt("SELECT count(*) FROM schema_migrations"), store->schema_version());
  EXPECT_EQ(**store->GetSetting("kept"), "yes");
}

TEST_P(StoreTest, NoMarkerReachesTheDiskInClear) {
  const std::string marker = "MARKER-Ann-Example-9434765919";
  {
    auto store = CreateStore();
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(store->SetSetting("note" + std::to_string(i), marker + std::to_string(i)).ok());
    }
    // Check while the data still sits in the WAL, then again after close has checkpointed it.
    ExpectMarkerOnDiskOnlyWhenPlain(marker);
  }
  ExpectMarkerOnDiskOnlyWhenPlain(marker);
  if (encrypted()) {
    // Plain SQLite cannot read it.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2((dir() + "/berth.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    const int rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
    EXPECT_EQ(rc, SQLITE_NOTADB);
    sqlite3_close(db);
  }
}

INSTANTIATE_TEST_SUITE_P(EncryptedAndPlain, StoreTest, ::testing::Values(true, false),
                         testing::EncryptionName);

}  // namespace
}  // namespace berth

namespace berth {
namespace {

// A transaction larger than the page cache spills pages into the WAL before it commits, and the WAL
// grows past the auto-checkpoint size: both paths go through the VFS.
TEST_P(StoreTest, LargeTransactionsSpillAndCheckpointThroughTheVfs) {
  auto store = CreateStore();
  Db& db = store->db();
  // The index, filled in random order, rewrites pages already in the WAL within one transaction: SQLite
  // then overwrites frames in place and re-reads their checksum fields (8-byte header reads).
  ASSERT_TRUE(db.Exec("CREATE TABLE bulk (id INTEGER PRIMARY KEY, note TEXT NOT NULL, rate INTEGER NOT NULL);"
                      "CREATE INDEX bulk_by_rate ON bulk (rate); PRAGMA cache_size=-256;")
                  .ok());
  const Status st = db.Transaction([&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(Statement ins, db.Prepare("INSERT INTO bulk VALUES (?, ?, ?)"));
    for (int64_t i = 0; i < 60'000; ++i) {
      ins.Reset();
      ins.Bind(1, i).Bind(2, std::string(60, static_cast<char>('a' + i % 26))).Bind(3, (i * 7919) % 900);
      BERTH_RETURN_IF_ERROR(ins.Run());
    }
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM bulk"), 60'000);
  EXPECT_EQ(*db.QueryInt("SELECT sum(length(note)) FROM bulk"), 60'000 * 60);
  auto report = store->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
}

}  // namespace
}  // namespace berth

namespace berth {
namespace {

// A device whose clock is behind must still stamp its next change after everything it has pulled.
TEST_P(StoreTest, PulledStampsMoveTheClockForwardAcrossReopen) {
  const Hlc ahead{NowMs() + 120'000, 3};  // two minutes ahead of this device
  {
    auto store = CreateStore();
    Mutation remote;
    remote.entity = "setting";
    remote.row_id = "from_hub";
    remote.hlc = ahead.ToString();
    remote.origin_device = "hub-device";
    remote.fields["value"] = std::string("x");
    ASSERT_TRUE(store->ApplyRemote(remote).ok());
    EXPECT_EQ(store->ObserveClock("not a stamp").code(), Code::kBadInput);
  }
  auto store = OpenStore();
  ASSERT_TRUE(store->SetSetting("local", "after").ok());
  EXPECT_GT(Text(*store, "SELECT hlc FROM outbox ORDER BY seq DESC LIMIT 1"), ahead.ToString());
}

TEST_P(StoreTest, ConnectOpensASecondConnectionWithoutThePassphraseOnOneClock) {
  auto store = CreateStore();
  auto second = store->Connect();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ((*second)->device_id(), store->device_id());
  // A remote stamp seen on the second connection moves the first one's clock too.
  const Hlc ahead{NowMs() + 120'000, 9};
  Mutation remote;
  remote.entity = "setting";
  remote.row_id = "seen_by_second";
  remote.hlc = ahead.ToString();
  remote.origin_device = "hub-device";
  remote.fields["value"] = std::string("x");
  ASSERT_TRUE((*second)->ApplyRemote(remote).ok());
  ASSERT_TRUE(store->SetSetting("first", "after").ok());
  EXPECT_GT(Text(*store, "SELECT hlc FROM outbox ORDER BY seq DESC LIMIT 1"), ahead.ToString());
  // Writes on either are seen by both, stamped in order, and the audit chain stays whole.
  ASSERT_TRUE((*second)->SetSetting("second", "later").ok());
  EXPECT_EQ(Text(*store, "SELECT value FROM setting WHERE id = 'second'"), "later");
  EXPECT_LT(Text(*store, "SELECT hlc FROM outbox WHERE row_id = 'first'"),
            Text(*store, "SELECT hlc FROM outbox WHERE row_id = 'second'"));
  auto report = store->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
  // Locking one leaves the other working; a locked store makes no connection.
  store->Lock();
  EXPECT_EQ(store->Connect().status().code(), Code::kNotAuthorised);
  EXPECT_TRUE((*second)->SetSetting("still", "open").ok());
}

TEST_P(StoreTest, WipeOverwritesTheKeyFileAndRemovesTheStoreOnly) {
  CreateStore().reset();
  const std::string link = dir() + "-key-link", other = dir() + "/notes.txt";
  ASSERT_EQ(::link((dir() + "/" + kKeyFile).c_str(), link.c_str()), 0);  // sees the blocks after unlink
  testing::WriteFileBytes(other, {1, 2, 3});
  const size_t size = testing::ReadFileBytes(link).size();
  ASSERT_GT(size, 0u);
  ASSERT_TRUE(Store::Wipe(dir()).ok());
  EXPECT_FALSE(Store::Exists(dir()));
  EXPECT_FALSE(testing::ListFiles(dir()).empty());
  EXPECT_EQ(testing::ListFiles(dir()), std::vector<std::string>{other});
  EXPECT_EQ(testing::ReadFileBytes(link), std::vector<uint8_t>(size, 0));
  std::remove(link.c_str());
  EXPECT_EQ(Store::Open(dir(), passphrase(), options()).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace berth

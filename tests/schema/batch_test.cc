// Store::Batch, WriteBatch and ApplyRemoteBatch (FORMAT.md, "Batches"): the same rows, field clocks, outbox
// and audited records as one write at a time (the records named by one audit entry per batch), a store that
// verifies (and reports a batch's records edited, added or removed), and nothing written when any row fails.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "berth/schema/ids.h"
#include "berth/schema/store.h"
#include "support/store_fixture.h"

namespace berth {
namespace {

class BatchTest : public testing::StoreFixture {
 protected:
  // Every row of `sql`'s result as text, one string per row.
  static std::vector<std::string> Rows(Store& store, const std::string& sql) {
    std::vector<std::string> out;
    auto st = store.db().Prepare(sql);
    EXPECT_TRUE(st.ok()) << st.status().ToString();
    if (!st.ok()) return out;
    while (true) {
      auto row = st->Step();
      EXPECT_TRUE(row.ok());
      if (!row.ok() || !*row) break;
      std::string line;
      for (int c = 0; c < st->ColumnCount(); ++c) line += st->Text(c) + "|";
      out.push_back(line);
    }
    return out;
  }
  static int64_t Count(Store& store, const std::string& table) {
    auto n = store.db().QueryInt("SELECT count(*) FROM " + table);
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : -1;
  }
  static void ExpectVerifies(Store& store) {
    auto report = store.Verify();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->problems.empty()) << report->problems.front();
  }

  // Some new beds, then edits and a delete of some of them (field clocks), on fixed row ids.
  static std::vector<Mutation> Changes() {
    std::vector<Mutation> out;
    for (int i = 0; i < 30; ++i) {
      Mutation m;
      m.entity = "bed";
      m.row_id = "bed-" + std::to_string(i);
      m.fields = {{"provider_id", std::string("p1")},
                  {"room", std::to_string(100 + i)},
                  {"weekly_rate_pence", int64_t{80000 + i}}};
      out.push_back(m);
    }
    for (int i = 0; i < 30; i += 3) {
      Mutation m;
      m.entity = "bed";
      m.row_id = "bed-" + std::to_string(i);
      m.fields = {{"status", std::string("occupied")}};
      out.push_back(m);
    }
    Mutation del;
    del.kind = MutationKind::kDelete;
    del.entity = "bed";
    del.row_id = "bed-7";
    out.push_back(del);
    Mutation setting;
    setting.entity = "setting";
    setting.row_id = "match.hold_hours";
    setting.fields = {{"value", std::string("24")}};
    out.push_back(setting);
    return out;
  }

  // What a store holds after the changes, without what differs by device and moment (origin, clocks).
  static std::vector<std::string> Domain(Store& store) {
    auto rows =
        Rows(store, "SELECT id, provider_id, room, weekly_rate_pence, status, deleted FROM bed ORDER BY id");
    for (auto& r : Rows(store, "SELECT id, value, deleted FROM setting ORDER BY id")) rows.push_back(r);
    for (auto& r : Rows(store, "SELECT entity, row_id, field FROM field_clock ORDER BY 1, 2, 3"))
      rows.push_back("clock " + r);
    for (auto& r : Rows(store, "SELECT kind, entity, row_id FROM outbox ORDER BY seq"))
      rows.push_back("out " + r);
    for (auto& r : Rows(store, kAuditedRecords)) rows.push_back("audit " + r);
    return rows;
  }
  // Every audited record in chain order, whether it has an entry of its own (the per-row path) or is named
  // by its batch's entry (audit_record).
  static constexpr const char* kAuditedRecords =
      "SELECT actor, action, entity, row_id, detail FROM ("
      " SELECT seq, 0 AS n, actor, action, entity, row_id, detail FROM audit WHERE action <> 'batch'"
      " UNION ALL SELECT r.seq, r.n, a.actor, r.action, r.entity, r.row_id, r.detail"
      " FROM audit_record r JOIN audit a ON a.seq = r.seq) ORDER BY seq, n";
  static std::string VerifyProblem(Store& store) {
    auto report = store.Verify();
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() && !report->problems.empty() ? report->problems.front() : "";
  }
};

TEST_P(BatchTest, WriteBatchLeavesWhatWritesOneAtATimeLeave) {
  auto store = CreateStore();
  ASSERT_TRUE(store);
  for (Mutation m : Changes()) ASSERT_TRUE(store->Write(std::move(m)).ok());
  const auto per_row = Domain(*store);
  store.reset();

  std::filesystem::remove_all(dir());
  auto bulk = CreateStore();
  ASSERT_TRUE(bulk);
  ASSERT_TRUE(bulk->WriteBatch(Changes()).ok());
  EXPECT_FALSE(bulk->in_batch());
  EXPECT_EQ(Domain(*bulk), per_row);
  EXPECT_EQ(Count(*bulk, "outbox"), static_cast<int64_t>(Changes().size()));
  // The clock and the chain's end were saved once, at the end: the newest stamp and the last entry.
  EXPECT_EQ(Text(*bulk, "SELECT value FROM meta WHERE key = 'hlc'"),
            Text(*bulk, "SELECT max(hlc) FROM outbox"));
  EXPECT_EQ(Text(*bulk, "SELECT substr(value, 1, instr(value, ':') - 1) FROM meta WHERE key = 'audit_end'"),
            Text(*bulk, "SELECT max(seq) FROM audit"));
  // One audit entry for the batch, naming each record it wrote; a record's trail still finds its writes.
  EXPECT_EQ(Count(*bulk, "audit"), 1);
  EXPECT_EQ(Text(*bulk, "SELECT action || ' ' || detail FROM audit").substr(0, 17), "batch 42 records,");
  EXPECT_EQ(Count(*bulk, "audit_record"), static_cast<int64_t>(Changes().size()));
  auto trail = bulk->AuditTrail("bed", "bed-3");
  ASSERT_TRUE(trail.ok());
  ASSERT_EQ(trail->size(), 2u);
  EXPECT_EQ((*trail)[0].action, "write");
  EXPECT_EQ((*trail)[0].detail, "provider_id,room,weekly_rate_pence");
  EXPECT_EQ((*trail)[1].detail, "status");
  EXPECT_EQ((*trail)[1].actor, "test-broker");
  EXPECT_EQ((*trail)[1].device_id, bulk->device_id());
  ExpectVerifies(*bulk);
  // A write after the batch continues the chain and the clock.
  Mutation after;
  after.entity = "bed";
  after.row_id = "bed-1";
  after.fields = {{"room", std::string("1A")}};
  ASSERT_TRUE(bulk->Write(after).ok());
  ExpectVerifies(*bulk);
  EXPECT_EQ(Text(*bulk, "SELECT value FROM meta WHERE key = 'hlc'"),
            Text(*bulk, "SELECT max(hlc) FROM outbox"));
  // Each outbox entry carries its mutation, as a push sends it.
  EXPECT_EQ(Count(*bulk, "outbox WHERE length(payload) = 0"), 0);
}

TEST_P(BatchTest, ABatchWithOneBadRowIsRefusedAndWritesNothing) {
  auto store = CreateStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->Write(Changes().front()).ok());
  const auto before = Domain(*store);
  const std::string hlc_before = Text(*store, "SELECT value FROM meta WHERE key = 'hlc'");

  std::vector<Mutation> bad = Changes();
  bad[20].fields["no_such_field"] = std::string("x");
  const Status refused = store->WriteBatch(bad);
  EXPECT_EQ(refused.code(), Code::kBadInput);
  EXPECT_NE(refused.message().find("change 21 of the batch"), std::string::npos) << refused.ToString();
  EXPECT_EQ(Domain(*store), before);

  std::vector<Mutation> out_of_range = Changes();
  out_of_range.back().fields["value"] = std::string("100000");  // match.hold_hours is 1-168
  EXPECT_EQ(store->WriteBatch(out_of_range).code(), Code::kBadInput);
  EXPECT_EQ(Domain(*store), before);

  // A row SQLite refuses (a bed status outside its CHECK) fails the batch even when the body goes on.
  const Status failed = store->Batch([&]() -> Status {
    for (Mutation m : Changes()) (void)store->Write(std::move(m));
    Mutation broken;
    broken.entity = "bed";
    broken.row_id = "bed-broken";
    broken.fields = {{"status", std::string("on fire")}};
    (void)store->Write(std::move(broken));
    return Status::Ok();
  });
  EXPECT_FALSE(failed.ok());
  EXPECT_FALSE(store->in_batch());
  EXPECT_EQ(Domain(*store), before);
  EXPECT_EQ(Text(*store, "SELECT value FROM meta WHERE key = 'hlc'"), hlc_before);
  ExpectVerifies(*store);

  // An error from the body itself rolls back what the batch wrote.
  const Status stopped = store->Batch([&]() -> Status {
    for (Mutation m : Changes()) BERTH_RETURN_IF_ERROR(store->Write(std::move(m)));
    return ConflictError("the caller changed its mind");
  });
  EXPECT_EQ(stopped.code(), Code::kConflict);
  EXPECT_EQ(Domain(*store), before);
  ExpectVerifies(*store);
  // An inner batch joins the outer one: its error fails the whole batch even when the outer body goes on.
  const Status nested = store->Batch([&]() -> Status {
    for (Mutation m : Changes()) BERTH_RETURN_IF_ERROR(store->Write(std::move(m)));
    (void)store->Batch([]() -> Status { return ConflictError("an inner step gave up"); });
    return Status::Ok();
  });
  EXPECT_EQ(nested.code(), Code::kConflict);
  EXPECT_EQ(Domain(*store), before);
  // And the store still writes afterwards, continuing the chain.
  ASSERT_TRUE(store->WriteBatch(Changes()).ok());
  ExpectVerifies(*store);
}

// A batch far larger than the connection's page cache keeps its pages in memory until it commits (none
// spilled into the WAL before), and the connection's spill threshold is its own again afterwards, whether
// the batch committed or failed.
TEST_P(BatchTest, ABatchLargerThanThePageCacheSpillsNothingBeforeItCommits) {
  auto store = CreateStore();
  ASSERT_TRUE(store);
  Db& db = store->db();
  ASSERT_TRUE(db.Exec("PRAGMA cache_size = -256").ok());  // 256 KiB: a few dozen pages
  ASSERT_TRUE(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  const auto spill_before = db.QueryInt("PRAGMA cache_spill");
  ASSERT_TRUE(spill_before.ok());
  const std::string wal = dir() + "/berth.db-wal";
  auto wal_bytes = [&] {
    std::error_code ec;
    const auto n = std::filesystem::file_size(wal, ec);
    return ec ? uintmax_t{0} : n;
  };
  std::vector<Mutation> beds;
  for (int i = 0; i < 3000; ++i) {
    Mutation m;
    m.entity = "bed";
    m.row_id = NewUuidV7();
    m.fields = {{"provider_id", std::string("p1")},
                {"room", "room " + std::to_string(i) + std::string(80, 'r')},
                {"weekly_rate_pence", int64_t{80000 + i}}};
    beds.push_back(std::move(m));
  }
  uintmax_t wal_before_commit = 1;
  const Status st = store->Batch([&]() -> Status {
    for (const Mutation& m : beds) BERTH_RETURN_IF_ERROR(store->Write(m));
    wal_before_commit = wal_bytes();
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(wal_before_commit, 0u) << "the batch spilled pages into the WAL before its commit";
  EXPECT_GT(wal_bytes(), 256u * 1024) << "the batch wrote less than the cache holds: the test shows nothing";
  EXPECT_EQ(*db.QueryInt("PRAGMA cache_spill"), *spill_before);
  EXPECT_EQ(Count(*store, "bed"), 3000);

  const Status failed = store->Batch([&]() -> Status {
    (void)store->Write(beds.front());
    return ConflictError("the caller changed its mind");
  });
  EXPECT_EQ(failed.code(), Code::kConflict);
  EXPECT_EQ(*db.QueryInt("PRAGMA cache_spill"), *spill_before);
  ExpectVerifies(*store);
  // The threshold follows the cache size again, as SQLite's default does: a smaller cache spills sooner.
  ASSERT_TRUE(db.Exec("PRAGMA cache_size = -128").ok());
  EXPECT_LT(*db.QueryInt("PRAGMA cache_spill"), *spill_before);
  ASSERT_TRUE(db.Exec("PRAGMA cache_size = -256").ok());

  // The same rows written in a plain transaction do spill: what the batch avoided was there to avoid.
  ASSERT_TRUE(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
  uintmax_t plain_before_commit = 0;
  ASSERT_TRUE(db.Transaction([&]() -> Status {
                  for (Mutation m : beds) {
                    m.row_id = NewUuidV7();
                    BERTH_RETURN_IF_ERROR(store->Write(std::move(m)));
                  }
                  plain_before_commit = wal_bytes();
                  return Status::Ok();
                }).ok());
  EXPECT_GT(plain_before_commit, 0u);
}

TEST_P(BatchTest, ApplyRemoteBatchMergesAsApplyRemoteDoes) {
  // Remote changes from two devices, out of order, so some fields lose and field clocks are kept.
  std::vector<Mutation> remote;
  const std::string a = NewUuidV7(), b = NewUuidV7();
  for (int i = 0; i < 20; ++i) {
    Mutation m;
    m.entity = "bed";
    m.row_id = "bed-" + std::to_string(i % 8);
    m.hlc = Hlc{4102444800000 + (i * 7919) % 20, static_cast<uint32_t>(i)}.ToString();  // ahead of the clock
    m.origin_device = i % 2 == 0 ? a : b;
    m.fields = {{"room", std::to_string(i)}};
    if (i % 3 == 0) m.fields["weekly_rate_pence"] = int64_t{70000 + i};
    remote.push_back(m);
  }
  auto one = CreateStore();
  ASSERT_TRUE(one);
  ASSERT_TRUE(one->db()
                  .Transaction([&]() -> Status {
                    for (const Mutation& m : remote) BERTH_RETURN_IF_ERROR(one->ApplyRemote(m));
                    return Status::Ok();
                  })
                  .ok());
  const std::string sql = "SELECT id, hlc, origin, room, weekly_rate_pence FROM bed ORDER BY id";
  const auto rows = Rows(*one, sql);
  const auto clocks = Rows(*one, "SELECT * FROM field_clock ORDER BY entity, row_id, field");
  const std::string hlc = Text(*one, "SELECT value FROM meta WHERE key = 'hlc'");
  one.reset();
  std::filesystem::remove_all(dir());

  auto bulk = CreateStore();
  ASSERT_TRUE(bulk);
  ASSERT_TRUE(bulk->ApplyRemoteBatch(remote).ok());
  EXPECT_EQ(Rows(*bulk, sql), rows);
  EXPECT_EQ(Rows(*bulk, "SELECT * FROM field_clock ORDER BY entity, row_id, field"), clocks);
  EXPECT_FALSE(clocks.empty());
  EXPECT_EQ(Count(*bulk, "outbox"), 0);
  // The device clock moved past every pulled stamp, saved once.
  EXPECT_EQ(Text(*bulk, "SELECT value FROM meta WHERE key = 'hlc'"), hlc);
  EXPECT_GT(bulk->Tick().ToString(), hlc);
  ExpectVerifies(*bulk);

  // One bad row (a table that does not sync) refuses the whole list.
  std::vector<Mutation> bad = remote;
  bad[5].entity = "meta";
  const int64_t beds = Count(*bulk, "bed");
  EXPECT_EQ(bulk->ApplyRemoteBatch(bad).code(), Code::kBadInput);
  EXPECT_EQ(Count(*bulk, "bed"), beds);
}

// A batch's one audit entry covers its records: Verify recomputes their count and digest, so a record
// edited, removed, added or moved to another batch is reported, as is an edit of the entry itself.
TEST_P(BatchTest, VerifyCatchesATamperedBatchRecord) {
  auto store = CreateStore();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->WriteBatch(Changes()).ok());
  ASSERT_TRUE(store->Write(Changes().front()).ok());  // a per-row entry after the batch
  ASSERT_TRUE(store->WriteBatch(Changes()).ok());
  ExpectVerifies(*store);
  Db& db = store->db();
  const struct {
    const char* name;
    const char* tamper;
    const char* undo;
    const char* expect;
  } cases[] = {
      {"a field list edited", "UPDATE audit_record SET detail = 'room' WHERE row_id = 'bed-4' AND seq = 1",
       "UPDATE audit_record SET detail = 'provider_id,room,weekly_rate_pence' WHERE row_id = 'bed-4' AND seq "
       "= 1",
       "audit entry 1 (a batch: 42 records) does not match the 42 records"},
      {"a record removed", "DELETE FROM audit_record WHERE row_id = 'bed-10' AND seq = 3",
       "INSERT INTO audit_record VALUES (3, 11, 'bed', 'bed-10', 'write', "
       "'provider_id,room,weekly_rate_pence')",
       "audit entry 3 (a batch: 42 records) does not match the 41 records"},
      {"a record added", "INSERT INTO audit_record VALUES (1, 99, 'bed', 'bed-x', 'write', 'room')",
       "DELETE FROM audit_record WHERE row_id = 'bed-x'",
       "audit entry 1 (a batch: 42 records) does not match the 43 records"},
      {"a record naming a per-row entry",
       "INSERT INTO audit_record VALUES (2, 1, 'bed', 'bed-x', 'write', 'room')",
       "DELETE FROM audit_record WHERE row_id = 'bed-x'",
       "1 audit records name entry 2, which is not a batch"},
      {"a record moved to the other batch",
       "UPDATE audit_record SET seq = 3, n = 100 WHERE row_id = 'bed-5' AND seq = 1",
       "UPDATE audit_record SET seq = 1, n = 6 WHERE row_id = 'bed-5' AND n = 100",
       "audit entry 1 (a batch: 42 records) does not match the 41 records"},
      {"the batch entry's count edited", "UPDATE audit SET detail = '41' || substr(detail, 3) WHERE seq = 1",
       "UPDATE audit SET detail = '42' || substr(detail, 3) WHERE seq = 1",
       "audit entry 1 breaks the hash chain"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(db.Exec(c.tamper).ok()) << c.tamper;
    const std::string problem = VerifyProblem(*store);
    EXPECT_NE(problem.find(c.expect), std::string::npos) << problem;
    ASSERT_TRUE(db.Exec(c.undo).ok()) << c.undo;
    ExpectVerifies(*store);
  }
}

// A record's trail finds its batch records through their index, not by reading every batch's records.
TEST_P(BatchTest, ATrailReadsBatchRecordsThroughTheirIndex) {
  auto store = CreateStore();
  ASSERT_TRUE(store);
  auto plan =
      Rows(*store,
           "EXPLAIN QUERY PLAN SELECT r.seq, a.at_ms FROM audit_record r JOIN audit a ON a.seq = r.seq"
           " WHERE r.entity = 'bed' AND r.row_id = 'bed-1'");
  std::string text;
  for (const auto& line : plan) text += line + "\n";
  EXPECT_NE(text.find("USING INDEX audit_record_by_row"), std::string::npos) << text;
  EXPECT_EQ(text.find("SCAN r"), std::string::npos) << text;
}

// A caller's savepoint that rolls back inside a batch takes its records with it; the batch's entry names
// only what stayed, and the store verifies.
TEST_P(BatchTest, ASavepointRolledBackInsideABatchLeavesAnEntryForWhatStayed) {
  auto store = CreateStore();
  ASSERT_TRUE(store);
  const std::vector<Mutation> changes = Changes();
  ASSERT_TRUE(store
                  ->Batch([&]() -> Status {
                    for (size_t i = 0; i < 10; ++i) BERTH_RETURN_IF_ERROR(store->Write(changes[i]));
                    const Status undone = store->db().Transaction([&]() -> Status {
                      for (size_t i = 10; i < 20; ++i) BERTH_RETURN_IF_ERROR(store->Write(changes[i]));
                      return ConflictError("this step is given up, the batch goes on");
                    });
                    EXPECT_EQ(undone.code(), Code::kConflict);
                    return store->Write(changes[25]);
                  })
                  .ok());
  EXPECT_EQ(Count(*store, "bed"), 11);
  EXPECT_EQ(Count(*store, "audit_record"), 11);
  EXPECT_EQ(Text(*store, "SELECT detail FROM audit").substr(0, 11), "11 records,");
  ExpectVerifies(*store);
}

// A store written before audit_record existed (schema 12: one entry per row) opens with this build, verifies,
// and takes batches after its per-row entries; a record's trail spans both.
TEST_P(BatchTest, AStoreFromBeforeBatchEntriesOpensAndVerifies) {
  {
    StoreOptions old = options();
    old.migrate_to = 12;
    Secret recovery;
    auto store = Store::Create(dir(), passphrase(), &recovery, old);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_EQ((*store)->schema_version(), 12);
    // On schema 12 a batch still writes an entry per record, as that schema knows no other way.
    ASSERT_TRUE((*store)->WriteBatch(Changes()).ok());
    EXPECT_EQ(Count(**store, "audit"), static_cast<int64_t>(Changes().size()));
    ExpectVerifies(**store);
  }
  auto store = OpenStore();
  ASSERT_TRUE(store);
  EXPECT_GE(store->schema_version(), 13);
  ExpectVerifies(*store);
  std::vector<Mutation> more = Changes();
  for (Mutation& m : more) m.row_id += m.entity == "bed" ? "-b" : "";
  more.push_back(Changes().front());  // bed-0 again, now named by a batch entry
  ASSERT_TRUE(store->WriteBatch(more).ok());
  EXPECT_EQ(Count(*store, "audit WHERE action = 'batch'"), 1);
  ExpectVerifies(*store);
  auto trail = store->AuditTrail("bed", "bed-0");
  ASSERT_TRUE(trail.ok());
  ASSERT_EQ(trail->size(), 3u);  // created and occupied per row, written again in the batch
  EXPECT_LT((*trail)[1].seq, (*trail)[2].seq);
  EXPECT_EQ((*trail)[2].seq, *store->db().QueryInt("SELECT seq FROM audit WHERE action = 'batch'"));
}

INSTANTIATE_TEST_SUITE_P(Vfs, BatchTest, ::testing::Bool(), testing::EncryptionName);

}  // namespace
}  // namespace berth

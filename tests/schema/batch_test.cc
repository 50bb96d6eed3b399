// Store::Batch, WriteBatch and ApplyRemoteBatch (FORMAT.md, "Batches"): the same rows, field clocks, outbox
// and audit entries as one write at a time, a store that verifies, and nothing written when any row fails.
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
    for (auto& r : Rows(store, "SELECT actor, action, entity, row_id, detail FROM audit ORDER BY seq"))
      rows.push_back("audit " + r);
    return rows;
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

INSTANTIATE_TEST_SUITE_P(Vfs, BatchTest, ::testing::Bool(), testing::EncryptionName);

}  // namespace
}  // namespace berth

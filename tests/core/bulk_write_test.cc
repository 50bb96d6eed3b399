// The bulk write path (core::WritePath::kBatch, Store::Batch) against the per-row path on the same input:
// the same domain rows and values, outboxes that sync to the same hub state, stores that verify.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "berth/core/bulk.h"
#include "berth/core/demo.h"
#include "berth/core/geo.h"
#include "berth/core/importers.h"
#include "berth/schema/store.h"
#include "sync/hub_harness.h"

namespace berth::testing {
namespace {

using core::WritePath;

std::unique_ptr<Store> NewStore(const std::string& dir) {
  SetTestEnvironment();
  StoreOptions o;
  o.kdf = KdfParams::Fast();
  o.actor = "broker";
  Secret recovery;
  auto s = Store::Create(dir, Secret("bulk test passphrase"), &recovery, o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

// Every syncable table's rows with every column but the row clock (hlc, origin), which name the device and
// the moment: what a broker sees.
std::vector<std::string> DomainRows(Store& store) {
  std::vector<std::string> out;
  auto tables = SyncableTables(store.db());
  EXPECT_TRUE(tables.ok());
  if (!tables.ok()) return out;
  for (const auto& [table, columns] : *tables) {
    std::string cols;
    for (const auto& c : columns) {
      if (c == "hlc" || c == "origin") continue;
      cols += (cols.empty() ? "\"" : ", \"") + c + "\"";
    }
    auto st = store.db().Prepare("SELECT " + cols + " FROM \"" + table + "\" ORDER BY id");
    EXPECT_TRUE(st.ok());
    if (!st.ok()) continue;
    while (true) {
      auto row = st->Step();
      if (!row.ok() || !*row) break;
      std::string line = table + ":";
      for (int c = 0; c < st->ColumnCount(); ++c) line += st->Text(c) + "|";
      out.push_back(line);
    }
  }
  return out;
}

int64_t Count(Store& store, const std::string& sql) {
  auto n = store.db().QueryInt(sql);
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  return n.ok() ? *n : -1;
}

// Audited records: entries of their own (the per-row path) and records named by a batch's one entry.
const std::string kAuditedRecords =
    "SELECT count(*) FROM (SELECT action FROM audit WHERE action <> 'batch'"
    " UNION ALL SELECT action FROM audit_record)";

void ExpectVerifies(Store& store) {
  auto report = store.Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
}

std::string SampleCsv() {
  std::ifstream in(core::AssetsDir() + "/data/care_directory_2016_sample.csv");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const core::Geography& Geo() {
  auto geo = core::DefaultGeography();
  EXPECT_TRUE(geo.ok());
  return **geo;
}

Status ImportEast(Store& store, WritePath path) {
  core::CqcImportOptions o;
  o.region = "East";
  o.write_path = path;
  auto report = core::ImportCqcDirectory(store, Geo(), SampleCsv(), o);
  return report.ok() ? Status::Ok() : report.status();
}

TEST(BulkWrite, ImportLeavesTheSameRowsOnBothPaths) {
  TempDir tmp;
  auto batch = NewStore(tmp.Sub("batch"));
  auto per_row = NewStore(tmp.Sub("per_row"));
  ASSERT_TRUE(batch && per_row);
  ASSERT_TRUE(ImportEast(*batch, WritePath::kBatch).ok());
  ASSERT_TRUE(ImportEast(*per_row, WritePath::kPerRow).ok());
  const auto rows = DomainRows(*batch);
  EXPECT_GT(rows.size(), 100u);
  EXPECT_EQ(rows, DomainRows(*per_row));
  for (const std::string& sql : {std::string("SELECT count(*) FROM outbox"), kAuditedRecords,
                                 std::string("SELECT count(*) FROM field_clock")}) {
    EXPECT_EQ(Count(*batch, sql), Count(*per_row, sql)) << sql;
  }
  // The batch wrote one audit entry; the per-row path one a record.
  EXPECT_EQ(Count(*batch, "SELECT count(*) FROM audit WHERE action = 'batch'"), 1);
  EXPECT_EQ(Count(*per_row, "SELECT count(*) FROM audit_record"), 0);
  // A second import of the same file over the first changes nothing on either path.
  ASSERT_TRUE(ImportEast(*batch, WritePath::kBatch).ok());
  EXPECT_EQ(DomainRows(*batch), rows);
  ExpectVerifies(*batch);
  ExpectVerifies(*per_row);
}

TEST(BulkWrite, DemoLeavesTheSameRowsOnBothPaths) {
  TempDir tmp;
  auto batch = NewStore(tmp.Sub("batch"));
  auto per_row = NewStore(tmp.Sub("per_row"));
  ASSERT_TRUE(batch && per_row);
  core::DemoOptions o;
  o.seed = 5;
  o.today = "2026-03-02";
  auto a = core::BuildDemo(*batch, Geo(), o);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  o.write_path = WritePath::kPerRow;
  auto b = core::BuildDemo(*per_row, Geo(), o);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->Text(), b->Text());
  const auto rows = DomainRows(*batch);
  EXPECT_GT(rows.size(), 1000u);
  EXPECT_EQ(rows, DomainRows(*per_row));
  for (const std::string& sql : {std::string("SELECT count(*) FROM outbox"), kAuditedRecords,
                                 std::string("SELECT count(*) FROM field_clock")}) {
    EXPECT_EQ(Count(*batch, sql), Count(*per_row, sql)) << sql;
  }
  // The batch wrote one audit entry; the per-row path one a record.
  EXPECT_EQ(Count(*batch, "SELECT count(*) FROM audit WHERE action = 'batch'"), 1);
  EXPECT_EQ(Count(*per_row, "SELECT count(*) FROM audit_record"), 0);
  ExpectVerifies(*batch);
  // A demo refused (the store is no longer empty) leaves the store as it was.
  const int64_t outbox = Count(*batch, "SELECT count(*) FROM outbox");
  EXPECT_EQ(core::BuildDemo(*batch, Geo(), o).status().code(), Code::kConflict);
  EXPECT_EQ(Count(*batch, "SELECT count(*) FROM outbox"), outbox);
}

// Each path's outbox pushed to a hub of its own; a fresh device pulling from each ends with the same rows.
TEST(BulkWrite, BothOutboxesSyncToTheSameHubState) {
  TempDir tmp;
  std::vector<std::string> pulled[2];
  for (int i = 0; i < 2; ++i) {
    const WritePath path = i == 0 ? WritePath::kBatch : WritePath::kPerRow;
    const std::string side = i == 0 ? "batch" : "per_row";
    HubProcess hub(tmp.Sub("hub_" + side));
    hub.Start();
    auto writer = Device::Create(tmp.Sub("writer_" + side));
    auto reader = Device::Create(tmp.Sub("reader_" + side));
    ASSERT_TRUE(writer->Enroll(hub, "broker", "*").ok());
    ASSERT_TRUE(reader->Enroll(hub, "broker", "*").ok());
    ASSERT_TRUE(ImportEast(*writer->store, path).ok());
    auto pushed = writer->Sync();
    ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
    EXPECT_EQ(pushed->pushed,
              Count(*writer->store,
                    "SELECT count(*) FROM (SELECT action FROM audit WHERE action = 'write' UNION "
                    "ALL SELECT action FROM audit_record WHERE action = 'write')"));
    auto got = reader->Sync();
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    pulled[i] = DomainRows(*reader->store);
    EXPECT_EQ(pulled[i], DomainRows(*writer->store));
    ExpectVerifies(*reader->store);
    hub.Kill();
  }
  EXPECT_GT(pulled[0].size(), 100u);
  EXPECT_EQ(pulled[0], pulled[1]);
}

}  // namespace
}  // namespace berth::testing

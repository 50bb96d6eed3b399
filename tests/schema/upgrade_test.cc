// Stores written by released versions open with this build: the page format still reads and every later
// migration applies without losing data (see tests/schema/data/README.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "berth/schema/ids.h"
#include "berth/schema/store.h"
#include "support/test_support.h"

namespace berth {
namespace {

TEST(Upgrade, StoreFromSchemaVersionOneOpensAndUpgrades) {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("store");
  std::filesystem::copy(std::string(BERTH_SOURCE_DIR) + "/tests/schema/data/store_v0001", dir);
  StoreOptions o;
  o.kdf = KdfParams::Fast();
  auto store = Store::Open(dir, Secret("berth fixture v1"), o);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_GT((*store)->schema_version(), 1);
  auto note = (*store)->GetSetting("note");
  ASSERT_TRUE(note.ok());
  ASSERT_TRUE(note->has_value());
  EXPECT_EQ(**note, "written by schema version 1");
  EXPECT_EQ(*(*store)->db().QueryInt("SELECT count(*) FROM outbox"), 2);  // unsynced changes survive
  auto report = (*store)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
  EXPECT_EQ(report->audit_entries_checked, 2);
}

// Every row of `table` as text, in id order: what a migration must carry over unchanged.
std::string Dump(Store& store, const std::string& table) {
  auto q = store.db().Prepare("SELECT * FROM " + table + " ORDER BY 1, 2, 3");
  EXPECT_TRUE(q.ok());
  std::string out;
  while (*q->Step()) {
    for (int c = 0; c < q->ColumnCount(); ++c) out += q->ColumnName(c) + "=" + q->Text(c) + ";";
    out += "\n";
  }
  return out;
}

// Migration 0004 rebuilds the domain tables to write their CHECK rules as equalities: rows, field clocks
// and the outbox come through unchanged, the rules still refuse what they refused, the indexes are back.
TEST(Upgrade, CheckRulesRewrittenAsEqualitiesKeepRowsAndStillRefuse) {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("store");
  StoreOptions v3;
  v3.kdf = KdfParams::Fast();
  v3.migrate_to = 3;
  std::string beds, clocks;
  {
    Secret recovery;
    auto store = Store::Create(dir, Secret("upgrade passphrase"), &recovery, v3);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_EQ((*store)->schema_version(), 3);
    Mutation bed;
    bed.entity = "bed";
    bed.row_id = NewUuidV7();
    bed.fields = {{"category", std::string("nursing_dementia")},
                  {"contract", std::string("block")},
                  {"block_tier", std::string("T2")},
                  {"status", std::string("held")},
                  {"single_sex_unit", std::string("female")},
                  {"weekly_rate_pence", int64_t{98000}}};
    ASSERT_TRUE((*store)->Write(bed).ok());
    Mutation rate;
    rate.entity = "bed";
    rate.row_id = bed.row_id;
    rate.fields = {{"weekly_rate_pence", int64_t{99500}}};
    ASSERT_TRUE((*store)->Write(rate).ok());
    beds = Dump(**store, "bed");
    clocks = Dump(**store, "field_clock");
  }
  StoreOptions current;
  current.kdf = KdfParams::Fast();
  auto store = Store::Open(dir, Secret("upgrade passphrase"), current);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Store& s = **store;
  EXPECT_GE(s.schema_version(), 4);
  EXPECT_EQ(Dump(s, "bed"), beds);
  EXPECT_EQ(Dump(s, "field_clock"), clocks);
  EXPECT_EQ(*s.db().QueryInt("SELECT count(*) FROM outbox"), 2);
  EXPECT_EQ(
      *s.db().QueryInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND sql LIKE '% IN (%'"), 0);
  EXPECT_EQ(*s.db().QueryInt("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN"
                             " ('bed_by_provider', 'bed_held', 'referral_by_status',"
                             " 'placement_by_bed')"),
            4);

  Mutation castle;
  castle.entity = "bed";
  castle.row_id = NewUuidV7();
  castle.fields = {{"category", std::string("castle")}};
  const Status refused = s.Write(castle);
  EXPECT_EQ(refused.code(), Code::kConflict) << refused.ToString();
  Mutation empty_category = castle;
  empty_category.fields = {{"category", std::string("")}};  // '' is not a bed category
  EXPECT_EQ(s.Write(empty_category).code(), Code::kConflict);
  EXPECT_EQ(Dump(s, "bed"), beds);  // nothing written
  EXPECT_EQ(*s.db().QueryInt("SELECT count(*) FROM outbox"), 2);
  auto report = s.Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
}

// Migration 0006 (a referral's life) only adds: existing referrals keep every value and get no cancel or
// delay reason, the date-change history starts empty, the unsynced outbox survives, and the new columns
// refuse a code that is not one of theirs.
TEST(Upgrade, TheReferralLifecycleAddsColumnsAndAHistoryTableWithoutTouchingRows) {
  testing::TempDir tmp;
  const std::string dir = tmp.Sub("store");
  StoreOptions v5;
  v5.kdf = KdfParams::Fast();
  v5.migrate_to = 5;
  const std::string id = NewUuidV7();
  const std::string history_table = "SELECT count(*) FROM sqlite_schema WHERE name = 'referral_date_change'";
  std::string before;
  {
    Secret recovery;
    auto store = Store::Create(dir, Secret("upgrade passphrase"), &recovery, v5);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_EQ((*store)->schema_version(), 5);
    Mutation r;
    r.entity = "referral";
    r.row_id = id;
    r.fields = {{"status", std::string("sourcing")}, {"discharge_ready_date", std::string("2026-03-10")}};
    ASSERT_TRUE((*store)->Write(r).ok());
    before = Dump(**store, "referral");
    EXPECT_EQ(*(*store)->db().QueryInt(history_table), 0);
  }
  StoreOptions current;
  current.kdf = KdfParams::Fast();
  auto store = Store::Open(dir, Secret("upgrade passphrase"), current);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Store& s = **store;
  EXPECT_GE(s.schema_version(), 6);
  EXPECT_EQ(*s.db().QueryInt(history_table), 1);
  // The old columns, in their order, then the two new ones, empty.
  const std::string after = Dump(s, "referral");
  EXPECT_EQ(after.substr(0, before.size() - 1), before.substr(0, before.size() - 1));
  EXPECT_NE(after.find("cancel_reason=;delay_reason=;"), std::string::npos) << after;
  EXPECT_EQ(*s.db().QueryInt("SELECT count(*) FROM referral_date_change"), 0);
  EXPECT_EQ(*s.db().QueryInt("SELECT count(*) FROM outbox"), 1);
  Mutation bad;
  bad.entity = "referral";
  bad.row_id = id;
  bad.fields = {{"cancel_reason", std::string("bored")}};
  EXPECT_EQ(s.Write(bad).code(), Code::kConflict);
  bad.fields = {{"delay_reason", std::string("waiting")}};
  EXPECT_EQ(s.Write(bad).code(), Code::kConflict);
  EXPECT_EQ(*s.db().QueryInt("SELECT count(*) FROM outbox"), 1);  // nothing written
  Mutation cancel = bad;
  cancel.fields = {{"status", std::string("cancelled")}, {"cancel_reason", std::string("died")}};
  ASSERT_TRUE(s.Write(cancel).ok());
  Mutation change;
  change.entity = "referral_date_change";
  change.row_id = NewUuidV7();
  change.fields = {
      {"referral_id", id}, {"old_date", std::string("2026-03-10")}, {"new_date", std::string("2026-03-14")}};
  ASSERT_TRUE(s.Write(change).ok());
  EXPECT_EQ(*s.db().QueryInt("SELECT count(*) FROM outbox"), 3);
  auto report = s.Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->problems.empty()) << report->problems.front();
}

// Migration 0017 numbers the hub's change log without AUTOINCREMENT: every entry keeps its number, and
// when purges had removed the entries at the end, a marker keeps the highest number ever given taken, so
// the next change is numbered past it. A log whose last entry is still there needs no marker.
TEST(Upgrade, TheHubsChangeLogKeepsItsNumbersAndNeverGivesOneTwice) {
  testing::TempDir tmp;
  StoreOptions v16;
  v16.kdf = KdfParams::Fast();
  v16.migrate_to = 16;
  StoreOptions current;
  current.kdf = KdfParams::Fast();
  const std::string log = "INSERT INTO hub_change (entity, row_id, area, changed_ms) VALUES ";
  for (const bool purged_at_the_end : {true, false}) {
    SCOPED_TRACE(purged_at_the_end ? "the newest entries purged" : "the newest entry kept");
    const std::string dir = tmp.Sub(purged_at_the_end ? "purged" : "kept");
    std::string entries;
    {
      Secret recovery;
      auto store = Store::Create(dir, Secret("upgrade passphrase"), &recovery, v16);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      Db& db = (*store)->db();
      ASSERT_TRUE(db.Exec(log + "('bed', 'b1', 'Huntingdonshire', 1), ('bed', 'b2', 'Fenland', 2),"
                                " ('bed', 'b3', 'Fenland', 3), ('bed', 'b4', 'Fenland', 4)")
                      .ok());
      ASSERT_TRUE(db.Exec("DELETE FROM hub_change WHERE seq IN (2, 4)").ok());
      if (!purged_at_the_end) {
        ASSERT_TRUE(db.Exec(log + "('bed', 'b5', 'Fenland', 5)").ok());
      }
      entries = Dump(**store, "hub_change");
    }
    auto store = Store::Open(dir, Secret("upgrade passphrase"), current);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Store& s = **store;
    EXPECT_GE(s.schema_version(), 17);
    EXPECT_EQ(*s.db().QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'hub_change' AND sql LIKE"
                               " '%AUTOINCREMENT%'"),
              0);
    EXPECT_EQ(*s.db().QueryInt("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN"
                               " ('hub_change_by_row', 'hub_change_by_area')"),
              2);
    const std::string migrated = Dump(s, "hub_change");
    if (purged_at_the_end) {
      EXPECT_EQ(migrated, entries + "seq=4;entity=;row_id=;area=;deleted=0;changed_ms=0;writer=;echo_ok=0;\n")
          << "a marker at the number AUTOINCREMENT had reached";
    } else {
      EXPECT_EQ(migrated, entries);
    }
    ASSERT_TRUE(s.db().Exec(log + "('bed', 'b6', 'Fenland', 6)").ok());
    EXPECT_EQ(*s.db().QueryInt("SELECT seq FROM hub_change WHERE row_id = 'b6'"), purged_at_the_end ? 5 : 6);
    // The entry of a changed row moves to the end (the hub's INSERT OR REPLACE).
    ASSERT_TRUE(s.db()
                    .Exec("INSERT OR REPLACE INTO hub_change (entity, row_id, area, changed_ms) VALUES"
                          " ('bed', 'b1', 'Huntingdonshire', 7)")
                    .ok());
    EXPECT_EQ(*s.db().QueryInt("SELECT seq FROM hub_change WHERE row_id = 'b1'"), purged_at_the_end ? 6 : 7);
    EXPECT_EQ(*s.db().QueryInt("SELECT count(*) FROM hub_change WHERE row_id = 'b1'"), 1);
  }
}

}  // namespace
}  // namespace berth

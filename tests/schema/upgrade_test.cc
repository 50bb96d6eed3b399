// Stores written by released versions open with this build: the page format still reads and every later
// migration applies without losing data (see tests/schema/data/README.md).
#include <gtest/gtest.h>

#include <filesystem>

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

}  // namespace
}  // namespace berth

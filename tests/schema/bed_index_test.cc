// The device store's index of held beds (migration 0016): the hold lookups are answered from it, and
// only held beds are in it, so a new vacant or occupied bed (what imports, the demo and pulls write by the
// hundred thousand) costs no entry.
#include <gtest/gtest.h>

#include <string>

#include "berth/schema/store.h"
#include "support/store_fixture.h"

namespace berth {
namespace {

class BedIndexTest : public testing::StoreFixture {
 protected:
  void PutBed(Store& store, const std::string& id, const std::string& status, const std::string& referral) {
    Mutation m;
    m.entity = "bed";
    m.row_id = id;
    m.fields = {{"provider_id", std::string("p1")},
                {"status", status},
                {"held_for_referral_id", referral},
                {"held_until", std::string(referral.empty() ? "" : "2026-12-03T13:00:00Z")}};
    ASSERT_TRUE(store.Write(m).ok());
  }
  static std::string Plan(Store& store, const std::string& sql) {
    auto q = store.db().Prepare("EXPLAIN QUERY PLAN " + sql);
    EXPECT_TRUE(q.ok()) << q.status().ToString();
    std::string plan;
    while (q.ok() && *q->Step()) plan += q->Text(3) + "\n";
    return plan;
  }
};

TEST_P(BedIndexTest, OnlyHeldBedsAreIndexedAndTheHoldLookupsUseIt) {
  auto store = CreateStore();
  PutBed(*store, "b-vacant", "vacant", "");
  PutBed(*store, "b-occupied", "occupied", "");
  PutBed(*store, "b-held", "held", "r-1");
  PutBed(*store, "b-held-2", "held", "r-2");
  // INDEXED BY fails to prepare when the index cannot answer the query: this both checks that the index
  // serves `status = 'held'` and counts what it holds.
  auto held = store->db().QueryInt("SELECT count(*) FROM bed INDEXED BY bed_held WHERE status = 'held'");
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(*held, 2);
  // The hold lookups of app/core (workflow.cc) and the views (view_model.cc) search the index.
  EXPECT_NE(Plan(*store,
                 "SELECT id FROM bed WHERE deleted = 0 AND status = 'held' AND held_for_referral_id = 'r-1'"
                 " AND id <> 'x' ORDER BY id")
                .find("bed_held"),
            std::string::npos);
  EXPECT_NE(Plan(*store,
                 "SELECT id FROM bed WHERE deleted = 0 AND status = 'held' AND held_until != '' AND"
                 " held_until <= '2026-12-04' ORDER BY id")
                .find("bed_held"),
            std::string::npos);
  // A bed that stops being held leaves the index.
  PutBed(*store, "b-held", "occupied", "");
  EXPECT_EQ(*store->db().QueryInt("SELECT count(*) FROM bed INDEXED BY bed_held WHERE status = 'held'"), 1);
  EXPECT_EQ(*store->db().QueryInt("SELECT count(*) FROM sqlite_schema WHERE name = 'bed_by_status'"), 0);
}

INSTANTIATE_TEST_SUITE_P(EncryptedAndPlain, BedIndexTest, ::testing::Values(true, false),
                         testing::EncryptionName);

}  // namespace
}  // namespace berth

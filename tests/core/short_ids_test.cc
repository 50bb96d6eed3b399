// Short ids: UUIDv7 ids made together share their first (time) digits, so Berth shows and accepts the
// shortest unique run of their last digits instead.
#include "berth/core/short_ids.h"

#include <gtest/gtest.h>

#include <set>

#include "berth/schema/ids.h"
#include "data_fixture.h"

namespace berth::core {
namespace {

using berth::testing::NewStore;
using berth::testing::TempDir;

class ShortIds : public ::testing::Test {
 protected:
  void SetUp() override { store = NewStore(tmp); }
  void Insert(const std::string& id) {
    ASSERT_TRUE(
        store->db().Exec("INSERT INTO referral (id, hlc, origin) VALUES ('" + id + "', '0', 'test')").ok())
        << id;
  }
  TempDir tmp;
  std::unique_ptr<Store> store;
};

TEST_F(ShortIds, IdsMadeTogetherGetDistinctShortFormsThatResolveBack) {
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    ids.push_back(NewUuidV7());  // made in the same few milliseconds: the same leading digits
    Insert(ids.back());
  }
  auto shorts = core::ShortIds(store->db(), "referral");
  ASSERT_TRUE(shorts.ok()) << shorts.status().ToString();
  ASSERT_EQ(shorts->size(), ids.size());
  std::set<std::string> distinct;
  for (const auto& id : ids) {
    const std::string& s = shorts->at(id);
    EXPECT_GE(s.size(), kMinShortId);
    distinct.insert(s);
    auto back = ResolveId(store->db(), "referral", "referral", s);
    ASSERT_TRUE(back.ok()) << s << ": " << back.status().ToString();
    EXPECT_EQ(*back, id);
  }
  EXPECT_EQ(distinct.size(), ids.size());
}

TEST_F(ShortIds, ASharedTailGrowsTheShortFormAndAnAmbiguousOneListsTheCandidates) {
  Insert("01930000-0000-7000-8000-00000a123456");
  Insert("01930000-0000-7000-8000-00000b123456");
  Insert("01930000-0000-7000-8000-0000000fedcb");
  auto shorts = core::ShortIds(store->db(), "referral");
  ASSERT_TRUE(shorts.ok());
  EXPECT_EQ(shorts->at("01930000-0000-7000-8000-00000a123456"), "a123456");
  EXPECT_EQ(shorts->at("01930000-0000-7000-8000-00000b123456"), "b123456");
  EXPECT_EQ(shorts->at("01930000-0000-7000-8000-0000000fedcb"), "0fedcb");

  // Six digits both end with (the shortest form a user may type): refused, naming both, as after a sync
  // brings the second one.
  auto ambiguous = ResolveId(store->db(), "referral", "referral", "123456");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.status().code(), Code::kBadInput);
  EXPECT_NE(ambiguous.status().message().find("matches 2 referrals"), std::string::npos);
  EXPECT_NE(ambiguous.status().message().find("00000a123456"), std::string::npos);
  EXPECT_NE(ambiguous.status().message().find("00000b123456"), std::string::npos);

  // Upper case and dashes do not matter; the whole id and a prefix still work.
  auto upper = ResolveId(store->db(), "referral", "referral", "A123456");
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ(*upper, "01930000-0000-7000-8000-00000a123456");
  auto whole = ResolveId(store->db(), "referral", "referral", "01930000-0000-7000-8000-0000000fedcb");
  ASSERT_TRUE(whole.ok());
  auto unknown = ResolveId(store->db(), "referral", "referral", "999999");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace berth::core

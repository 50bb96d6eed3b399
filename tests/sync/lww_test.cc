// sync's cached last-writer-wins apply (used by the hub and by pulls) must give exactly the rows and
// per-field clocks Store::ApplyRemote gives, or replicas would drift apart.
#include <gtest/gtest.h>

#include <random>

#include "../../sync/src/rows.h"
#include "hub_harness.h"

namespace berth::testing {
namespace {

TEST(Lww, CachedApplyMatchesStoreApplyRemoteOnRandomHistories) {
  TempDir tmp;
  auto a = Device::Create(tmp.Sub("a"));
  auto b = Device::Create(tmp.Sub("b"));
  sync::internal::StmtCache cache(b->store->db().raw());
  sync::internal::Schema schema;
  ASSERT_TRUE(schema.Load(b->store->db()).ok());
  std::mt19937 rng(99);
  std::vector<std::string> rows = {NewUuidV7(), NewUuidV7(), NewUuidV7()};
  std::vector<std::string> origins = {"dev-a", "dev-b", "dev-c"};
  for (int i = 0; i < 400; ++i) {
    Mutation m;
    m.mutation_id = NewUuidV7();
    m.entity = "bed";
    m.row_id = rows[rng() % rows.size()];
    m.hlc =
        Hlc{1700000000000 + static_cast<int64_t>(rng() % 50), static_cast<uint32_t>(rng() % 3)}.ToString();
    m.origin_device = origins[rng() % origins.size()];
    if (rng() % 10 == 0) {
      m.kind = MutationKind::kDelete;
    } else {
      m.fields["room"] = std::to_string(rng() % 9);
      if (rng() % 2) m.fields["en_suite"] = int64_t(rng() % 2);
      if (rng() % 3 == 0) m.fields["status"] = std::string(rng() % 2 ? "vacant" : "held");
    }
    ASSERT_TRUE(a->store->ApplyRemote(m).ok());
    ASSERT_TRUE(b->store->db().Transaction([&] { return sync::internal::ApplyLww(cache, schema, m); }).ok());
  }
  EXPECT_EQ(DumpDomain(*a->store, {"bed"}), DumpDomain(*b->store, {"bed"}));
  auto clocks = [](Store& s) {
    std::string out;
    auto st = s.db().Prepare("SELECT entity, row_id, field, hlc, origin FROM field_clock ORDER BY 1, 2, 3");
    while (st.ok()) {
      auto r = st->Step();
      if (!r.ok() || !*r) break;
      for (int c = 0; c < 5; ++c) out += st->Text(c) + " ";
      out += "\n";
    }
    return out;
  };
  EXPECT_EQ(clocks(*a->store), clocks(*b->store));
  EXPECT_FALSE(clocks(*a->store).empty());
  // Bad input is refused the same way.
  Mutation bad;
  bad.entity = "bed";
  bad.row_id = rows[0];
  bad.hlc = "x";
  bad.fields["no_such_column"] = int64_t{1};
  EXPECT_EQ(sync::internal::ApplyLww(cache, schema, bad).code(), Code::kBadInput);
}

}  // namespace
}  // namespace berth::testing

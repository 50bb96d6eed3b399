// The sync engine's last-writer-wins apply (used by the hub and by pulls) must give exactly the rows and
// per-field clocks Store::ApplyRemote gives, or replicas would drift apart: both go through
// berth::MergeLww, and these tests hold them to it.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "../../sync/src/rows.h"
#include "hub_harness.h"

namespace berth::testing {
namespace {

std::string FieldClocks(Store& s) {
  std::string out;
  auto st = s.db().Prepare("SELECT entity, row_id, field, hlc, origin FROM field_clock ORDER BY 1, 2, 3");
  while (st.ok()) {
    auto r = st->Step();
    if (!r.ok() || !*r) break;
    for (int c = 0; c < 5; ++c) out += st->Text(c) + " ";
    out += "\n";
  }
  return out;
}

Mutation RandomBedEdit(std::mt19937& rng, const std::vector<std::string>& rows,
                       const std::vector<std::string>& origins) {
  Mutation m;
  m.mutation_id = NewUuidV7();
  m.entity = "bed";
  m.row_id = rows[rng() % rows.size()];
  m.hlc = Hlc{1700000000000 + static_cast<int64_t>(rng() % 50), static_cast<uint32_t>(rng() % 3)}.ToString();
  m.origin_device = origins[rng() % origins.size()];
  if (rng() % 10 == 0) {
    m.kind = MutationKind::kDelete;
  } else {
    m.fields["room"] = std::to_string(rng() % 9);
    if (rng() % 2) m.fields["en_suite"] = int64_t(rng() % 2);
    if (rng() % 3 == 0) m.fields["status"] = std::string(rng() % 2 ? "vacant" : "held");
  }
  return m;
}

TEST(Lww, CachedApplyMatchesStoreApplyRemoteOnRandomHistories) {
  TempDir tmp;
  auto a = Device::Create(tmp.Sub("a"));
  auto b = Device::Create(tmp.Sub("b"));
  sync::internal::Schema schema;
  ASSERT_TRUE(schema.Load(b->store->db()).ok());
  std::mt19937 rng(99);
  std::vector<std::string> rows = {NewUuidV7(), NewUuidV7(), NewUuidV7()};
  std::vector<std::string> origins = {"dev-a", "dev-b", "dev-c"};
  for (int i = 0; i < 400; ++i) {
    const Mutation m = RandomBedEdit(rng, rows, origins);
    ASSERT_TRUE(a->store->ApplyRemote(m).ok());
    ASSERT_TRUE(
        b->store->db().Transaction([&] { return sync::internal::ApplyLww(b->store->db(), schema, m); }).ok());
  }
  EXPECT_EQ(DumpDomain(*a->store, {"bed"}), DumpDomain(*b->store, {"bed"}));
  EXPECT_EQ(FieldClocks(*a->store), FieldClocks(*b->store));
  EXPECT_FALSE(FieldClocks(*a->store).empty());
  // Bad input is refused the same way.
  Mutation bad;
  bad.entity = "bed";
  bad.row_id = rows[0];
  bad.hlc = "x";
  bad.fields["no_such_column"] = int64_t{1};
  EXPECT_EQ(sync::internal::ApplyLww(b->store->db(), schema, bad).code(), Code::kBadInput);
}

// A pulled row, sent as protocol 2 sends it (fields at the row's clock carry no clock of their own), must
// leave a store holding exactly the hub's row and field clocks: both into a store that lacks the row (the
// first-sync insert) and into one holding an older version of it (the merge clock by clock), whether
// merged row by row or inside a Store::Batch as a pulled page is (insert first, then merge).
TEST(Lww, APulledRowReproducesTheHubsRowWhetherNewOrOlderHere) {
  TempDir tmp;
  auto hub = Device::Create(tmp.Sub("hub"));
  auto fresh = Device::Create(tmp.Sub("fresh"));
  auto behind = Device::Create(tmp.Sub("behind"));
  auto fresh_batch = Device::Create(tmp.Sub("fresh_batch"));
  auto behind_batch = Device::Create(tmp.Sub("behind_batch"));
  sync::internal::Schema schema;
  ASSERT_TRUE(schema.Load(hub->store->db()).ok());
  std::mt19937 rng(7);
  std::vector<std::string> rows;
  for (int i = 0; i < 12; ++i) rows.push_back(NewUuidV7());
  const std::vector<std::string> origins = {"dev-a", "dev-b", "dev-c"};
  for (int i = 0; i < 300; ++i) {
    const Mutation m = RandomBedEdit(rng, rows, origins);
    ASSERT_TRUE(hub->store->db()
                    .Transaction([&] { return sync::internal::ApplyLww(hub->store->db(), schema, m); })
                    .ok());
    if (i < 150) {
      for (Device* d : {behind.get(), behind_batch.get()}) {
        ASSERT_TRUE(d->store->db()
                        .Transaction([&] { return sync::internal::ApplyLww(d->store->db(), schema, m); })
                        .ok());
      }
    }
  }
  sync::PullResponse page;
  int own_clocks = 0;
  for (const auto& id : rows) {
    auto rs = sync::internal::ReadRowState(hub->store->db(), schema, "bed", id);
    ASSERT_TRUE(rs.ok());
    if (rs->absent) continue;
    for (const auto& f : rs->fields) {
      if (f.HasRowClock()) continue;
      ++own_clocks;
      EXPECT_NE(f.hlc + f.origin, rs->row_hlc + rs->row_origin)
          << "a field at the row's clock is sent without one";
    }
    page.rows.push_back(*rs);
  }
  ASSERT_GT(own_clocks, 0) << "the history should leave some fields newer than their row";
  auto decoded = sync::DecodePullResponse(sync::Encode(page));
  ASSERT_TRUE(decoded.ok());
  // The last row comes with its fields in another order (not the table's): merged field by field all
  // the same, on both paths.
  std::reverse(decoded->rows.back().fields.begin(), decoded->rows.back().fields.end());
  for (const auto& row : decoded->rows) {
    ASSERT_TRUE(sync::internal::MergeRowState(*fresh->store, schema, row).ok());
    ASSERT_TRUE(sync::internal::MergeRowState(*behind->store, schema, row).ok());
  }
  for (Device* d : {fresh_batch.get(), behind_batch.get()}) {
    ASSERT_TRUE(d->store
                    ->Batch([&]() -> Status {
                      for (const auto& row : decoded->rows) {
                        BERTH_RETURN_IF_ERROR(sync::internal::MergeRowState(*d->store, schema, row));
                      }
                      return Status::Ok();
                    })
                    .ok());
  }
  for (Device* d : {fresh.get(), behind.get(), fresh_batch.get(), behind_batch.get()}) {
    EXPECT_EQ(DumpDomain(*d->store, {"bed"}), DumpDomain(*hub->store, {"bed"}));
    EXPECT_EQ(FieldClocks(*d->store), FieldClocks(*hub->store));
  }
  // A row naming a column the table does not have is refused, and nothing of it is written.
  sync::RowState bad = decoded->rows.front();
  bad.row_id = NewUuidV7();
  bad.fields.push_back({"no_such_column", int64_t{1}, "", ""});
  EXPECT_EQ(sync::internal::MergeRowState(*fresh->store, schema, bad).code(), Code::kBadInput);
  EXPECT_TRUE(sync::internal::ReadRowState(fresh->store->db(), schema, "bed", bad.row_id)->absent);
  EXPECT_EQ(fresh_batch->store
                ->Batch([&] { return sync::internal::MergeRowState(*fresh_batch->store, schema, bad); })
                .code(),
            Code::kBadInput);
  EXPECT_TRUE(sync::internal::ReadRowState(fresh_batch->store->db(), schema, "bed", bad.row_id)->absent);
}

// A pulled row's fields that hold their column's default are left out of its insert (the table fills them
// in): the row reads back with every value and storage class the hub sent, the same as a row whose every
// field was bound (the hub's, through ApplyLww); a value of another type than the default (the text '0' for
// an integer 0) is bound.
TEST(Lww, APulledRowWhoseFieldsHoldTheirDefaultsIsStoredAsSent) {
  TempDir tmp;
  auto hub = Device::Create(tmp.Sub("hub"));
  auto pulled = Device::Create(tmp.Sub("pulled"));
  auto pulled_batch = Device::Create(tmp.Sub("pulled_batch"));
  sync::internal::Schema schema;
  ASSERT_TRUE(schema.Load(hub->store->db()).ok());
  const std::vector<std::string>& fields = *schema.FieldColumns("provider");
  const std::vector<std::optional<Value>>& defaults = *schema.FieldDefaults("provider");
  ASSERT_EQ(defaults.size(), fields.size());
  auto default_of = [&](const std::string& name) {
    return defaults[static_cast<size_t>(std::find(fields.begin(), fields.end(), name) - fields.begin())];
  };
  EXPECT_EQ(default_of("kind"), std::optional<Value>(std::string("care_home")));
  EXPECT_EQ(default_of("registered_beds"), std::optional<Value>(int64_t{0}));
  EXPECT_EQ(default_of("latitude"), std::optional<Value>(Value{}));  // nullable, no default: NULL

  sync::RowState row;
  row.entity = "provider";
  row.row_id = NewUuidV7();
  row.row_hlc = Hlc{1700000000000, 1}.ToString();
  row.row_origin = "dev-a";
  for (size_t k = 0; k < fields.size(); ++k) {
    sync::FieldState& f = row.fields.emplace_back();
    f.name = fields[k];
    f.value = defaults[k].value_or(Value{std::string("x")});
  }
  auto set = [&](const std::string& name, Value v) {
    for (auto& f : row.fields) {
      if (f.name == name) f.value = std::move(v);
    }
  };
  set("name", std::string("Elm House"));
  set("district", std::string("Huntingdonshire"));
  set("registered_beds", std::string("0"));  // text, not the integer default: bound, stored by affinity
  set("longitude", 0.25);

  Mutation every_field;
  every_field.mutation_id = NewUuidV7();
  every_field.entity = row.entity;
  every_field.row_id = row.row_id;
  every_field.hlc = row.row_hlc;
  every_field.origin_device = row.row_origin;
  for (const auto& f : row.fields) every_field.fields[f.name] = f.value;
  ASSERT_TRUE(
      hub->store->db()
          .Transaction([&] { return sync::internal::ApplyLww(hub->store->db(), schema, every_field); })
          .ok());
  ASSERT_TRUE(sync::internal::MergeRowState(*pulled->store, schema, row).ok());
  ASSERT_TRUE(pulled_batch->store
                  ->Batch([&] { return sync::internal::MergeRowState(*pulled_batch->store, schema, row); })
                  .ok());
  auto typed = [&](Store& s) {
    std::string out;
    for (const std::string& c : *schema.Columns("provider")) {
      auto st =
          s.db().Prepare("SELECT typeof(\"" + c + "\"), quote(\"" + c + "\") FROM provider WHERE id = ?");
      EXPECT_TRUE(st.ok());
      st->Bind(1, row.row_id);
      auto r = st->Step();
      EXPECT_TRUE(r.ok() && *r);
      out += c + "=" + st->Text(0) + ":" + st->Text(1) + "\n";
    }
    return out;
  };
  const std::string expected = typed(*hub->store);
  EXPECT_NE(expected.find("registered_beds=integer:0"), std::string::npos) << expected;
  EXPECT_NE(expected.find("latitude=null:NULL"), std::string::npos) << expected;
  EXPECT_NE(expected.find("kind=text:'care_home'"), std::string::npos) << expected;
  for (Device* d : {pulled.get(), pulled_batch.get()}) {
    EXPECT_EQ(typed(*d->store), expected);
    EXPECT_EQ(FieldClocks(*d->store), FieldClocks(*hub->store));
  }
}

}  // namespace
}  // namespace berth::testing

// Rows that sync (store.h; FORMAT.md "Rows that sync"): the checks on a change, the per-row and batch
// writes with their field clocks, outbox and audit entries, and the last-writer-wins merge of remote rows.

#include "berth/schema/store.h"

#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string_view>

#include "berth/schema/binary_encoding.h"
#include "berth/schema/crypt_vfs.h"
#include "berth/schema/outbox.h"
#include "berth/schema/settings.h"
#include "keyfile.h"
#include "migrations.h"
#include "store_impl.h"

namespace berth {
namespace fs = std::filesystem;
using namespace store_internal;

// ---- rows that sync
// ----------------------------------------------------------------------------------------

namespace {

struct Clock {
  std::string hlc;
  std::string origin;
  bool operator<(const Clock& o) const { return std::tie(hlc, origin) < std::tie(o.hlc, o.origin); }
};

}  // namespace

Status Store::CheckLocal(Mutation& m) const {
  auto table = impl_->columns.find(m.entity);
  if (table == impl_->columns.end()) return BadInput("'" + m.entity + "' is not a table that syncs");
  if (m.row_id.empty()) m.row_id = NewUuidV7(impl_->env);
  for (const auto& [field, value] : m.fields) {
    if (field == "id" || field == "hlc" || field == "origin" || field == "deleted" ||
        !table->second.count(field)) {
      return BadInput("'" + m.entity + "' has no field '" + field + "'");
    }
  }
  if (m.kind != MutationKind::kDelete && m.fields.empty())
    return BadInput("a change must set at least one field");
  return CheckSettingMutation(m);
}

Status Store::CheckRemote(const Mutation& m) const {
  if (!impl_->columns.count(m.entity)) return BadInput("'" + m.entity + "' is not a table that syncs");
  return CheckSettingMutation(m);
}

Status Store::Noted(Status st) {
  if (!st.ok() && impl_->batch.active && impl_->batch.failed.ok()) impl_->batch.failed = st;
  return impl_->Explain(st);
}

Status Store::Write(Mutation m) {
  if (locked()) return NotAuthorised("the store is locked");
  BERTH_RETURN_IF_ERROR(Noted(CheckLocal(m)));
  m.mutation_id = NewUuidV7(impl_->env);
  m.origin_device = device_id_;
  // In a batch the batch's transaction holds the row: no savepoint of its own (Batch rolls back on error).
  if (impl_->batch.active) return Noted(WriteInTransaction(m));
  return impl_->Explain(impl_->db.Transaction([&]() -> Status { return WriteInTransaction(m); }));
}

Status Store::WriteInTransaction(Mutation& m) {
  Db& db = impl_->db;
  m.hlc = Tick().ToString();
  BERTH_RETURN_IF_ERROR(ApplyInTransaction(m));
  // A store held at a schema from before the `encoding` column (StoreOptions::migrate_to, which the
  // upgrade tests use to make old stores) writes its entries as such a store did: the whole Mutation.
  constexpr int kFirstSchemaWithOutboxEncoding = 15;
  const bool compact = schema_version_ >= kFirstSchemaWithOutboxEncoding;
  BERTH_ASSIGN_OR_RETURN(
      Statement out,
      db.Cached(
          compact
              ? "INSERT INTO outbox (mutation_id, kind, entity, row_id, hlc, created_ms, payload, encoding)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
              : "INSERT INTO outbox (mutation_id, kind, entity, row_id, hlc, created_ms, payload)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"));
  const std::vector<uint8_t> payload = compact ? EncodeOutboxPayload(m) : EncodeBinary(m);
  out.Bind(1, m.mutation_id)
      .Bind(2, static_cast<int64_t>(m.kind))
      .Bind(3, m.entity)
      .Bind(4, m.row_id)
      .Bind(5, m.hlc)
      .Bind(6, impl_->env->NowMs())
      .BindBlob(7, payload);
  if (compact) out.Bind(8, static_cast<int64_t>(OutboxEncoding::kCompact));
  BERTH_RETURN_IF_ERROR(out.Run());
  BERTH_RETURN_IF_ERROR(SaveClock(m.hlc));
  std::string detail;
  for (const auto& kv : m.fields) detail += (detail.empty() ? "" : ",") + kv.first;
  const char* action = m.kind == MutationKind::kDelete  ? "delete"
                       : m.kind == MutationKind::kClaim ? "claim"
                                                        : "write";
  return AppendAuditInTransaction(m.claim.empty() ? action : std::string(action) + ":" + m.claim, m.entity,
                                  m.row_id, detail);
}

Status Store::ApplyRemote(const Mutation& m) {
  if (locked()) return NotAuthorised("the store is locked");
  BERTH_RETURN_IF_ERROR(Noted(CheckRemote(m)));
  if (impl_->batch.active) return Noted(ApplyInTransaction(m));
  return impl_->Explain(impl_->db.Transaction([&]() -> Status { return ApplyInTransaction(m); }));
}

bool Store::in_batch() const {
  return impl_->batch.active;
}

Status Store::Batch(const std::function<Status()>& body) {
  if (locked()) return NotAuthorised("the store is locked");
  // Joins the enclosing batch, which its error (even one ignored) rolls back.
  if (impl_->batch.active) return Noted(body());
  Db& db = impl_->db;
  const std::vector<uint8_t> audit_hash_before = impl_->last_audit_hash;
  // A batch may write hundreds of thousands of rows in one transaction: its dirty pages may then fill the
  // page cache, and SQLite would spill (seal, write, and later read back) pages before the commit; the
  // England demo still spilled at 512 MiB. So a batch lets dirty pages, and only they, grow the cache up to
  // 1 GiB (cache_spill) while clean pages stay within the connection's cache_size and are recycled: a
  // pulled page of a few thousand rows then reuses the cache's memory instead of allocating pages that the
  // batch's end would free (sqlite3PcacheFetchStress). Afterwards the threshold is SQLite's default again
  // (`cache_spill = 1`: spill past cache_size, whatever it is later set to); nothing else in Berth sets it.
  constexpr int64_t kBatchSpillPages = (int64_t{1} << 30) / 4096;
  BERTH_RETURN_IF_ERROR(db.Exec("PRAGMA cache_spill = " + std::to_string(kBatchSpillPages)));
  Status st = db.Transaction([&]() -> Status {
    impl_->batch = Impl::BatchState{};
    impl_->batch.active = true;
    impl_->batch.rollbacks_at_start = db.savepoint_rollbacks();
    Status run = body();
    if (run.ok()) run = impl_->batch.failed;
    // What every row would have saved, saved once: one audit entry naming the batch's records (with the
    // chain's end) and the newest clock.
    if (run.ok()) run = AppendBatchAudit();
    Impl::BatchState done = std::move(impl_->batch);
    impl_->batch = Impl::BatchState{};
    BERTH_RETURN_IF_ERROR(run);
    if (!done.hlc.empty()) BERTH_RETURN_IF_ERROR(SaveClock(done.hlc));
    return Status::Ok();
  });
  if (!st.ok()) impl_->last_audit_hash = audit_hash_before;
  const Status restored = db.Exec("PRAGMA cache_spill = 1");
  if (st.ok()) st = restored;
  return impl_->Explain(st);
}

Status Store::WriteBatch(std::vector<Mutation> mutations) {
  if (locked()) return NotAuthorised("the store is locked");
  for (size_t i = 0; i < mutations.size(); ++i) {
    const Status st = CheckLocal(mutations[i]);
    if (!st.ok()) return st.Context("change " + std::to_string(i + 1) + " of the batch");
  }
  return Batch([&]() -> Status {
    for (Mutation& m : mutations) BERTH_RETURN_IF_ERROR(Write(std::move(m)));
    return Status::Ok();
  });
}

Status Store::ApplyRemoteBatch(std::span<const Mutation> mutations) {
  if (locked()) return NotAuthorised("the store is locked");
  for (size_t i = 0; i < mutations.size(); ++i) {
    const Status st = CheckRemote(mutations[i]);
    if (!st.ok()) return st.Context("change " + std::to_string(i + 1) + " of the batch");
  }
  return Batch([&]() -> Status {
    for (const Mutation& m : mutations) BERTH_RETURN_IF_ERROR(ApplyRemote(m));
    return Status::Ok();
  });
}

namespace {

// A field's name (in the mutation, which outlives the vector) and its value.
using FieldRefs = std::vector<std::pair<std::string_view, const Value*>>;

// Creates the row `m` names with `fields` (all of them won: the row is new). With `if_new`, a row that
// already has this id is left alone and `*created` says whether the insert happened.
Status InsertRow(Db& db, const Mutation& m, const FieldRefs& fields, bool if_new, bool* created,
                 const ColumnStamp* stamp = nullptr) {
  // The statement's text is built in one buffer: a temporary string per piece cost an eighth of the
  // instructions of inserting a row (callgrind, the hub's push).
  std::string sql;
  sql.reserve(112 + m.entity.size() + fields.size() * 32);
  sql.append("INSERT INTO \"").append(m.entity).append("\" (id, hlc, origin");
  for (const auto& f : fields) sql.append(", \"").append(f.first).append("\"");
  if (stamp != nullptr) sql.append(", \"").append(stamp->column).append("\"");
  sql.append(") VALUES (?, ?, ?");
  for (size_t i = 0; i < fields.size(); ++i) sql.append(", ?");
  if (stamp != nullptr) sql.append(", ?");
  sql.append(if_new ? ") ON CONFLICT (id) DO NOTHING" : ")");
  BERTH_ASSIGN_OR_RETURN(Statement ins, db.Cached(sql));
  // `m` outlives `ins`: its values are bound where they are.
  ins.BindTextInPlace(1, m.row_id).BindTextInPlace(2, m.hlc).BindTextInPlace(3, m.origin_device);
  int i = 4;
  for (const auto& f : fields) ins.BindValueInPlace(i++, *f.second);
  if (stamp != nullptr) ins.Bind(i, stamp->value);
  BERTH_RETURN_IF_ERROR(ins.Run());
  if (created != nullptr) *created = db.Changes() > 0;
  return Status::Ok();
}

}  // namespace

Status Store::ApplyInTransaction(const Mutation& m) {
  auto table = impl_->columns.find(m.entity);
  if (table == impl_->columns.end()) return BadInput("'" + m.entity + "' is not a table that syncs");
  BERTH_RETURN_IF_ERROR(ObserveClock(m.hlc));
  if (impl_->batch.active && m.kind != MutationKind::kDelete && !m.fields.empty()) {
    // A batch mostly creates rows (an import, the demo, a first pull): insert first, which costs no read
    // for a new row; an id that is already here means the row exists, and the merge below decides field
    // by field as always. A new row takes every field either way (MergeLww: nothing to lose against).
    FieldRefs fields;
    fields.reserve(m.fields.size());
    for (const auto& [field, value] : m.fields) {
      if (!table->second.count(field)) return BadInput("'" + m.entity + "' has no field '" + field + "'");
      fields.emplace_back(field, &value);
    }
    bool created = false;
    BERTH_RETURN_IF_ERROR(InsertRow(impl_->db, m, fields, true, &created));
    if (created) return Status::Ok();
  }
  return MergeLww(impl_->db, table->second, m);
}

Status MergeLww(Db& db, const std::set<std::string>& columns, const Mutation& m, const KnownRow* known,
                bool* all_won, const ColumnStamp* stamp) {
  if (all_won != nullptr) *all_won = false;
  const Clock incoming{m.hlc, m.origin_device};
  bool exists = false;
  Clock row_clock;
  if (known != nullptr) {
    exists = known->exists;
    if (exists) row_clock = Clock{known->hlc, known->origin};
  } else {
    BERTH_ASSIGN_OR_RETURN(Statement row,
                           db.Cached("SELECT hlc, origin FROM \"" + m.entity + "\" WHERE id = ?"));
    row.BindTextInPlace(1, m.row_id);  // `m` outlives every statement here: its text is bound in place
    BERTH_ASSIGN_OR_RETURN(exists, row.Step());
    if (exists) row_clock = Clock{row.Text(0), row.Text(1)};
  }

  // Which fields does this mutation win? A field's clock is its field_clock entry, else its row's.
  std::map<std::string, Clock> field_clocks;
  if (exists) {
    BERTH_ASSIGN_OR_RETURN(
        Statement fc,
        db.Cached("SELECT field, hlc, origin FROM field_clock WHERE entity = ? AND row_id = ?"));
    fc.BindTextInPlace(1, m.entity).BindTextInPlace(2, m.row_id);
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool r, fc.Step());
      if (!r) break;
      field_clocks[fc.Text(0)] = Clock{fc.Text(1), fc.Text(2)};
    }
  }
  auto clock_of = [&](const std::string& field) {
    auto it = field_clocks.find(field);
    return it == field_clocks.end() ? row_clock : it->second;
  };

  FieldRefs winners;
  if (m.kind == MutationKind::kDelete) {
    if (exists && clock_of("deleted") < incoming) winners.emplace_back("deleted", nullptr);
  } else {
    for (const auto& [field, value] : m.fields) {
      if (!columns.count(field)) return BadInput("'" + m.entity + "' has no field '" + field + "'");
      if (!exists || clock_of(field) < incoming) winners.emplace_back(field, &value);
    }
  }
  if (all_won != nullptr) {
    *all_won = m.kind == MutationKind::kDelete ? winners.size() == 1 : winners.size() == m.fields.size();
  }
  if (winners.empty() && (stamp == nullptr || !exists)) return Status::Ok();

  if (!exists) return InsertRow(db, m, winners, false, nullptr, stamp);
  std::string sql;
  sql.reserve(64 + m.entity.size() + winners.size() * 32);
  sql.append("UPDATE \"").append(m.entity).append("\" SET ");
  for (size_t k = 0; k < winners.size(); ++k)
    sql.append(k == 0 ? "\"" : ", \"").append(winners[k].first).append("\" = ?");
  if (stamp != nullptr) sql.append(winners.empty() ? "\"" : ", \"").append(stamp->column).append("\" = ?");
  sql.append(" WHERE id = ?");
  BERTH_ASSIGN_OR_RETURN(Statement upd, db.Cached(sql));
  int i = 1;
  for (const auto& w : winners) {
    if (w.second == nullptr) {
      upd.Bind(i++, int64_t{1});
    } else {
      upd.BindValueInPlace(i++, *w.second);
    }
  }
  if (stamp != nullptr) upd.Bind(i++, stamp->value);
  upd.BindTextInPlace(i, m.row_id);
  BERTH_RETURN_IF_ERROR(upd.Run());
  BERTH_ASSIGN_OR_RETURN(Statement clk,
                         db.Cached("INSERT INTO field_clock (entity, row_id, field, hlc, origin)"
                                   " VALUES (?, ?, ?, ?, ?) ON CONFLICT (entity, row_id, field)"
                                   " DO UPDATE SET hlc = excluded.hlc, origin = excluded.origin"));
  for (const auto& w : winners) {
    clk.Reset();
    clk.BindTextInPlace(1, m.entity).BindTextInPlace(2, m.row_id).BindTextInPlace(3, w.first);
    clk.BindTextInPlace(4, m.hlc).BindTextInPlace(5, m.origin_device);
    BERTH_RETURN_IF_ERROR(clk.Run());
  }
  return Status::Ok();
}

}  // namespace berth

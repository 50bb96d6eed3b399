// Push on the SQLite hub (hub_storage_sqlite.h, PROTOCOL.md sections 5 and 7): each change of a batch is
// decided by the rules (hub_rules.h) on the store's reads, then merged (LWW) and moved to the end of the
// change log. A rejected claim poisons the later entries of the same batch that depend on it.
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <tuple>

#include "berth/schema/ids.h"
#include "berth/schema/model.h"
#include "berth/schema/occupancy.h"
#include "berth/schema/settings.h"
#include "berth/sync/version.h"
#include "hub_storage_sqlite.h"

namespace berth::sync::internal {

Result<PushResponse> SqliteHubStorage::Push(const DeviceRecord& device, const PushRequest& request,
                                            int64_t now_ms, PushStats* stats) {
  std::lock_guard<std::mutex> lock(mu_);
  PushResponse resp;
  uint64_t log_before = 0;
  uint64_t log_after = 0;
  batch_echo_only_ = true;
  const bool outermost = !db().InTransaction();
  Status st = store_->db().Transaction([&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(DeviceRecord fresh, GetDeviceLocked(device.device_id));
    BERTH_ASSIGN_OR_RETURN(log_before, LogEnd());
    next_seq_ = log_before + 1;
    BERTH_RETURN_IF_ERROR(DecideBatch(fresh, request, now_ms, &resp, stats));
    log_after = next_seq_ - 1;  // every entry of the batch was numbered from next_seq_ on
    BERTH_ASSIGN_OR_RETURN(Statement upd, db().Cached("UPDATE hub_device SET acked_seq = ?, last_seen_ms = ?"
                                                      " WHERE device_id = ?"));
    upd.Bind(1, static_cast<int64_t>(resp.acked_through)).Bind(2, now_ms).Bind(3, device.device_id);
    return upd.Run();
  });
  if (!st.ok()) return st;
  // Only once committed: a run must never name numbers a rolled-back push had taken, which the next
  // entries (anyone's) take again.
  if (outermost) NoteEchoRun(device.device_id, log_before, log_after);
  return resp;
}

Result<uint64_t> SqliteHubStorage::LogEnd() {
  BERTH_ASSIGN_OR_RETURN(Statement s, db().Cached("SELECT coalesce(max(seq), 0) FROM hub_change"));
  BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
  return r ? static_cast<uint64_t>(s.Int(0)) : uint64_t{0};
}

void SqliteHubStorage::NoteEchoRun(const std::string& device_id, uint64_t log_before, uint64_t log_after) {
  if (log_after <= log_before || !batch_echo_only_) return;
  std::lock_guard<std::mutex> lock(echo_mu_);
  EchoRun& run = echo_runs_[device_id];
  if (run.through != log_before) run.after = log_before;  // something else was logged since: a new run
  run.through = log_after;
}

SqliteHubStorage::EchoRun SqliteHubStorage::EchoRunOf(const std::string& device_id) {
  std::lock_guard<std::mutex> lock(echo_mu_);
  auto it = echo_runs_.find(device_id);
  return it == echo_runs_.end() ? EchoRun{} : it->second;
}

Result<RowState> SqliteHubStorage::RowStateOf(const std::string& entity, const std::string& row_id) {
  return internal::ReadRowState(db(), schema_, entity, row_id);
}

Result<std::optional<Rejection>> SqliteHubStorage::RecordedRejection(const std::string& device_id,
                                                                     uint64_t seq) {
  BERTH_ASSIGN_OR_RETURN(Statement s, db().Cached("SELECT reason_code, reason FROM hub_rejection"
                                                  " WHERE device_id = ? AND seq = ?"));
  s.Bind(1, device_id).Bind(2, static_cast<int64_t>(seq));
  BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
  if (!found) return std::optional<Rejection>();
  return std::optional<Rejection>(Rejection{s.Text(0), s.Text(1)});
}

Status SqliteHubStorage::RecordRejection(const std::string& device_id, uint64_t seq,
                                         const std::string& mutation_id, const Rejection& rejection) {
  BERTH_ASSIGN_OR_RETURN(Statement ins, db().Cached("INSERT INTO hub_rejection (device_id, seq, mutation_id,"
                                                    " reason_code, reason) VALUES (?, ?, ?, ?, ?)"));
  ins.Bind(1, device_id).Bind(2, static_cast<int64_t>(seq)).Bind(3, mutation_id);
  ins.Bind(4, rejection.code).Bind(5, rejection.reason);
  return ins.Run();
}

Result<std::map<std::string, Value>> SqliteHubStorage::RowValues(const std::string& entity,
                                                                 const std::string& row_id) {
  return internal::ReadRowValues(db(), schema_, entity, row_id);
}

// The statement ReadPrior runs for `entity`: the columns of the row the rules read (RuleColumns) and,
// joined to it by the row's kHubSeqColumn, its change-log entry, so an edit costs one probe of the row's
// id and no copy of its whole row.
const SqliteHubStorage::PriorQuery& SqliteHubStorage::PriorQueryFor(const std::string& entity) {
  auto it = prior_queries_.find(entity);
  if (it != prior_queries_.end()) return it->second;
  PriorQuery q;
  std::string columns;
  if (const auto* all = schema_.Columns(entity)) {
    for (const std::string& c : *all) {
      if (!RuleColumns().count(c)) continue;
      columns += ", r.\"" + c + "\"";
      q.columns.push_back(c);
    }
  }
  q.sql = "SELECT c.seq, c.writer, c.echo_ok, c.area, 1" + columns + " FROM \"" + entity +
          "\" r LEFT JOIN hub_change c ON c.seq = r.\"" + kHubSeqColumn + "\" WHERE r.id = ?";
  return prior_queries_.emplace(entity, std::move(q)).first->second;
}

// The row, read once, with its entry in the change log: its area, who wrote it last (echo suppression),
// and the row's values the rules read. Every row the hub holds has a change-log entry, which its
// kHubSeqColumn numbers (section 10): a row the hub does not hold is new, and has none.
Result<SqliteHubStorage::PriorRow> SqliteHubStorage::ReadPrior(const DeviceRecord& dev, const Mutation& m) {
  PriorRow prior;
  const PriorQuery& query = PriorQueryFor(m.entity);
  BERTH_ASSIGN_OR_RETURN(Statement s, db().Cached(query.sql));
  s.BindTextInPlace(1, m.row_id);  // `m` outlives `s`
  BERTH_ASSIGN_OR_RETURN(bool held, s.Step());
  if (!held) return prior;
  prior.logged = !s.IsNull(0);
  if (prior.logged) {
    prior.seq = static_cast<uint64_t>(s.Int(0));
    prior.echo_free = s.Text(1) == dev.device_id && s.Int(2) == 1;
    prior.area = s.Text(3);
  }
  for (size_t k = 0; k < query.columns.size(); ++k) {
    prior.values.emplace(query.columns[k], s.ValueAt(static_cast<int>(k) + 5));
  }
  return prior;
}

// Merges the change (LWW), checks the occupancy invariants and moves the row's entry to the end of the
// change log. Only placements and homecare capacity can fail those checks after the write, so only they
// pay for a savepoint to undo it; for every other row a failure of ApplyLww happens before it writes
// anything (unknown field, or a constraint on its first statement).
Status SqliteHubStorage::ApplyAndLog(const DeviceRecord& dev, const Mutation& m, const PriorRow& prior,
                                     const std::map<std::string, Value>& merged, const std::string& area,
                                     int64_t now_ms, const std::string& iso_now, uint64_t device_cursor,
                                     std::optional<Rejection>* rej) {
  std::optional<Rejection> after;
  const bool exists = !prior.values.empty();
  const bool may_undo = m.entity == "placement" || m.entity == "homecare_capacity";
  auto apply = [&]() -> Status {
    internal::KnownRow known;
    known.exists = exists;
    if (exists) {
      known.hlc = Str(prior.values, "hlc");
      known.origin = Str(prior.values, "origin");
    }
    bool all_won = false;
    // The row's write numbers it with the entry LogChange gives it below, in the same statement.
    const ColumnStamp stamp{kHubSeqColumn, static_cast<int64_t>(next_seq_)};
    Status applied = internal::ApplyLww(store_->db(), schema_, m, &known, &all_won, &stamp);
    if (!applied.ok()) {
      if (applied.code() == Code::kBadInput || applied.code() == Code::kConflict) {
        after = Rejection{"bad_mutation", "the hub could not apply it"};
        return ConflictError("rollback");
      }
      return applied;
    }
    // When every field won, the row now holds `merged` (columns it does not name keep their defaults,
    // which no check reads), so it is read back only when some field lost or for a delete.
    std::map<std::string, Value> read_back;
    if (!all_won || m.kind == MutationKind::kDelete) {
      BERTH_ASSIGN_OR_RETURN(read_back, internal::ReadRowValues(db(), schema_, m.entity, m.row_id));
    }
    const std::map<std::string, Value>& now_row = read_back.empty() ? merged : read_back;
    BERTH_ASSIGN_OR_RETURN(after, CheckOccupancy(m, now_row, iso_now));
    if (after) return ConflictError("rollback");
    BERTH_ASSIGN_OR_RETURN(const std::string final_area,
                           AreaAfterMerge(dev, m, prior, merged, now_row, area));
    // A delete, or a change without fields, of a row the hub does not hold leaves no row: nothing to log.
    if (!exists && (m.kind == MutationKind::kDelete || m.fields.empty())) return Status::Ok();
    const bool echo_ok = EchoFree(prior, device_cursor);
    return LogChange(dev, m, final_area, Str(now_row, "deleted") == "1", now_ms, echo_ok,
                     prior.logged ? prior.seq : 0);
  };
  Status st = may_undo ? store_->db().Transaction(apply) : apply();
  if (after) {
    *rej = after;
    return Status::Ok();
  }
  return st;
}

// The row's entry moves to the end of the change log, numbered past every number ever used: next_seq_,
// the highest number in the log plus one when the push began (no AUTOINCREMENT, migration 0017), and the
// highest entry never goes (PurgeTombstones leaves a marker at the horizon). The row's write has already
// stamped it with that number (ApplyAndLog); its old entry, `old_seq` (0: none), goes.
Status SqliteHubStorage::LogChange(const DeviceRecord& dev, const Mutation& m, const std::string& area,
                                   bool deleted, int64_t now_ms, bool echo_ok, uint64_t old_seq) {
  if (old_seq != 0) {
    BERTH_ASSIGN_OR_RETURN(Statement del, db().Cached("DELETE FROM hub_change WHERE seq = ?"));
    del.Bind(1, static_cast<int64_t>(old_seq));
    BERTH_RETURN_IF_ERROR(del.Run());
  }
  BERTH_ASSIGN_OR_RETURN(Statement ins,
                         db().Cached("INSERT INTO hub_change (seq, entity, row_id, area, deleted, changed_ms,"
                                     " writer, echo_ok) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  // `m`, `area` and `dev` outlive the statements: their text is bound in place, not copied.
  ins.Bind(1, static_cast<int64_t>(next_seq_));
  ins.BindTextInPlace(2, m.entity).BindTextInPlace(3, m.row_id).BindTextInPlace(4, area);
  ins.Bind(5, deleted ? 1 : 0).Bind(6, now_ms).BindTextInPlace(7, dev.device_id).Bind(8, echo_ok ? 1 : 0);
  BERTH_RETURN_IF_ERROR(ins.Run());
  ++next_seq_;
  if (!echo_ok) batch_echo_only_ = false;
  if (m.entity == "provider" || m.entity == "referral") {
    if (auto it = parent_areas_.find({m.entity, m.row_id}); it != parent_areas_.end()) it->second = area;
  }
  return Status::Ok();
}

// Placements other than `except` that take `bed_id` on some day of [from, to] ('' unbounded).
Result<int64_t> SqliteHubStorage::PlacementsTakingBed(const std::string& bed_id, const std::string& except,
                                                      const std::string& from, const std::string& to) {
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db().Cached("SELECT count(*) FROM placement WHERE bed_id = ?1 AND id <> ?2 AND " +
                                     PlacementTakesSql("?3", "?4")));
  s.Bind(1, bed_id).Bind(2, except).Bind(3, from).Bind(4, to);
  BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
  const int64_t n = r ? s.Int(0) : 0;
  return n;
}

// Whether the placements on a capacity row take more hours than it has on any day of [from, to].
Result<bool> SqliteHubStorage::CapacityOver(const std::string& cap, const std::string& from,
                                            const std::string& to) {
  double total = 0;
  {
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db().Cached("SELECT hours_per_week FROM homecare_capacity WHERE id = ?"
                                       " AND deleted = 0"));
    s.Bind(1, cap);
    BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
    total = r ? s.Real(0) : 0;
  }
  std::vector<HoursSpan> spans;
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db().Cached("SELECT start_date, end_date, hours_per_week FROM placement WHERE"
                                     " homecare_capacity_id = ?1 AND " +
                                     PlacementTakesSql("?2", "?3")));
  s.Bind(1, cap).Bind(2, from).Bind(3, to);
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
    if (!r) break;
    spans.push_back({s.Text(0), s.Text(1), s.Real(2)});
  }
  return PeakHours(spans, from, to) > total + 1e-9;
}

Result<std::string> SqliteHubStorage::FieldOrigin(const std::string& entity, const std::string& row_id,
                                                  const std::string& field) {
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db().Cached("SELECT coalesce((SELECT origin FROM field_clock WHERE entity = ?1 AND"
                                     " row_id = ?2 AND field = ?3), (SELECT origin FROM \"" +
                                     entity + "\" WHERE id = ?2), '')"));
  s.Bind(1, entity).Bind(2, row_id).Bind(3, field);
  BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
  std::string o = r ? s.Text(0) : std::string();
  return o;
}

}  // namespace berth::sync::internal

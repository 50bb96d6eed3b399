// The change log devices read (hub_storage_sqlite.h, PROTOCOL.md sections 5 and 10): pages of changes in
// a device's scope from its cursor, snapshots past the horizon, and the purge of old tombstones.
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <tuple>

#include "berth/schema/ids.h"
#include "berth/schema/occupancy.h"
#include "berth/schema/settings.h"
#include "berth/sync/version.h"
#include "hub_storage_sqlite.h"

namespace berth::sync::internal {

// A pull reads on a connection of its own (a reader, in one deferred WAL read transaction), never under
// mu_ nor the store's write lock: it waits for no push, and sees the changes committed when it began.
Result<PullResponse> SqliteHubStorage::Pull(const DeviceRecord& device, const PullRequest& request) {
  BERTH_ASSIGN_OR_RETURN(Reader reader, TakeReader());
  Db& rdb = reader.store->db();
  PullResponse resp;
  Status read = rdb.ReadTransaction([&]() -> Status {
    resp = PullResponse{};
    BERTH_ASSIGN_OR_RETURN(std::optional<Bytes> horizon_blob,
                           internal::GetStateValue(rdb, "hub_state", "horizon"));
    uint64_t horizon = 0;
    if (horizon_blob && horizon_blob->size() == 8) std::memcpy(&horizon, horizon_blob->data(), 8);
    resp.horizon = horizon;
    if (!request.snapshot && request.cursor > 0 && request.cursor < horizon) {
      resp.snapshot_required = 1;
      resp.next_cursor = request.cursor;
      return Status::Ok();
    }
    return PullPage(rdb, device, request, horizon, &resp);
  });
  if (!read.ok()) return read;
  return resp;
}

Status SqliteHubStorage::PullPage(Db& rdb, const DeviceRecord& device, const PullRequest& request,
                                  uint64_t horizon, PullResponse* out) {
  PullResponse& resp = *out;
  const uint32_t limit = std::clamp<uint32_t>(request.max_rows == 0 ? 5000 : request.max_rows, 1, 20000);
  // The change log is walked in seq order from the cursor and the walk stops at the page's last row:
  // nothing here can use an index on entity or area (a hub store has none, section 10), with which
  // SQLite collected and sorted every later change in scope for each page (quadratic over a first
  // sync). Entities the role may not read are skipped below; a page may then hold fewer rows.
  std::string sql = "SELECT seq, entity, row_id FROM hub_change WHERE seq > ? AND seq <= ?";
  // A snapshot carries the tombstones the hub still holds: the device then equals the hub, and a later
  // echo-suppressed change of such a row (section 5) cannot leave the device with a live copy of it.
  if (!request.snapshot) sql += " AND NOT (writer = ? AND echo_ok = 1)";
  const bool all = std::find(device.scope.begin(), device.scope.end(), "*") != device.scope.end();
  if (!all) {
    sql += " AND ((area = '*' AND entity = 'setting')";
    for (size_t i = 0; i < device.scope.size(); ++i) sql += " OR area = ?";
    sql += ")";
  }
  sql += " ORDER BY seq LIMIT ?";
  std::vector<std::tuple<uint64_t, std::string, std::string>> hits;
  // The entries numbered (after, through], up to the page's limit.
  auto walk = [&](uint64_t after, uint64_t through) -> Status {
    BERTH_ASSIGN_OR_RETURN(Statement s, rdb.Cached(sql));
    s.Bind(1, static_cast<int64_t>(after)).Bind(2, static_cast<int64_t>(through));
    int i = 3;
    if (!request.snapshot) s.Bind(i++, device.device_id);
    if (!all) {
      for (const auto& a : device.scope) s.Bind(i++, a);
    }
    s.Bind(i, static_cast<int64_t>(limit - hits.size()));
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
      if (!r) return Status::Ok();
      hits.emplace_back(static_cast<uint64_t>(s.Int(0)), s.Text(1), s.Text(2));
    }
  };
  // The device's own latest run of echo-suppressed entries holds nothing for it: the walk steps over it
  // unread (a device's pull after a push of its own no longer reads back every entry it pushed).
  const EchoRun run = request.snapshot ? EchoRun{} : EchoRunOf(device.device_id);
  uint64_t from = request.cursor;
  if (run.through > from) {
    if (from < run.after) BERTH_RETURN_IF_ERROR(walk(from, run.after));
    from = run.through;
  }
  if (hits.size() < limit) BERTH_RETURN_IF_ERROR(walk(from, static_cast<uint64_t>(INT64_MAX)));
  resp.rows.reserve(hits.size());
  for (const auto& [seq, entity, row_id] : hits) {
    if (!RoleMayRead(device.role, entity)) continue;
    BERTH_ASSIGN_OR_RETURN(RowState rs, internal::ReadRowState(rdb, schema_, entity, row_id));
    if (!rs.absent) resp.rows.push_back(std::move(rs));
  }
  if (hits.size() == limit) {
    resp.next_cursor = std::get<0>(hits.back());
    resp.more = 1;
    return Status::Ok();
  }
  BERTH_ASSIGN_OR_RETURN(Statement mx, rdb.Cached("SELECT coalesce(max(seq), 0) FROM hub_change"));
  BERTH_ASSIGN_OR_RETURN(bool r, mx.Step());
  // The purged changes are gone from hub_change, but a device that has seen everything is past them.
  resp.next_cursor = std::max<uint64_t>({request.cursor, horizon, r ? static_cast<uint64_t>(mx.Int(0)) : 0});
  resp.more = 0;
  return Status::Ok();
}

Result<SqliteHubStorage::Reader> SqliteHubStorage::TakeReader() {
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    if (!readers_.empty()) {
      Reader r{this, std::move(readers_.back())};
      readers_.pop_back();
      return r;
    }
  }
  // A new connection is made from the writing one, under its lock (rare: the pool keeps them).
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_RETURN_IF_ERROR(open_status_);
  BERTH_ASSIGN_OR_RETURN(auto store, store_->Connect());
  (void)store->db().Exec("PRAGMA cache_size = -32768");
  return Reader{this, std::move(store)};
}

SqliteHubStorage::Reader::~Reader() {
  if (store == nullptr || owner == nullptr) return;
  std::lock_guard<std::mutex> lock(owner->readers_mu_);
  owner->readers_.push_back(std::move(store));
}

Result<int64_t> SqliteHubStorage::PurgeTombstones(int64_t before_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t purged = 0;
  Status st = store_->db().Transaction([&]() -> Status {
    std::vector<std::tuple<int64_t, std::string, std::string>> rows;
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db().Cached("SELECT seq, entity, row_id FROM hub_change WHERE deleted = 1"
                                       " AND changed_ms < ?"));
    s.Bind(1, before_ms);
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
      if (!r) break;
      rows.emplace_back(s.Int(0), s.Text(1), s.Text(2));
    }
    BERTH_ASSIGN_OR_RETURN(Bytes hb, GetStateOr("horizon", {}));
    uint64_t horizon = 0;
    if (hb.size() == 8) std::memcpy(&horizon, hb.data(), 8);
    for (const auto& [seq, entity, row_id] : rows) {
      if (schema_.Columns(entity) == nullptr) continue;
      BERTH_ASSIGN_OR_RETURN(Statement d1, db().Cached("DELETE FROM \"" + entity + "\" WHERE id = ?"));
      d1.Bind(1, row_id);
      BERTH_RETURN_IF_ERROR(d1.Run());
      BERTH_ASSIGN_OR_RETURN(Statement d2,
                             db().Cached("DELETE FROM field_clock WHERE entity = ? AND row_id = ?"));
      d2.Bind(1, entity).Bind(2, row_id);
      BERTH_RETURN_IF_ERROR(d2.Run());
      BERTH_ASSIGN_OR_RETURN(Statement d3, db().Cached("DELETE FROM hub_change WHERE seq = ?"));
      d3.Bind(1, seq);
      BERTH_RETURN_IF_ERROR(d3.Run());
      horizon = std::max<uint64_t>(horizon, static_cast<uint64_t>(seq));
      ++purged;
    }
    // A new entry takes the highest number in the log plus one (migration 0017): when the newest entries
    // were purged, a marker keeps the horizon's number taken, or the next change would be numbered at or
    // below it and a device whose cursor is at the horizon would never pull it. The marker names no table
    // (pulls skip it), and a later marker replaces an earlier one.
    BERTH_ASSIGN_OR_RETURN(int64_t newest, db().QueryInt("SELECT coalesce(max(seq), 0) FROM hub_change"));
    if (horizon > static_cast<uint64_t>(newest)) {
      BERTH_RETURN_IF_ERROR(db().Exec("DELETE FROM hub_change WHERE entity = ''"));
      BERTH_ASSIGN_OR_RETURN(
          Statement mark, db().Cached("INSERT OR REPLACE INTO hub_change (seq, entity, row_id, area, deleted,"
                                      " changed_ms, writer, echo_ok) VALUES (?, '', '', '', 0, 0, '', 0)"));
      mark.Bind(1, static_cast<int64_t>(horizon));
      BERTH_RETURN_IF_ERROR(mark.Run());
    }
    Bytes out(8);
    std::memcpy(out.data(), &horizon, 8);
    return PutState("horizon", out);
  });
  if (!st.ok()) return st;
  return purged;
}

}  // namespace berth::sync::internal

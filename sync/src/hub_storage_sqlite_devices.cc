// The hub's registry (hub_storage_sqlite.h): one-time enrolment codes, enrolled devices with their roles,
// scopes and replay counters, revocation, and the courier keys of locked laptops (PROTOCOL.md section 4).
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
namespace {

Result<DeviceRecord> DeviceFrom(Db& db, const std::string& device_id) {
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db.Cached("SELECT name, role, scope, sign_pk, kx_pk, enrolled_ms, revoked,"
                                   " last_counter, acked_seq, last_seen_ms FROM hub_device"
                                   " WHERE device_id = ?"));
  s.Bind(1, device_id);
  BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
  if (!found) return NotFound("unknown_device");
  DeviceRecord d;
  d.device_id = device_id;
  d.name = s.Text(0);
  d.role = s.Text(1);
  d.scope = SplitScope(s.Text(2));
  d.sign_pk = s.Blob(3);
  d.kx_pk = s.Blob(4);
  d.enrolled_ms = s.Int(5);
  d.revoked = s.Int(6) != 0;
  d.last_counter = static_cast<uint64_t>(s.Int(7));
  d.acked_seq = static_cast<uint64_t>(s.Int(8));
  d.last_seen_ms = s.Int(9);
  return d;
}

}  // namespace

Status SqliteHubStorage::AddCode(const Bytes& code_id, const Bytes& verifier, const std::string& name,
                                 const std::string& role, const std::string& scope, int64_t expires_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db().Cached("INSERT INTO hub_code (code_id, name, role, scope, created_ms,"
                                     " expires_ms, verifier) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  s.BindBlob(1, code_id).Bind(2, name).Bind(3, role).Bind(4, scope).Bind(5, store_->env().NowMs());
  s.Bind(6, expires_ms).BindBlob(7, verifier);
  return s.Run();
}

Result<Bytes> SqliteHubStorage::CodeVerifier(const Bytes& code_id, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db().Cached("SELECT verifier, expires_ms, used_by FROM hub_code WHERE code_id = ?"));
  s.BindBlob(1, code_id);
  BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
  if (!found) return NotAuthorised("bad_code");
  Bytes verifier = s.Blob(0);
  const int64_t expires = s.Int(1);
  const std::string used = s.Text(2);
  if (!used.empty() || expires < now_ms || verifier.size() != 32) return NotAuthorised("bad_code");
  return verifier;
}

Result<std::vector<CodeRecord>> SqliteHubStorage::ListCodes() {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db().Cached("SELECT code_id, name, role, scope, created_ms, expires_ms"
                                     " FROM hub_code WHERE used_by = '' ORDER BY created_ms DESC"));
  std::vector<CodeRecord> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
    if (!r) break;
    const Bytes id = s.Blob(0);
    CodeRecord c;
    c.id = HexOf(id);
    c.name = s.Text(1);
    c.role = s.Text(2);
    c.scope = s.Text(3);
    c.created_ms = s.Int(4);
    c.expires_ms = s.Int(5);
    out.push_back(std::move(c));
  }
  return out;
}

Status SqliteHubStorage::CancelCode(const std::string& id_prefix) {
  if (id_prefix.size() < 4) return UsageError("give at least 4 hex digits of the code's id");
  BERTH_ASSIGN_OR_RETURN(auto codes, ListCodes());
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> matches;
  for (const auto& c : codes) {
    if (c.id.rfind(id_prefix, 0) == 0) matches.push_back(c.id);
  }
  if (matches.empty()) return NotFound("no unused code with an id starting " + id_prefix);
  if (matches.size() > 1)
    return UsageError("more than one code's id starts " + id_prefix + ": give more digits");
  Bytes id(matches[0].size() / 2);
  sodium_hex2bin(id.data(), id.size(), matches[0].c_str(), matches[0].size(), nullptr, nullptr, nullptr);
  // Cancelled like a used code: its id stays (so it can never be added again), its verifier goes.
  BERTH_ASSIGN_OR_RETURN(Statement s, db().Cached("UPDATE hub_code SET used_by = 'cancelled', verifier = x''"
                                                  " WHERE code_id = ? AND used_by = ''"));
  s.BindBlob(1, id);
  return s.Run();
}

Result<DeviceRecord> SqliteHubStorage::EnrollDevice(const Bytes& code_id, const std::string& device_id,
                                                    const Bytes& sign_pk, const Bytes& kx_pk,
                                                    int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  DeviceRecord rec;
  Status st = store_->db().Transaction([&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db().Cached("SELECT name, role, scope, used_by, expires_ms FROM hub_code"
                                       " WHERE code_id = ?"));
    s.BindBlob(1, code_id);
    BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
    if (!found) return NotAuthorised("bad_code");
    rec.name = s.Text(0);
    rec.role = s.Text(1);
    rec.scope = SplitScope(s.Text(2));
    const bool used = !s.Text(3).empty();
    const int64_t expires = s.Int(4);
    s.Reset();
    if (used || expires < now_ms) return NotAuthorised("bad_code");
    if (!IsUuid(device_id)) return BadInput("the device id is not a UUID");
    BERTH_ASSIGN_OR_RETURN(Statement exists,
                           db().Cached("SELECT count(*) FROM hub_device WHERE device_id = ?"));
    exists.Bind(1, device_id);
    BERTH_ASSIGN_OR_RETURN(bool r, exists.Step());
    const int64_t n = r ? exists.Int(0) : 0;
    exists.Reset();
    if (n != 0) return ConflictError("this device is already enrolled");
    // The code is used: keep its id (so it cannot be used again), wipe its verifier.
    BERTH_ASSIGN_OR_RETURN(Statement use,
                           db().Cached("UPDATE hub_code SET used_by = ?, verifier = ? WHERE code_id = ?"));
    const uint8_t zero = 0;
    use.Bind(1, device_id).BindBlob(2, std::span<const uint8_t>(&zero, 0)).BindBlob(3, code_id);
    BERTH_RETURN_IF_ERROR(use.Run());
    BERTH_ASSIGN_OR_RETURN(Statement ins,
                           db().Cached("INSERT INTO hub_device (device_id, name, role, scope, sign_pk,"
                                       " kx_pk, enrolled_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    ins.Bind(1, device_id).Bind(2, rec.name).Bind(3, rec.role).Bind(4, JoinScope(rec.scope));
    ins.BindBlob(5, sign_pk).BindBlob(6, kx_pk).Bind(7, now_ms);
    return ins.Run();
  });
  if (!st.ok()) return st;
  rec.device_id = device_id;
  rec.sign_pk = sign_pk;
  rec.kx_pk = kx_pk;
  rec.enrolled_ms = now_ms;
  return rec;
}

// On a read connection, so that authenticating a request never waits for a push being applied.
Result<DeviceRecord> SqliteHubStorage::GetDevice(const std::string& device_id) {
  BERTH_ASSIGN_OR_RETURN(Reader reader, TakeReader());
  BERTH_ASSIGN_OR_RETURN(DeviceRecord d, DeviceFrom(reader.store->db(), device_id));
  BERTH_RETURN_IF_ERROR(WithCounter(&d));
  return d;
}

Result<std::vector<DeviceRecord>> SqliteHubStorage::ListDevices() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> ids;
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db().Cached("SELECT device_id FROM hub_device ORDER BY enrolled_ms, device_id"));
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
    if (!r) break;
    ids.push_back(s.Text(0));
  }
  std::vector<DeviceRecord> out;
  for (const auto& id : ids) {
    BERTH_ASSIGN_OR_RETURN(DeviceRecord d, GetDeviceLocked(id));
    BERTH_RETURN_IF_ERROR(WithCounter(&d));
    out.push_back(std::move(d));
  }
  return out;
}

Status SqliteHubStorage::Revoke(const std::string& device_id) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement s, db().Cached("UPDATE hub_device SET revoked = 1 WHERE device_id = ?"));
  s.Bind(1, device_id);
  BERTH_RETURN_IF_ERROR(s.Run());
  if (db().Changes() == 0) return NotFound("no enrolled device " + device_id);
  return Status::Ok();
}

// Replay counters live in a small SQLite file of their own beside the store, `counters.db` (device ids,
// counters and last-seen times: no personal data, so not sealed), because every request advances one: kept
// in the store, that write waited for whichever push held the store's writer. Here it waits only for other
// counters. Durable as the store is (WAL, synchronous=NORMAL); PROTOCOL.md section 10.
Status SqliteHubStorage::OpenCounters() {
  BERTH_ASSIGN_OR_RETURN(Db counters, Db::Open(store_->dir() + "/counters.db", nullptr, true, false));
  // The busy timeout first: another process (a CLI command beside `serve`) may hold the file's lock.
  BERTH_RETURN_IF_ERROR(
      counters.Exec("PRAGMA busy_timeout=10000; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                    " CREATE TABLE IF NOT EXISTS device_counter (device_id TEXT PRIMARY KEY,"
                    " last_counter INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL)"));
  // The counters the store kept (before they moved here, or of a store copied in from a backup) are
  // taken when higher, so a counter never goes back.
  BERTH_ASSIGN_OR_RETURN(Statement s, db().Prepare("SELECT device_id, last_counter, last_seen_ms"
                                                   " FROM hub_device WHERE last_counter > 0"));
  BERTH_ASSIGN_OR_RETURN(Statement up,
                         counters.Prepare("INSERT INTO device_counter (device_id, last_counter, last_seen_ms)"
                                          " VALUES (?1, ?2, ?3) ON CONFLICT (device_id) DO UPDATE SET"
                                          " last_counter = max(last_counter, excluded.last_counter),"
                                          " last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)"));
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
    if (!r) break;
    up.Bind(1, s.Text(0)).Bind(2, s.Int(1)).Bind(3, s.Int(2));
    BERTH_RETURN_IF_ERROR(up.Run());
    up.Reset();
  }
  counters_ = std::move(counters);
  return Status::Ok();
}

Status SqliteHubStorage::WithCounter(DeviceRecord* device) {
  std::lock_guard<std::mutex> lock(counters_mu_);
  BERTH_RETURN_IF_ERROR(open_status_);
  BERTH_ASSIGN_OR_RETURN(Statement s, counters_.Cached("SELECT last_counter, last_seen_ms FROM device_counter"
                                                       " WHERE device_id = ?"));
  s.Bind(1, device->device_id);
  BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
  if (found) {
    device->last_counter = std::max(device->last_counter, static_cast<uint64_t>(s.Int(0)));
    device->last_seen_ms = std::max(device->last_seen_ms, s.Int(1));
  }
  return Status::Ok();
}

Status SqliteHubStorage::AdvanceCounter(const std::string& device_id, uint64_t counter, int64_t now_ms) {
  if (counter == 0) return NotAuthorised("replay");  // a new device's counter starts at 0
  std::lock_guard<std::mutex> lock(counters_mu_);
  BERTH_RETURN_IF_ERROR(open_status_);
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         counters_.Cached("INSERT INTO device_counter (device_id, last_counter, last_seen_ms)"
                                          " VALUES (?1, ?2, ?3) ON CONFLICT (device_id) DO UPDATE SET"
                                          " last_counter = excluded.last_counter,"
                                          " last_seen_ms = excluded.last_seen_ms"
                                          " WHERE last_counter < excluded.last_counter"));
  s.Bind(1, device_id).Bind(2, static_cast<int64_t>(counter)).Bind(3, now_ms);
  BERTH_RETURN_IF_ERROR(s.Run());
  if (counters_.Changes() == 0) return NotAuthorised("replay");
  return Status::Ok();
}

Result<DeviceRecord> SqliteHubStorage::GetDeviceLocked(const std::string& device_id) {
  return DeviceFrom(db(), device_id);
}

// Couriers mirror devices (a row of keys and a replay counter each) but live in their own table: a
// courier key only carries sealed boxes for a locked laptop and can do nothing else on the hub.
Status SqliteHubStorage::SetCourierKey(const std::string& device_id, const Bytes& sign_pk, const Bytes& kx_pk,
                                       int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_->db().Transaction([&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(Statement del, db().Cached("DELETE FROM hub_courier WHERE device_id = ?"));
    del.Bind(1, device_id);
    BERTH_RETURN_IF_ERROR(del.Run());
    BERTH_ASSIGN_OR_RETURN(Statement ins, db().Cached("INSERT INTO hub_courier (device_id, sign_pk, kx_pk,"
                                                      " registered_ms) VALUES (?, ?, ?, ?)"));
    ins.Bind(1, device_id).BindBlob(2, sign_pk);
    ins.BindBlob(3, kx_pk).Bind(4, now_ms);
    return ins.Run();
  });
}

Result<CourierRecord> SqliteHubStorage::GetCourier(const std::string& device_id) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement s, db().Cached("SELECT sign_pk, kx_pk, registered_ms, last_counter"
                                                  " FROM hub_courier WHERE device_id = ?"));
  s.Bind(1, device_id);
  BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
  if (!found) return NotFound("unknown_courier");
  CourierRecord c;
  c.device_id = device_id;
  c.sign_pk = s.Blob(0);
  c.kx_pk = s.Blob(1);
  c.registered_ms = s.Int(2);
  c.last_counter = static_cast<uint64_t>(s.Int(3));
  return c;
}

Status SqliteHubStorage::AdvanceCourierCounter(const std::string& device_id, const Bytes& sign_pk,
                                               uint64_t counter) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db().Cached("UPDATE hub_courier SET last_counter = ? WHERE device_id = ?"
                                     " AND sign_pk = ? AND last_counter < ?"));
  s.Bind(1, static_cast<int64_t>(counter)).Bind(2, device_id).BindBlob(3, sign_pk);
  s.Bind(4, static_cast<int64_t>(counter));
  BERTH_RETURN_IF_ERROR(s.Run());
  if (db().Changes() == 0) return NotAuthorised("replay");
  return Status::Ok();
}

}  // namespace berth::sync::internal

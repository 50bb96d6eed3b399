// The hub's registry on PostgreSQL (hub_storage_pg.h): one-time enrolment codes, devices with their roles,
// scopes and replay counters, revocation, and couriers. What must hold across hub processes is decided by
// one conditional statement each, so the database settles a race between two processes: a code is used by
// the UPDATE that finds it unused, a counter advances only past the stored one.
#include <sodium.h>

#include "berth/schema/ids.h"
#include "hub_rules.h"
#include "hub_storage_pg.h"

namespace berth::sync::internal {

namespace {
constexpr char kDeviceColumns[] =
    "device_id, name, role, scope, sign_pk, kx_pk, enrolled_ms, revoked, last_counter, acked_seq,"
    " last_seen_ms";

DeviceRecord DeviceAt(const PgResult& r, int i) {
  DeviceRecord d;
  d.device_id = r.Text(i, 0);
  d.name = r.Text(i, 1);
  d.role = r.Text(i, 2);
  d.scope = SplitScope(r.Text(i, 3));
  d.sign_pk = r.Blob(i, 4);
  d.kx_pk = r.Blob(i, 5);
  d.enrolled_ms = r.Int(i, 6);
  d.revoked = r.Bool(i, 7);
  d.last_counter = static_cast<uint64_t>(r.Int(i, 8));
  d.acked_seq = static_cast<uint64_t>(r.Int(i, 9));
  d.last_seen_ms = r.Int(i, 10);
  return d;
}
}  // namespace

Status PostgresHubStorage::AddCode(const Bytes& code_id, const Bytes& verifier, const std::string& name,
                                   const std::string& role, const std::string& scope, int64_t expires_ms) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  return c->Run(
      "INSERT INTO hub_code (code_id, verifier, name, role, scope, created_ms, expires_ms)"
      " VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {code_id, verifier, name, role, scope, Env::Default()->NowMs(), expires_ms});
}

Result<Bytes> PostgresHubStorage::CodeVerifier(const Bytes& code_id, int64_t now_ms) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  BERTH_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT verifier FROM hub_code WHERE code_id = $1 AND"
                                             " used_by = '' AND expires_ms >= $2",
                                             {code_id, now_ms}));
  if (r.rows() != 1) return NotAuthorised("bad_code");
  Bytes verifier = r.Blob(0, 0);
  if (verifier.size() != 32) return NotAuthorised("bad_code");
  return verifier;
}

Result<std::vector<CodeRecord>> PostgresHubStorage::ListCodes() {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  BERTH_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT code_id, name, role, scope, created_ms, expires_ms"
                                             " FROM hub_code WHERE used_by = '' ORDER BY created_ms DESC"));
  std::vector<CodeRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    CodeRecord code;
    code.id = HexOf(r.Blob(i, 0));
    code.name = r.Text(i, 1);
    code.role = r.Text(i, 2);
    code.scope = r.Text(i, 3);
    code.created_ms = r.Int(i, 4);
    code.expires_ms = r.Int(i, 5);
    out.push_back(std::move(code));
  }
  return out;
}

Status PostgresHubStorage::CancelCode(const std::string& id_prefix) {
  if (id_prefix.size() < 4) return UsageError("give at least 4 hex digits of the code's id");
  if (id_prefix.find_first_not_of("0123456789abcdef") != std::string::npos)
    return UsageError("a code id is hex digits (0-9, a-f)");
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  return c->Transaction([&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT code_id FROM hub_code WHERE used_by = '' AND"
                                               " starts_with(encode(code_id, 'hex'), $1) FOR UPDATE",
                                               {id_prefix}));
    if (r.rows() == 0) return NotFound("no unused code with an id starting " + id_prefix);
    if (r.rows() > 1) return UsageError("more than one code's id starts " + id_prefix + ": give more digits");
    // Cancelled like a used code: its id stays (so it can never be added again), its verifier goes.
    return c->Run("UPDATE hub_code SET used_by = 'cancelled', verifier = ''::bytea WHERE code_id = $1",
                  {r.Blob(0, 0)});
  });
}

Result<DeviceRecord> PostgresHubStorage::EnrollDevice(const Bytes& code_id, const std::string& device_id,
                                                      const Bytes& sign_pk, const Bytes& kx_pk,
                                                      int64_t now_ms) {
  if (!IsUuid(device_id)) return BadInput("the device id is not a UUID");
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  DeviceRecord rec;
  Status st = c->Transaction([&]() -> Status {
    // The code is used by whichever enrolment's UPDATE finds it unused; any other, in this process or
    // another, finds no row and is refused.
    BERTH_ASSIGN_OR_RETURN(PgResult r, c->Exec("UPDATE hub_code SET used_by = $2, verifier = ''::bytea"
                                               " WHERE code_id = $1 AND used_by = '' AND expires_ms >= $3"
                                               " RETURNING name, role, scope",
                                               {code_id, device_id, now_ms}));
    if (r.rows() != 1) return NotAuthorised("bad_code");
    rec.name = r.Text(0, 0);
    rec.role = r.Text(0, 1);
    rec.scope = SplitScope(r.Text(0, 2));
    Status ins = c->Run(
        "INSERT INTO hub_device (device_id, name, role, scope, sign_pk, kx_pk, enrolled_ms)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        {device_id, rec.name, rec.role, JoinScope(rec.scope), sign_pk, kx_pk, now_ms});
    if (ins.code() == Code::kConflict) return ConflictError("this device is already enrolled");
    return ins;
  });
  if (!st.ok()) return st;
  rec.device_id = device_id;
  rec.sign_pk = sign_pk;
  rec.kx_pk = kx_pk;
  rec.enrolled_ms = now_ms;
  return rec;
}

Result<DeviceRecord> PostgresHubStorage::GetDevice(const std::string& device_id) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  BERTH_ASSIGN_OR_RETURN(
      PgResult r, c->Exec(std::string("SELECT ") + kDeviceColumns + " FROM hub_device WHERE device_id = $1",
                          {device_id}));
  if (r.rows() != 1) return NotFound("unknown_device");
  return DeviceAt(r, 0);
}

Result<std::vector<DeviceRecord>> PostgresHubStorage::ListDevices() {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  BERTH_ASSIGN_OR_RETURN(PgResult r, c->Exec(std::string("SELECT ") + kDeviceColumns +
                                             " FROM hub_device ORDER BY enrolled_ms, device_id"));
  std::vector<DeviceRecord> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(DeviceAt(r, i));
  return out;
}

Status PostgresHubStorage::Revoke(const std::string& device_id) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  BERTH_ASSIGN_OR_RETURN(PgResult r,
                         c->Exec("UPDATE hub_device SET revoked = true WHERE device_id = $1", {device_id}));
  if (r.affected() == 0) return NotFound("no enrolled device " + device_id);
  return Status::Ok();
}

Status PostgresHubStorage::AdvanceCounter(const std::string& device_id, uint64_t counter, int64_t now_ms) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  // One statement: of two processes given the same counter, the row lock lets one update and the other
  // re-check `last_counter < $2` against the committed value and change nothing (READ COMMITTED).
  BERTH_ASSIGN_OR_RETURN(PgResult r, c->Exec("UPDATE hub_device SET last_counter = $2, last_seen_ms = $3"
                                             " WHERE device_id = $1 AND last_counter < $2",
                                             {device_id, static_cast<int64_t>(counter), now_ms}));
  if (r.affected() == 0) return NotAuthorised("replay");
  return Status::Ok();
}

Status PostgresHubStorage::SetCourierKey(const std::string& device_id, const Bytes& sign_pk,
                                         const Bytes& kx_pk, int64_t now_ms) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  return c->Run(
      "INSERT INTO hub_courier (device_id, sign_pk, kx_pk, registered_ms) VALUES ($1, $2, $3, $4)"
      " ON CONFLICT (device_id) DO UPDATE SET sign_pk = excluded.sign_pk, kx_pk = excluded.kx_pk,"
      " registered_ms = excluded.registered_ms, last_counter = 0",
      {device_id, sign_pk, kx_pk, now_ms});
}

Result<CourierRecord> PostgresHubStorage::GetCourier(const std::string& device_id) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  BERTH_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT sign_pk, kx_pk, registered_ms, last_counter"
                                             " FROM hub_courier WHERE device_id = $1",
                                             {device_id}));
  if (r.rows() != 1) return NotFound("unknown_courier");
  CourierRecord out;
  out.device_id = device_id;
  out.sign_pk = r.Blob(0, 0);
  out.kx_pk = r.Blob(0, 1);
  out.registered_ms = r.Int(0, 2);
  out.last_counter = static_cast<uint64_t>(r.Int(0, 3));
  return out;
}

Status PostgresHubStorage::AdvanceCourierCounter(const std::string& device_id, const Bytes& sign_pk,
                                                 uint64_t counter) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  BERTH_ASSIGN_OR_RETURN(PgResult r, c->Exec("UPDATE hub_courier SET last_counter = $3 WHERE device_id = $1"
                                             " AND sign_pk = $2 AND last_counter < $3",
                                             {device_id, sign_pk, static_cast<int64_t>(counter)}));
  if (r.affected() == 0) return NotAuthorised("replay");
  return Status::Ok();
}

}  // namespace berth::sync::internal

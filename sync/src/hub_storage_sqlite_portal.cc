// The provider portal's state on the SQLite hub (hub_storage_sqlite.h, PROTOCOL.md section 14): provider
// accounts and their invites, sign-in failures and lockout, sessions with their CSRF tokens, the portal's
// audit, and the reads its pages make.
#include <sodium.h>

#include "hub_storage_sqlite.h"

namespace berth::sync::internal {

namespace {
constexpr char kAccountColumns[] =
    "account_id, cqc_location_id, email, password_hash, invite_expires_ms, created_ms, revoked,"
    " failed_sign_ins, locked_until_ms";

ProviderAccount AccountAt(Statement& s) {
  ProviderAccount a;
  a.account_id = s.Text(0);
  a.cqc_location_id = s.Text(1);
  a.email = s.Text(2);
  a.password_hash = s.Text(3);
  a.invite_expires_ms = s.Int(4);
  a.created_ms = s.Int(5);
  a.revoked = s.Int(6) != 0;
  a.failed_sign_ins = static_cast<int>(s.Int(7));
  a.locked_until_ms = s.Int(8);
  return a;
}
}  // namespace

Result<ProviderAccount> SqliteHubStorage::AccountWhere(const std::string& where,
                                                       const std::function<void(Statement&)>& bind) {
  BERTH_ASSIGN_OR_RETURN(Statement s, db().Prepare(std::string("SELECT ") + kAccountColumns +
                                                   " FROM hub_provider_account WHERE " + where));
  bind(s);
  BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
  if (!found) return NotFound("no such provider account");
  return AccountAt(s);
}

Status SqliteHubStorage::AddProviderAccount(const ProviderAccount& a, const Bytes& invite_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_->db().Transaction([&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(Statement ins,
                           db().Prepare("INSERT INTO hub_provider_account (account_id,"
                                        " cqc_location_id, email, invite_id, invite_expires_ms,"
                                        " created_ms) VALUES (?, ?, ?, ?, ?, ?)"));
    ins.Bind(1, a.account_id).Bind(2, a.cqc_location_id).Bind(3, a.email).BindBlob(4, invite_id);
    ins.Bind(5, a.invite_expires_ms).Bind(6, a.created_ms);
    BERTH_RETURN_IF_ERROR(ins.Run());
    BERTH_ASSIGN_OR_RETURN(Statement dev,
                           db().Prepare("INSERT INTO hub_device (device_id, name, role, scope,"
                                        " sign_pk, kx_pk, enrolled_ms) VALUES (?, ?, 'provider',"
                                        " '*', x'', x'', ?)"));
    dev.Bind(1, PortalDeviceId(a.account_id)).Bind(2, "portal " + a.cqc_location_id).Bind(3, a.created_ms);
    return dev.Run();
  });
}

Result<ProviderAccount> SqliteHubStorage::ProviderAccountByInvite(const Bytes& invite_id, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto a = AccountWhere("invite_id = ? AND invite_expires_ms >= ? AND revoked = 0 AND length(invite_id) > 0",
                        [&](Statement& s) { s.BindBlob(1, invite_id).Bind(2, now_ms); });
  if (!a.ok() && a.status().code() == Code::kNotFound) return NotAuthorised("bad_invite");
  return a;
}

Status SqliteHubStorage::SetProviderPassword(const Bytes& invite_id, const std::string& password_hash,
                                             int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db().Prepare("UPDATE hub_provider_account SET password_hash = ?, invite_id = x'',"
                                      " invite_expires_ms = 0 WHERE invite_id = ? AND length(invite_id) > 0"
                                      " AND invite_expires_ms >= ? AND revoked = 0"));
  s.Bind(1, password_hash).BindBlob(2, invite_id).Bind(3, now_ms);
  BERTH_RETURN_IF_ERROR(s.Run());
  if (db().Changes() == 0) return NotAuthorised("bad_invite");
  return Status::Ok();
}

Result<ProviderAccount> SqliteHubStorage::ProviderAccountByEmail(const std::string& email) {
  std::lock_guard<std::mutex> lock(mu_);
  return AccountWhere("email = ? ORDER BY revoked, created_ms DESC LIMIT 1",
                      [&](Statement& s) { s.Bind(1, email); });
}

Result<ProviderAccount> SqliteHubStorage::GetProviderAccount(const std::string& account_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return AccountWhere("account_id = ?", [&](Statement& s) { s.Bind(1, account_id); });
}

Result<std::vector<ProviderAccount>> SqliteHubStorage::ListProviderAccounts() {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement s, db().Prepare(std::string("SELECT ") + kAccountColumns +
                                                   " FROM hub_provider_account ORDER BY created_ms"));
  std::vector<ProviderAccount> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
    if (!r) break;
    out.push_back(AccountAt(s));
  }
  return out;
}

Status SqliteHubStorage::RevokeProviderAccount(const std::string& id_prefix) {
  BERTH_ASSIGN_OR_RETURN(auto accounts, ListProviderAccounts());
  BERTH_ASSIGN_OR_RETURN(std::string id, PickAccount(accounts, id_prefix));
  std::lock_guard<std::mutex> lock(mu_);
  return store_->db().Transaction([&]() -> Status {
    for (const char* sql :
         {"UPDATE hub_provider_account SET revoked = 1, invite_id = x'' WHERE account_id = ?",
          "DELETE FROM hub_portal_session WHERE account_id = ?"}) {
      BERTH_ASSIGN_OR_RETURN(Statement s, db().Prepare(sql));
      s.Bind(1, id);
      BERTH_RETURN_IF_ERROR(s.Run());
    }
    BERTH_ASSIGN_OR_RETURN(Statement dev,
                           db().Prepare("UPDATE hub_device SET revoked = 1 WHERE device_id = ?"));
    dev.Bind(1, PortalDeviceId(id));
    return dev.Run();
  });
}

Status SqliteHubStorage::RecordSignInFailure(const std::string& account_id, int64_t now_ms, int max_failures,
                                             int64_t lock_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(
      Statement s,
      db().Prepare("UPDATE hub_provider_account SET"
                   " locked_until_ms = CASE WHEN failed_sign_ins + 1 >= ? THEN ? ELSE locked_until_ms END,"
                   " failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= ? THEN 0 ELSE failed_sign_ins + 1 END"
                   " WHERE account_id = ?"));
  s.Bind(1, static_cast<int64_t>(max_failures)).Bind(2, now_ms + lock_ms);
  s.Bind(3, static_cast<int64_t>(max_failures)).Bind(4, account_id);
  return s.Run();
}

Status SqliteHubStorage::ClearSignInFailures(const std::string& account_id) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(
      Statement s, db().Prepare("UPDATE hub_provider_account SET failed_sign_ins = 0 WHERE account_id = ?"));
  s.Bind(1, account_id);
  return s.Run();
}

Status SqliteHubStorage::AddPortalSession(const Bytes& session_hash, const PortalSession& session) {
  std::lock_guard<std::mutex> lock(mu_);
  return store_->db().Transaction([&]() -> Status {
    // Expired sessions go as new ones come, so the table holds only live ones (and a few stale).
    BERTH_ASSIGN_OR_RETURN(Statement del,
                           db().Prepare("DELETE FROM hub_portal_session WHERE expires_ms < ?"));
    del.Bind(1, static_cast<int64_t>(session.expires_ms - 24LL * 3600 * 1000));
    BERTH_RETURN_IF_ERROR(del.Run());
    BERTH_ASSIGN_OR_RETURN(Statement ins, db().Prepare("INSERT INTO hub_portal_session (session_hash,"
                                                       " account_id, csrf, expires_ms) VALUES (?, ?, ?, ?)"));
    ins.BindBlob(1, session_hash)
        .Bind(2, session.account_id)
        .Bind(3, session.csrf)
        .Bind(4, session.expires_ms);
    return ins.Run();
  });
}

Result<PortalSession> SqliteHubStorage::GetPortalSession(const Bytes& session_hash, int64_t now_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db().Prepare("SELECT account_id, csrf, expires_ms FROM hub_portal_session"
                                      " WHERE session_hash = ? AND expires_ms > ?"));
  s.BindBlob(1, session_hash).Bind(2, now_ms);
  BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
  if (!found) return NotAuthorised("no_session");
  return PortalSession{s.Text(0), s.Text(1), s.Int(2)};
}

Status SqliteHubStorage::EndPortalSession(const Bytes& session_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement s, db().Prepare("DELETE FROM hub_portal_session WHERE session_hash = ?"));
  s.BindBlob(1, session_hash);
  return s.Run();
}

Status SqliteHubStorage::AuditPortal(int64_t now_ms, const std::string& account_id, const std::string& action,
                                     const std::string& object) {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_ASSIGN_OR_RETURN(Statement s, db().Prepare("INSERT INTO hub_portal_audit (at_ms, account_id, action,"
                                                   " object) VALUES (?, ?, ?, ?)"));
  s.Bind(1, now_ms).Bind(2, account_id).Bind(3, action).Bind(4, object);
  return s.Run();
}

Result<std::vector<std::map<std::string, Value>>> SqliteHubStorage::RowsWhere(
    const std::string& entity, const std::string& field, const std::vector<std::string>& values) {
  const auto* columns = schema_.Columns(entity);
  if (columns == nullptr || std::find(columns->begin(), columns->end(), field) == columns->end()) {
    return BadInput("no such table or column");
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::map<std::string, Value>> out;
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db().Prepare("SELECT id FROM \"" + entity + "\" WHERE deleted = 0 AND \"" + field +
                                      "\" = ? ORDER BY id"));
  for (const auto& v : values) {
    std::vector<std::string> ids;
    s.Reset();
    s.Bind(1, v);
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
      if (!r) break;
      ids.push_back(s.Text(0));
    }
    for (const auto& id : ids) {
      BERTH_ASSIGN_OR_RETURN(RowState row, ReadRowState(db(), schema_, entity, id));
      out.push_back(ValuesWithLatestClock(row));
    }
  }
  return out;
}

}  // namespace berth::sync::internal

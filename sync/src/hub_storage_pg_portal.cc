// The provider portal's state on PostgreSQL (hub_storage_pg.h, PROTOCOL.md section 14): accounts and their
// invites, sign-in failures and lockout, sessions with their CSRF tokens, the portal's audit. What must
// hold across hub processes is one conditional statement each: an invite is used by the UPDATE that finds
// it unused, a failure is counted (and the account locked) by one UPDATE.
#include "hub_storage_pg.h"
#include "portal_accounts.h"

namespace berth::sync::internal {

namespace {
constexpr char kAccountColumns[] =
    "account_id, cqc_location_id, email, password_hash, invite_expires_ms, created_ms, revoked,"
    " failed_sign_ins, locked_until_ms";

ProviderAccount AccountAt(const PgResult& r, int i) {
  ProviderAccount a;
  a.account_id = r.Text(i, 0);
  a.cqc_location_id = r.Text(i, 1);
  a.email = r.Text(i, 2);
  a.password_hash = r.Text(i, 3);
  a.invite_expires_ms = r.Int(i, 4);
  a.created_ms = r.Int(i, 5);
  a.revoked = r.Bool(i, 6);
  a.failed_sign_ins = static_cast<int>(r.Int(i, 7));
  a.locked_until_ms = r.Int(i, 8);
  return a;
}
}  // namespace

Result<std::vector<ProviderAccount>> PostgresHubStorage::AccountsWhere(const std::string& where,
                                                                       const std::vector<PgParam>& params) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  BERTH_ASSIGN_OR_RETURN(PgResult r, c->Exec(std::string("SELECT ") + kAccountColumns +
                                                 " FROM hub_provider_account WHERE " + where,
                                             params));
  std::vector<ProviderAccount> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(AccountAt(r, i));
  return out;
}

Status PostgresHubStorage::AddProviderAccount(const ProviderAccount& a, const Bytes& invite_id) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  return c->Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(
        c->Run("INSERT INTO hub_provider_account (account_id, cqc_location_id, email, invite_id,"
               " invite_expires_ms, created_ms) VALUES ($1, $2, $3, $4, $5, $6)",
               {a.account_id, a.cqc_location_id, a.email, invite_id, a.invite_expires_ms, a.created_ms}));
    return c->Run(
        "INSERT INTO hub_device (device_id, name, role, scope, sign_pk, kx_pk, enrolled_ms)"
        " VALUES ($1, $2, 'provider', '*', ''::bytea, ''::bytea, $3)",
        {PortalDeviceId(a.account_id), "portal " + a.cqc_location_id, a.created_ms});
  });
}

Result<ProviderAccount> PostgresHubStorage::ProviderAccountByInvite(const Bytes& invite_id, int64_t now_ms) {
  BERTH_ASSIGN_OR_RETURN(auto found, AccountsWhere("invite_id = $1 AND length(invite_id) > 0 AND"
                                                   " invite_expires_ms >= $2 AND NOT revoked",
                                                   {invite_id, now_ms}));
  if (found.size() != 1) return NotAuthorised("bad_invite");
  return found[0];
}

Status PostgresHubStorage::SetProviderPassword(const Bytes& invite_id, const std::string& password_hash,
                                               int64_t now_ms) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  BERTH_ASSIGN_OR_RETURN(PgResult r,
                         c->Exec("UPDATE hub_provider_account SET password_hash = $1, invite_id = ''::bytea,"
                                 " invite_expires_ms = 0 WHERE invite_id = $2 AND length(invite_id) > 0 AND"
                                 " invite_expires_ms >= $3 AND NOT revoked",
                                 {password_hash, invite_id, now_ms}));
  if (r.affected() == 0) return NotAuthorised("bad_invite");
  return Status::Ok();
}

Result<ProviderAccount> PostgresHubStorage::ProviderAccountByEmail(const std::string& email) {
  BERTH_ASSIGN_OR_RETURN(auto found,
                         AccountsWhere("email = $1 ORDER BY revoked, created_ms DESC LIMIT 1", {email}));
  if (found.empty()) return NotFound("no such provider account");
  return found[0];
}

Result<ProviderAccount> PostgresHubStorage::GetProviderAccount(const std::string& account_id) {
  BERTH_ASSIGN_OR_RETURN(auto found, AccountsWhere("account_id = $1", {account_id}));
  if (found.empty()) return NotFound("no such provider account");
  return found[0];
}

Result<std::vector<ProviderAccount>> PostgresHubStorage::ListProviderAccounts() {
  return AccountsWhere("true ORDER BY created_ms", {});
}

Status PostgresHubStorage::RevokeProviderAccount(const std::string& id_prefix) {
  BERTH_ASSIGN_OR_RETURN(auto accounts, ListProviderAccounts());
  BERTH_ASSIGN_OR_RETURN(std::string id, PickAccount(accounts, id_prefix));
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  return c->Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(c->Run(
        "UPDATE hub_provider_account SET revoked = true, invite_id = ''::bytea WHERE account_id = $1", {id}));
    BERTH_RETURN_IF_ERROR(c->Run("DELETE FROM hub_portal_session WHERE account_id = $1", {id}));
    return c->Run("UPDATE hub_device SET revoked = true WHERE device_id = $1", {PortalDeviceId(id)});
  });
}

Status PostgresHubStorage::RecordSignInFailure(const std::string& account_id, int64_t now_ms,
                                               int max_failures, int64_t lock_ms) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  return c->Run(
      "UPDATE hub_provider_account SET"
      " locked_until_ms = CASE WHEN failed_sign_ins + 1 >= $2 THEN $3 ELSE locked_until_ms END,"
      " failed_sign_ins = CASE WHEN failed_sign_ins + 1 >= $2 THEN 0 ELSE failed_sign_ins + 1 END"
      " WHERE account_id = $1",
      {account_id, static_cast<int64_t>(max_failures), now_ms + lock_ms});
}

Status PostgresHubStorage::ClearSignInFailures(const std::string& account_id) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  return c->Run("UPDATE hub_provider_account SET failed_sign_ins = 0 WHERE account_id = $1", {account_id});
}

Status PostgresHubStorage::AddPortalSession(const Bytes& session_hash, const PortalSession& session) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  return c->Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(c->Run("DELETE FROM hub_portal_session WHERE expires_ms < $1",
                                 {static_cast<int64_t>(session.expires_ms - 24LL * 3600 * 1000)}));
    return c->Run(
        "INSERT INTO hub_portal_session (session_hash, account_id, csrf, expires_ms)"
        " VALUES ($1, $2, $3, $4)",
        {session_hash, session.account_id, session.csrf, session.expires_ms});
  });
}

Result<PortalSession> PostgresHubStorage::GetPortalSession(const Bytes& session_hash, int64_t now_ms) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  BERTH_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT account_id, csrf, expires_ms FROM hub_portal_session"
                                             " WHERE session_hash = $1 AND expires_ms > $2",
                                             {session_hash, now_ms}));
  if (r.rows() != 1) return NotAuthorised("no_session");
  return PortalSession{r.Text(0, 0), r.Text(0, 1), r.Int(0, 2)};
}

Status PostgresHubStorage::EndPortalSession(const Bytes& session_hash) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  return c->Run("DELETE FROM hub_portal_session WHERE session_hash = $1", {session_hash});
}

Status PostgresHubStorage::AuditPortal(int64_t now_ms, const std::string& account_id,
                                       const std::string& action, const std::string& object) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  return c->Run("INSERT INTO hub_portal_audit (at_ms, account_id, action, object) VALUES ($1, $2, $3, $4)",
                {now_ms, account_id, action, object});
}

}  // namespace berth::sync::internal

// PostgresHubStorage: the hub's state in a PostgreSQL database shared by several hub processes
// (sync/PROTOCOL.md section 10), private to sync/src. OpenPostgresHubStorage (hub_storage.h) is its only
// way out. One file per job:
//   hub_storage_pg.cc          migrations, the hub's keys sealed under its passphrase
//   hub_storage_pg_devices.cc  enrolment codes, devices, replay counters, couriers
//   hub_storage_pg_rows.cc     rows: Push under row locks, the change log's numbers, Pull, purge, and
//                              the rows the portal's pages read
//   hub_storage_pg_portal.cc   the provider portal: accounts, lockout, sessions, audit
// Threads: no process-wide lock. Each call takes a connection of its own from the pool and the database
// decides who waits (row locks, single-statement conditional updates), so two processes behave as two
// threads of one.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "berth/sync/hub_storage.h"
#include "pg.h"
#include "rows.h"

namespace berth::sync::internal {

class PostgresHubStorage final : public HubStorage {
 public:
  PostgresHubStorage(std::string url, KeyPairs keys)
      : pool_(std::move(url)), keys_(std::move(keys)), row_key_(RowKey(keys_)) {}
  Result<KeyPairs> HubKeys() override;
  Status AddCode(const Bytes& code_id, const Bytes& verifier, const std::string& name,
                 const std::string& role, const std::string& scope, int64_t expires_ms) override;
  Result<Bytes> CodeVerifier(const Bytes& code_id, int64_t now_ms) override;
  Result<std::vector<CodeRecord>> ListCodes() override;
  Status CancelCode(const std::string& id_prefix) override;
  Result<DeviceRecord> EnrollDevice(const Bytes& code_id, const std::string& device_id, const Bytes& sign_pk,
                                    const Bytes& kx_pk, int64_t now_ms) override;
  Result<DeviceRecord> GetDevice(const std::string& device_id) override;
  Result<std::vector<DeviceRecord>> ListDevices() override;
  Status Revoke(const std::string& device_id) override;
  Status AdvanceCounter(const std::string& device_id, uint64_t counter, int64_t now_ms) override;
  Status SetCourierKey(const std::string& device_id, const Bytes& sign_pk, const Bytes& kx_pk,
                       int64_t now_ms) override;
  Result<CourierRecord> GetCourier(const std::string& device_id) override;
  Status AdvanceCourierCounter(const std::string& device_id, const Bytes& sign_pk, uint64_t counter) override;
  Result<PushResponse> Push(const DeviceRecord& device, const PushRequest& request, int64_t now_ms,
                            PushStats* stats) override;
  Result<PullResponse> Pull(const DeviceRecord& device, const PullRequest& request) override;
  Result<int64_t> PurgeTombstones(int64_t before_ms) override;
  Status AddProviderAccount(const ProviderAccount& account, const Bytes& invite_id) override;
  Result<ProviderAccount> ProviderAccountByInvite(const Bytes& invite_id, int64_t now_ms) override;
  Status SetProviderPassword(const Bytes& invite_id, const std::string& password_hash,
                             int64_t now_ms) override;
  Result<ProviderAccount> ProviderAccountByEmail(const std::string& email) override;
  Result<ProviderAccount> GetProviderAccount(const std::string& account_id) override;
  Result<std::vector<ProviderAccount>> ListProviderAccounts() override;
  Status RevokeProviderAccount(const std::string& id_prefix) override;
  Status RecordSignInFailure(const std::string& account_id, int64_t now_ms, int max_failures,
                             int64_t lock_ms) override;
  Status ClearSignInFailures(const std::string& account_id) override;
  Status AddPortalSession(const Bytes& session_hash, const PortalSession& session) override;
  Result<PortalSession> GetPortalSession(const Bytes& session_hash, int64_t now_ms) override;
  Status EndPortalSession(const Bytes& session_hash) override;
  Status AuditPortal(int64_t now_ms, const std::string& account_id, const std::string& action,
                     const std::string& object) override;
  Result<std::vector<std::map<std::string, Value>>> RowsWhere(
      const std::string& entity, const std::string& field, const std::vector<std::string>& values) override;

 private:
  // hub_storage_pg_portal.cc: the accounts the WHERE clause finds.
  Result<std::vector<ProviderAccount>> AccountsWhere(const std::string& where,
                                                     const std::vector<PgParam>& params);

  PgPool pool_;
  // The key rows are sealed with (hub_storage_pg_rows.cc), derived from the hub's key-exchange secret.
  static Secret RowKey(const KeyPairs& keys);
  KeyPairs keys_;  // unlocked at open with the hub passphrase; secret halves in sodium_malloc memory
  Secret row_key_;
  // This build's tables that sync, loaded at the first push (building them takes an in-memory store and
  // every migration: a CLI command such as `enroll` or `devices` never needs them).
  Result<const Schema*> SyncSchema();
  std::once_flag schema_once_;
  Status schema_status_;
  Schema schema_;
};

// The schema version this build writes (the last migration's number).
int PostgresSchemaVersion();
// Brings the database's schema up to PostgresSchemaVersion(), one migration per transaction, under an
// advisory lock so hub processes starting together migrate it once. kConflict if the database was made
// by a newer Berth.
Status MigratePostgres(PgConn& c);

}  // namespace berth::sync::internal

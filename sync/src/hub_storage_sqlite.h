// SqliteHubStorage: the hub's state in its own encrypted berth::Store (sync/PROTOCOL.md sections 5-7 and
// 10), private to sync/src. MakeSqliteHubStorage (hub_storage.h) is its only way out. One file per job:
//   hub_storage_sqlite.cc              the store opened as a hub: its indexes, start-up migrations, state
//   hub_storage_sqlite_devices.cc      enrolment codes, devices, replay counters, couriers
//   hub_storage_sqlite_arbitration.cc  Push: each change decided by the claim rules, then logged
//   hub_storage_sqlite_scope.cc        areas: where a row belongs and which devices may see it
//   hub_storage_sqlite_change_log.cc   Pull and the purge of old tombstones
//   hub_storage_sqlite_portal.cc       the provider portal: accounts, lockout, sessions, audit, its reads
// Threads: every public method but Pull, GetDevice and AdvanceCounter takes mu_, so one hub process writes
// one request at a time here; Pull and GetDevice read on connections of their own (readers_, WAL read
// transactions) and AdvanceCounter writes to its own small file (counters_, under counters_mu_), so the
// requests of a pull wait for no push.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "berth/sync/hub_storage.h"
#include "hub_rules.h"
#include "portal_accounts.h"
#include "rows.h"

namespace berth::sync::internal {

class SqliteHubStorage final : public HubStorage, private HubRules {
 public:
  explicit SqliteHubStorage(std::unique_ptr<Store> store);
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
  // hub_storage_sqlite_portal.cc: the account the WHERE clause finds (kNotFound when none). Holds mu_.
  Result<ProviderAccount> AccountWhere(const std::string& where, const std::function<void(Statement&)>& bind);

  // hub_storage_sqlite.cc
  Status UseHubIndexes();
  Status NumberRowsByTheirEntries();
  Status GiveWildcardRowsRealAreas();
  Result<Bytes> GetState(const std::string& key);
  Result<Bytes> GetStateOr(const std::string& key, Bytes fallback);
  Status PutState(const std::string& key, const Bytes& value);
  Db& db() { return store_->db(); }

  // hub_storage_sqlite_devices.cc
  Result<DeviceRecord> GetDeviceLocked(const std::string& device_id);
  // counters.db beside the store: created when missing, and given the counters the store kept before.
  Status OpenCounters();
  // The device's replay counter and last-seen time from counters.db, where they are kept.
  Status WithCounter(DeviceRecord* device);

  // hub_storage_sqlite_arbitration.cc: the storage's part of HubRules
  Result<RowState> RowStateOf(const std::string& entity, const std::string& row_id) override;
  Result<std::optional<Rejection>> RecordedRejection(const std::string& device_id, uint64_t seq) override;
  Status RecordRejection(const std::string& device_id, uint64_t seq, const std::string& mutation_id,
                         const Rejection& rejection) override;
  Result<std::map<std::string, Value>> RowValues(const std::string& entity,
                                                 const std::string& row_id) override;
  Result<PriorRow> ReadPrior(const DeviceRecord& dev, const Mutation& m) override;
  struct PriorQuery {
    std::string sql;
    std::vector<std::string> columns;  // the row's columns it reads, from its sixth result column on
  };
  const PriorQuery& PriorQueryFor(const std::string& entity);
  Status ApplyAndLog(const DeviceRecord& dev, const Mutation& m, const PriorRow& prior,
                     const std::map<std::string, Value>& merged, const std::string& area, int64_t now_ms,
                     const std::string& iso_now, uint64_t device_cursor,
                     std::optional<Rejection>* rej) override;
  Status LogChange(const DeviceRecord& dev, const Mutation& m, const std::string& area, bool deleted,
                   int64_t now_ms, bool echo_ok, uint64_t old_seq);
  Result<int64_t> PlacementsTakingBed(const std::string& bed_id, const std::string& except,
                                      const std::string& from, const std::string& to) override;
  Result<bool> CapacityOver(const std::string& cap, const std::string& from, const std::string& to) override;
  Result<std::string> FieldOrigin(const std::string& entity, const std::string& row_id,
                                  const std::string& field) override;

  // hub_storage_sqlite_change_log.cc: a read connection, back to the pool when the Reader goes.
  struct Reader {
    SqliteHubStorage* owner = nullptr;
    std::unique_ptr<Store> store;
    Reader(SqliteHubStorage* o, std::unique_ptr<Store> s) : owner(o), store(std::move(s)) {}
    Reader(Reader&& o) noexcept : owner(o.owner), store(std::move(o.store)) {}
    Reader& operator=(Reader&&) = delete;
    ~Reader();
  };
  Result<Reader> TakeReader();
  Status PullPage(Db& rdb, const DeviceRecord& device, const PullRequest& request, uint64_t horizon,
                  PullResponse* out);

  // hub_storage_sqlite_scope.cc
  Result<std::string> StoredArea(const std::string& entity, const std::string& row_id) override;

  // A run of the change log, entries (after, through], that one device's pushes wrote back to back and
  // that echo suppression hides from that device (PROTOCOL.md section 5): its pulls skip the run unread.
  // A new entry always takes a number past the end of the log, so no other entry can ever arrive inside a
  // recorded run (its entries can only go: moved to the end or purged); a run stays true.
  struct EchoRun {
    uint64_t after = 0;
    uint64_t through = 0;
  };
  // hub_storage_sqlite_arbitration.cc: the change log's highest number (0 when empty).
  Result<uint64_t> LogEnd();
  // After a push committed entries (log_before, log_after]: extends the device's run, or starts a new
  // one, when the push logged only entries hidden from it.
  void NoteEchoRun(const std::string& device_id, uint64_t log_before, uint64_t log_after);
  EchoRun EchoRunOf(const std::string& device_id);

  std::mutex mu_;
  std::unique_ptr<Store> store_;
  std::map<std::string, PriorQuery> prior_queries_;  // by entity; guarded by mu_ (ReadPrior's pushes)
  std::mutex readers_mu_;                            // guards readers_ only: never held while a query runs
  std::vector<std::unique_ptr<Store>> readers_;
  // Every entry the push under way logged is hidden from its device (LogChange clears it). Guarded by mu_.
  bool batch_echo_only_ = true;
  // The number the push under way gives its next change-log entry. Guarded by mu_.
  uint64_t next_seq_ = 1;
  // Each device's newest run, in this process only: a restart forgets them and pulls walk the log again.
  std::mutex echo_mu_;  // guards echo_runs_ only: never held while a query runs
  std::map<std::string, EchoRun> echo_runs_;
  std::mutex counters_mu_;  // guards counters_
  Db counters_;
  Status open_status_;  // why the store cannot serve as a hub, if it cannot
};

}  // namespace berth::sync::internal

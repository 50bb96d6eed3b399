// Hub storage doubles for sync tests: decorators over the real SqliteHubStorage, given to a Hub that the
// test runs itself (HubProcess::StartInChild, InProcessHub) instead of the berth-hub program.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "berth/schema/store.h"
#include "berth/sync/hub_storage.h"

namespace berth::testing {

// Passes every call to `inner_`.
class ForwardingHubStorage : public sync::HubStorage {
 public:
  explicit ForwardingHubStorage(std::unique_ptr<sync::HubStorage> inner) : inner_(std::move(inner)) {}

  Result<sync::KeyPairs> HubKeys() override { return inner_->HubKeys(); }
  Status AddCode(const sync::Bytes& code_id, const sync::Bytes& verifier, const std::string& name,
                 const std::string& role, const std::string& scope, int64_t expires_ms) override {
    return inner_->AddCode(code_id, verifier, name, role, scope, expires_ms);
  }
  Result<sync::Bytes> CodeVerifier(const sync::Bytes& code_id, int64_t now_ms) override {
    return inner_->CodeVerifier(code_id, now_ms);
  }
  Result<std::vector<sync::CodeRecord>> ListCodes() override { return inner_->ListCodes(); }
  Status CancelCode(const std::string& id_prefix) override { return inner_->CancelCode(id_prefix); }
  Result<sync::DeviceRecord> EnrollDevice(const sync::Bytes& code_id, const std::string& device_id,
                                          const sync::Bytes& sign_pk, const sync::Bytes& kx_pk,
                                          int64_t now_ms) override {
    return inner_->EnrollDevice(code_id, device_id, sign_pk, kx_pk, now_ms);
  }
  Result<sync::DeviceRecord> GetDevice(const std::string& device_id) override {
    return inner_->GetDevice(device_id);
  }
  Result<std::vector<sync::DeviceRecord>> ListDevices() override { return inner_->ListDevices(); }
  Status Revoke(const std::string& device_id) override { return inner_->Revoke(device_id); }
  Status AdvanceCounter(const std::string& device_id, uint64_t counter, int64_t now_ms) override {
    return inner_->AdvanceCounter(device_id, counter, now_ms);
  }
  Status SetCourierKey(const std::string& device_id, const sync::Bytes& sign_pk, const sync::Bytes& kx_pk,
                       int64_t now_ms) override {
    return inner_->SetCourierKey(device_id, sign_pk, kx_pk, now_ms);
  }
  Result<sync::CourierRecord> GetCourier(const std::string& device_id) override {
    return inner_->GetCourier(device_id);
  }
  Status AdvanceCourierCounter(const std::string& device_id, const sync::Bytes& sign_pk,
                               uint64_t counter) override {
    return inner_->AdvanceCourierCounter(device_id, sign_pk, counter);
  }
  Result<sync::PushResponse> Push(const sync::DeviceRecord& device, const sync::PushRequest& request,
                                  int64_t now_ms, sync::PushStats* stats) override {
    return inner_->Push(device, request, now_ms, stats);
  }
  Result<sync::PullResponse> Pull(const sync::DeviceRecord& device,
                                  const sync::PullRequest& request) override {
    return inner_->Pull(device, request);
  }
  Result<int64_t> PurgeTombstones(int64_t before_ms) override { return inner_->PurgeTombstones(before_ms); }
  Status AddProviderAccount(const sync::ProviderAccount& account, const sync::Bytes& invite_id) override {
    return inner_->AddProviderAccount(account, invite_id);
  }
  Result<sync::ProviderAccount> ProviderAccountByInvite(const sync::Bytes& invite_id,
                                                        int64_t now_ms) override {
    return inner_->ProviderAccountByInvite(invite_id, now_ms);
  }
  Status SetProviderPassword(const sync::Bytes& invite_id, const std::string& hash, int64_t now_ms) override {
    return inner_->SetProviderPassword(invite_id, hash, now_ms);
  }
  Result<sync::ProviderAccount> ProviderAccountByEmail(const std::string& email) override {
    return inner_->ProviderAccountByEmail(email);
  }
  Result<sync::ProviderAccount> GetProviderAccount(const std::string& id) override {
    return inner_->GetProviderAccount(id);
  }
  Result<std::vector<sync::ProviderAccount>> ListProviderAccounts() override {
    return inner_->ListProviderAccounts();
  }
  Status RevokeProviderAccount(const std::string& id_prefix) override {
    return inner_->RevokeProviderAccount(id_prefix);
  }
  Status RecordSignInFailure(const std::string& id, int64_t now_ms, int max_failures,
                             int64_t lock_ms) override {
    return inner_->RecordSignInFailure(id, now_ms, max_failures, lock_ms);
  }
  Status ClearSignInFailures(const std::string& id) override { return inner_->ClearSignInFailures(id); }
  Status AddPortalSession(const sync::Bytes& hash, const sync::PortalSession& session) override {
    return inner_->AddPortalSession(hash, session);
  }
  Result<sync::PortalSession> GetPortalSession(const sync::Bytes& hash, int64_t now_ms) override {
    return inner_->GetPortalSession(hash, now_ms);
  }
  Status EndPortalSession(const sync::Bytes& hash) override { return inner_->EndPortalSession(hash); }
  Status AuditPortal(int64_t now_ms, const std::string& account_id, const std::string& action,
                     const std::string& object) override {
    return inner_->AuditPortal(now_ms, account_id, action, object);
  }
  Result<std::vector<std::map<std::string, Value>>> RowsWhere(
      const std::string& entity, const std::string& field, const std::vector<std::string>& values) override {
    return inner_->RowsWhere(entity, field, values);
  }

 protected:
  std::unique_ptr<sync::HubStorage> inner_;
};

// Counts the mutations the hub applied (PushStats), over every push: "applied exactly once" is checked
// against this, not against the hub's log.
class CountingHubStorage final : public ForwardingHubStorage {
 public:
  explicit CountingHubStorage(std::unique_ptr<sync::HubStorage> inner)
      : ForwardingHubStorage(std::move(inner)) {}

  Result<sync::PushResponse> Push(const sync::DeviceRecord& device, const sync::PushRequest& request,
                                  int64_t now_ms, sync::PushStats* stats) override {
    auto out = inner_->Push(device, request, now_ms, stats);
    if (out.ok()) applied_ += stats->applied;
    return out;
  }
  int64_t applied() const { return applied_.load(); }

 private:
  std::atomic<int64_t> applied_{0};
};

// The hub's SQLite storage, ending the process (exit code kExitCode, as a crash would) once `entries`
// entries of one push batch have been applied inside the batch's open transaction. Each applied entry
// writes its row's change-log entry (hub_change), and SQLite's update hook on the hub store's connection
// sees each one as it is written: the moment is chosen by count, never by time. For a hub in a forked
// child (HubProcess::StartInChild).
class HubStorageThatDiesMidBatch final : public ForwardingHubStorage {
 public:
  static constexpr int kExitCode = 86;

  HubStorageThatDiesMidBatch(std::unique_ptr<Store> store, int entries)
      : ForwardingHubStorage(nullptr), entries_(entries) {
    sqlite3_update_hook(store->db().raw(), &OnWrite, this);
    inner_ = sync::MakeSqliteHubStorage(std::move(store));
  }

  Result<sync::PushResponse> Push(const sync::DeviceRecord& device, const sync::PushRequest& request,
                                  int64_t now_ms, sync::PushStats* stats) override {
    logged_in_batch_ = 0;
    return inner_->Push(device, request, now_ms, stats);
  }

 private:
  static void OnWrite(void* self, int op, const char*, const char* table, sqlite3_int64) {
    auto* me = static_cast<HubStorageThatDiesMidBatch*>(self);
    if (op == SQLITE_INSERT && std::strcmp(table, "hub_change") == 0 &&
        ++me->logged_in_batch_ >= me->entries_) {
      _exit(kExitCode);
    }
  }

  int entries_;
  int logged_in_batch_ = 0;
};

// The hub's SQLite storage, holding a push inside the batch's open transaction (so holding the store's
// writer and the storage's lock) once `entries` change-log entries of an armed push are written, until the
// test lets it go: what other requests do meanwhile shows whether they queue behind a push. The moment is
// chosen by count, through SQLite's update hook on the store's writing connection, never by time.
class HubStorageThatPausesMidBatch final : public ForwardingHubStorage {
 public:
  HubStorageThatPausesMidBatch(std::unique_ptr<Store> store, int entries)
      : ForwardingHubStorage(nullptr), entries_(entries) {
    sqlite3_update_hook(store->db().raw(), &OnWrite, this);
    inner_ = sync::MakeSqliteHubStorage(std::move(store));
  }

  // The next push pauses at its `entries`th entry.
  void Arm() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = true;
    logged_ = 0;
  }
  // Whether an armed push reached its pause within `limit` (a bound on a hang, not a speed check).
  bool WaitUntilPaused(std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, limit, [this] { return paused_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  static void OnWrite(void* self, int op, const char*, const char* table, sqlite3_int64) {
    auto* me = static_cast<HubStorageThatPausesMidBatch*>(self);
    if (op != SQLITE_INSERT || std::strcmp(table, "hub_change") != 0) return;
    std::unique_lock<std::mutex> lock(me->mu_);
    if (!me->armed_ || ++me->logged_ != me->entries_) return;
    me->armed_ = false;
    me->paused_ = true;
    me->changed_.notify_all();
    me->changed_.wait(lock, [me] { return me->released_; });
  }

  const int entries_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool armed_ = false;
  int logged_ = 0;
  bool paused_ = false;
  bool released_ = false;
};

}  // namespace berth::testing

// The unlocked store and the work running against it. Panels read it each frame; slow work (unlocking,
// which runs Argon2id) happens on a worker thread so a frame never waits on it. Sync runs by itself
// (berth/sync/auto_sync.h) on a thread and store connection of its own: live syncs while unlocked, the
// courier (no key) while locked.
#pragma once

#include <future>
#include <memory>
#include <string>

#include "berth/schema/secret.h"
#include "berth/schema/store.h"
#include "berth/sync/auto_sync.h"
#include "worker.h"

namespace berth::ui {

class WindowSession {
 public:
  explicit WindowSession(std::string store_dir, std::string actor);
  ~WindowSession();

  const std::string& store_dir() const { return store_dir_; }
  bool store_exists() const;
  bool unlocked() const { return store_ != nullptr; }
  // Counts unlocks, so views can tell a fresh unlock (reload everything) from the same session.
  int generation() const { return generation_; }
  bool busy() const { return pending_.valid(); }
  // The open store (null while locked), owned here and lent to the worker. Panels never touch it: they post
  // tasks to worker().
  Store* store() { return store_.get(); }
  StoreWorker& worker() { return worker_; }

  // Start unlocking (or creating) in the background; Poll() finishes it on the UI thread.
  void BeginUnlock(Secret passphrase);
  void BeginCreate(Secret passphrase);
  void BeginRecover(Secret recovery_key, Secret new_passphrase);
  // Call once a frame. Returns true when a background job finished this frame.
  bool Poll();

  // The last job's error in words for the user, or empty.
  const std::string& error() const { return error_; }
  // After a create: the recovery key to show once. Cleared by AcknowledgeRecoveryKey().
  const Secret& recovery_key() const { return recovery_key_; }
  void AcknowledgeRecoveryKey() { recovery_key_.Wipe(); }

  // Closes the store and wipes every key (auto-lock, or the user's Lock command). Never waits on the
  // network: the background sync is cancelled, the outbox sealed into the spool, then the courier takes
  // over.
  void Lock();
  // Locks, then says why on the unlock screen (e.g. the hub revoked this device and it wiped itself).
  void LockBecause(std::string reason);
  // The background sync (status for the status bar, Sync now, cancel).
  sync::AutoSync& auto_sync() { return auto_sync_; }
  const sync::AutoSync& auto_sync() const { return auto_sync_; }
  // The schedule and clock of the background sync; applies from the next start (unlock or lock).
  void set_auto_sync_options(const sync::AutoSyncOptions& options);
  const sync::AutoSyncOptions& auto_sync_options() const { return auto_sync_options_; }
  // The setting sync.interval_minutes, once read from the store.
  void SetSyncInterval(int64_t interval_ms);
  // Adopts a store already opened (and unlocked) by the caller, as an unlock would have opened it: the
  // window handed its store, as the tests and the benchmark do.
  void Adopt(std::unique_ptr<Store> store);

 private:
  struct Outcome {
    Status status;
    std::unique_ptr<Store> store;
    Secret recovery_key;
  };
  std::string store_dir_;
  std::string actor_;
  std::unique_ptr<Store> store_;
  std::future<Outcome> pending_;
  std::string error_;
  Secret recovery_key_;
  int generation_ = 0;
  sync::AutoSyncOptions auto_sync_options_;
  sync::AutoSync auto_sync_;  // declared after store_: stopped before the store closes
  StoreWorker worker_;        // declared after store_: stopped before the store closes
  void StartBackgroundSync();
  void LockStore(bool start_courier);
};

}  // namespace berth::ui

// Sync by itself (sync/PROTOCOL.md section 12): the window's background sync. Unlocked, it owns a second
// connection of the store (Store::Connect) and a thread of its own: it applies what the courier brought
// while the laptop was locked, then syncs at once and every `interval`, retrying sooner when the hub could
// not be reached (first_retry, doubling up to a minute, never later than the interval), every wait
// shortened by a random jitter so laptops that reconnect together do not reach the hub together. Locked,
// it runs the courier on the same schedule with no key at all.
//
// Stop() returns at once: it cancels the running exchange without waiting for the network (the HTTP
// exchange is left to finish on a thread holding only sealed bytes), then joins the sync thread, which
// at most finishes the database transaction it is in.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "berth/schema/env.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"
#include "berth/sync/client.h"
#include "berth/sync/spool.h"

namespace berth::sync {

struct AutoSyncOptions {
  int64_t interval_ms = 5 * 60 * 1000;  // between syncs while the hub answers (setting sync.interval_minutes)
  int64_t first_retry_ms = 5000;        // after the hub could not be reached; doubles ...
  int64_t max_retry_ms = 60 * 1000;     // ... up to this (or interval_ms if shorter): the network's
                                        // return is noticed within a minute
  double jitter = 0.2;                  // each wait is shortened by a random 0..20%, never lengthened
  SyncOptions sync;                     // timeouts, a hub URL override; rotate_courier is set by AutoSync
  CourierOptions courier;
  Env* env = nullptr;  // the clock the schedule follows (null: Env::Default()); not owned
};

enum class AutoSyncPhase { kStopped, kWaiting, kApplyingSpool, kSyncing, kCourier };

struct AutoSyncStatus {
  AutoSyncPhase phase = AutoSyncPhase::kStopped;
  bool locked = false;   // running the courier (locked) rather than live syncs
  std::string step;      // what the running sync is doing: "push", "pull", ...
  float fraction = -1;   // progress of the running step, 0..1, or -1 when unknown
  int64_t attempts = 0;  // syncs (or courier runs) started since Start
  int64_t successes = 0;
  int64_t last_attempt_ms = 0;
  int64_t last_ok_ms = 0;   // 0: none yet
  bool offline = false;     // the last attempt could not reach the hub
  std::string last_result;  // for the status bar: what the last attempt did, or why it failed
  int64_t next_due_ms = 0;
  int64_t pending = -1;  // outbox entries waiting to be sent (unlocked; -1 unknown)
};

// What the window reacts to, on its own thread (TakeEvents).
struct AutoSyncEvent {
  enum class Kind { kSynced, kSpoolApplied, kFailed, kRevoked };
  Kind kind = Kind::kSynced;
  SyncSummary summary;      // kSynced
  SpoolApplySummary spool;  // kSpoolApplied
  Status status;            // kFailed, kRevoked
};

class AutoSync {
 public:
  AutoSync() = default;
  ~AutoSync();
  AutoSync(const AutoSync&) = delete;
  AutoSync& operator=(const AutoSync&) = delete;

  // Unlocked: takes `connection` (a second connection of the unlocked store). Stops what ran before.
  void StartUnlocked(std::unique_ptr<Store> connection, const AutoSyncOptions& options);
  // Locked: the courier on `store_dir`. Stops what ran before.
  void StartLocked(const std::string& store_dir, const AutoSyncOptions& options);
  // Cancels and joins; never waits on the network. The connection is closed (its key copy wiped).
  void Stop();
  bool running() const;

  void SyncNow();  // the next sync starts at once (Ctrl+Y)
  void Cancel();   // cancels the running sync; the schedule goes on
  void SetInterval(int64_t interval_ms);

  AutoSyncStatus status() const;
  std::vector<AutoSyncEvent> TakeEvents();

 private:
  void RunUnlocked();
  void RunLocked();
  // Waits until the next sync is due (by the options' clock), SyncNow(), or Stop(). False when stopping.
  bool WaitUntilDue();
  void Schedule(bool ok, bool unreachable);
  void Progress(const SyncProgress& p);
  void Push(AutoSyncEvent e);

  Env* env_ = nullptr;
  AutoSyncOptions options_;
  std::unique_ptr<Store> store_;
  std::string store_dir_;
  std::thread thread_;
  std::atomic<bool> cancel_{false};  // the running sync
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool now_ = false;
  int64_t backoff_ms_ = 0;
  uint32_t rng_ = 0;
  AutoSyncStatus status_;
  std::vector<AutoSyncEvent> events_;
};

}  // namespace berth::sync

// The device side of sync (sync/PROTOCOL.md): enrolling with a hub, one sync session (push the outbox,
// pull changes, record conflicts), and reading the Conflicts inbox. SyncOnce() is what `berth sync` runs
// and what the GUI runs on its background thread, with its own Store connection (a Store belongs to
// one thread at a time).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "berth/schema/status.h"
#include "berth/schema/store.h"
#include "berth/sync/transport.h"

namespace berth::sync {

struct EnrollResult {
  std::string device_id;
  std::string name;
  std::string role;
  std::string scope;
  std::string hub_fingerprint;
};

// Enrolls this store's device with the hub at `hub_url` (e.g. "http://127.0.0.1:8765") using a one-time
// code, and pins the hub's keys. Refused (nothing written) if the store is already enrolled. `transport`
// null: HTTP.
Result<EnrollResult> Enroll(Store& store, const std::string& hub_url, const std::string& code,
                            Transport* transport = nullptr);

struct SyncProgress {
  std::string phase;  // "ping", "push", "pull", "done"
  int64_t pushed = 0;
  int64_t pulled = 0;
};

struct SyncOptions {
  std::string hub_url;         // empty: the URL given at enrollment
  uint32_t push_batch = 5000;  // outbox entries per push request
  // ... and at most this many bytes of encoded mutations (at least one entry): the hub refuses a request
  // over 16 MiB on the wire or decompressed, so a batch of long notes must not reach either.
  uint32_t push_batch_bytes = 4u << 20;
  uint32_t pull_page = 5000;    // rows per pull page
  int max_retries = 3;          // per request, with exponential backoff
  int max_push_batches = 1000;  // per session (5M entries); the rest waits for the next sync
  int connect_timeout_s = 5;
  int read_timeout_s = 60;
  // Register a new courier key for sync while locked (PROTOCOL.md section 11) even if there is one: the
  // window's first sync after each unlock, and every `berth sync`. Without it, one is registered only
  // when the spool has none.
  bool rotate_courier = false;
  // The network (null: Transport::Default(), HTTP). Not owned; must outlive the session.
  Transport* transport = nullptr;
  // The device's clock: the skew check, request counters, conflict times (null: Env::Default()). Not owned.
  Env* env = nullptr;
};

struct SyncSummary {
  int64_t pushed = 0;      // outbox entries acknowledged
  int64_t applied = 0;     // ... of which the hub applied
  int64_t duplicates = 0;  // ... of which it had seen already
  int64_t rejected = 0;    // ... of which it rejected
  int64_t conflicts = 0;   // new conflict records
  int64_t pulled_rows = 0;
  int64_t refused_rows = 0;  // pulled rows the settings schema refused (out of range, not a setting)
  int64_t pull_pages = 0;
  int64_t bytes_sent = 0;
  int64_t bytes_received = 0;
  int64_t requests = 0;
  int64_t retries = 0;
  bool snapshot = false;  // a fresh snapshot was taken (behind the tombstone horizon)
  bool cancelled = false;
  bool courier_registered = false;  // a new courier key was registered and written to the spool
  uint64_t cursor = 0;
  int64_t hub_time_ms = 0;
};

using ProgressFn = std::function<void(const SyncProgress&)>;

// One sync session. Safe to call from a background thread with its own Store. A revoked device's store is
// wiped and locked, and kNotAuthorised returned. Cancel stops cleanly at once, even while a request is on
// the wire (the summary says `cancelled`).
Result<SyncSummary> SyncOnce(Store& store, const SyncOptions& options = {}, const ProgressFn& progress = {},
                             const std::atomic<bool>* cancel = nullptr);

struct ConflictRecord {
  int64_t id = 0;
  int64_t created_ms = 0;
  std::string mutation_id;
  std::string claim;
  std::string entity;
  std::string row_id;
  std::string reason_code;
  std::string reason;
  std::string referral_id;
  std::string bed_id;
  std::string capacity_id;
  std::string authoritative_json;
  bool resolved = false;
};

Result<std::vector<ConflictRecord>> ListConflicts(Store& store);

// Whether the store is enrolled, and with which hub.
struct SyncStatus {
  bool enrolled = false;
  std::string hub_url;
  std::string role;
  std::string scope;
  uint64_t cursor = 0;
  int64_t pending = 0;  // outbox entries not yet acknowledged
};
Result<SyncStatus> GetSyncStatus(Store& store);

}  // namespace berth::sync

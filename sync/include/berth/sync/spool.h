// Sync while the laptop is locked (sync/PROTOCOL.md section 11). While unlocked, SpoolOutbox seals the
// outbox into boxes only the hub can open; while locked, RunCourier carries them to the hub with the
// courier key and brings back the hub's answers and pages, sealed to the device, without ever touching the
// store or its key; at the next unlock ApplySpool applies them with the live sync's own code.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "berth/schema/env.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"
#include "berth/sync/client.h"
#include "berth/sync/transport.h"

namespace berth::sync {

// --- unlocked ------------------------------------------------------------------------------------------

struct SpoolOutResult {
  int64_t batches = 0;  // new spooled batches
  int64_t entries = 0;  // outbox entries in them
  bool busy = false;    // a courier holds the spool: nothing spooled this time
};

// Seals every outbox entry not yet spooled into spooled-push boxes, and drops the boxes the hub has since
// acknowledged. Local only (never the network): the window runs it at lock and after a background sync
// that could not reach the hub. kNotFound when the store is not enrolled.
Result<SpoolOutResult> SpoolOutbox(Store& store, Env* env = nullptr);

struct SpoolApplySummary {
  int64_t boxes = 0;         // boxes opened and applied (or found to be no-ops)
  int64_t answers = 0;       // push answers among them
  int64_t pages = 0;         // pull pages among them
  int64_t rows = 0;          // rows those pages brought
  int64_t acknowledged = 0;  // outbox entries the answers settled ...
  int64_t rejected = 0;      // ... of which the hub rejected
  int64_t conflicts = 0;     // new conflict records
  int64_t refused = 0;       // boxes that failed authentication (dropped; a live sync redoes their work)
  bool gap = false;          // a page did not follow the store's cursor: the pages after it were dropped
  bool cancelled = false;
};

// Applies what the courier brought while the laptop was locked, box by box, each in one transaction with
// the live sync's code; re-applying a box is a no-op. Waits for a running courier to finish (unless
// cancelled). Progress: phase "spool", `pulled` = boxes done. Nothing to do (not enrolled, no spool) is
// an empty summary.
Result<SpoolApplySummary> ApplySpool(Store& store, const ProgressFn& progress = {},
                                     const std::atomic<bool>* cancel = nullptr, Env* env = nullptr);

// --- locked (no key needed) ----------------------------------------------------------------------------

struct CourierOptions {
  std::string hub_url;  // empty: the spool's (the URL the device syncs with)
  int max_retries = 3;  // per request, with backoff
  int connect_timeout_s = 5;
  int read_timeout_s = 60;
  uint32_t pull_page = 5000;
  int max_pages = 1000;  // per run
  Env* env = nullptr;
  Transport* transport = nullptr;  // null: Transport::Default(), HTTP
};

struct CourierSummary {
  bool skipped_unlocked = false;   // Berth is unlocked on this laptop and syncs live: nothing done
  int64_t uploaded = 0;            // spooled batches the hub answered
  int64_t entries = 0;             // ... and the outbox entries in them
  int64_t pages = 0;               // pull pages brought back
  bool out_of_order = false;       // the hub is waiting for an earlier batch (uploads stopped)
  int64_t dropped = 0;             // spooled batches dropped because the hub could not open the first
  bool snapshot_required = false;  // pulling waits for a live sync's snapshot
  bool cancelled = false;
  int64_t requests = 0;
  int64_t bytes_sent = 0;
  int64_t bytes_received = 0;
};

// One courier run on the store directory (`berth sync --locked`). kNotFound when there is nothing to
// carry yet (no courier key: Berth has not synced online since it was enrolled), kNetwork when the hub is
// unreachable (the next run resumes), kNotAuthorised when the hub refuses the courier key (expired or
// replaced) or has revoked the device, which is then wiped.
Result<CourierSummary> RunCourier(const std::string& store_dir, const CourierOptions& options = {},
                                  const ProgressFn& progress = {}, const std::atomic<bool>* cancel = nullptr);

// What the spool holds, read without the key (for `berth sync --status` and the window while locked).
struct SpoolStatus {
  bool exists = false;
  bool courier_key = false;
  int64_t out_batches = 0;
  int64_t out_entries = 0;
  int64_t in_boxes = 0;
  int64_t last_run_ms = 0;
  std::string last_result;
};
Result<SpoolStatus> GetSpoolStatus(const std::string& store_dir, Env* env = nullptr);

// Held while Berth is unlocked on this laptop and syncs live (the window's background sync, `berth
// sync`): a courier started by the timer meanwhile does nothing. Released when the object goes.
class LiveSyncMarker {
 public:
  explicit LiveSyncMarker(const std::string& store_dir);
  ~LiveSyncMarker();
  LiveSyncMarker(const LiveSyncMarker&) = delete;
  LiveSyncMarker& operator=(const LiveSyncMarker&) = delete;

 private:
  struct Held;
  std::unique_ptr<Held> held_;
};

}  // namespace berth::sync

// SyncSession: one sync of this device with the hub (SyncOnce in berth/sync/client.h; PROTOCOL.md sections
// 4-6), split by job: client.cc (loading keys and pins, the order of a run, the courier key),
// client_transport.cc (sealing requests, sending them ahead, retries), client_push.cc (the outbox to the hub
// and the hub's answers, conflicts included), client_pull.cc (the area's rows, pages and snapshots). The
// courier's DeviceSync (device_sync.h) uses the same session. Internal to berth_sync.
#pragma once

#include "berth/sync/client.h"

#include <nlohmann/json.hpp>

#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "berth/schema/ids.h"
#include "berth/schema/occupancy.h"
#include "berth/schema/outbox.h"
#include "berth/schema/settings.h"
#include "berth/sync/crypto.h"
#include "berth/sync/version.h"
#include "berth/sync/wire.h"
#include "bounded_archive.h"
#include "device_sync.h"
#include "rows.h"
#include "spool_files.h"
#include "transport.h"

namespace berth::sync::internal {

constexpr int64_t kMaxSkewMs = 5 * 60 * 1000;

// The device's sync state (the sync_state table), defined in client.cc.
Result<std::optional<Bytes>> GetState(Db& db, const std::string& key);
Result<std::string> GetText(Db& db, const std::string& key);
Status PutState(Db& db, const std::string& key, std::span<const uint8_t> value);
Status PutText(Db& db, const std::string& key, const std::string& value);

// One HTTP exchange with the hub's sync endpoint (client_transport.cc).
HttpResult Post(const std::string& url, const Bytes& body, const SyncOptions& o,
                const std::atomic<bool>* cancel);

// Everything one session needs: keys, pins, counters, the statement cache on the store's connection.
class SyncSession {
 public:
  SyncSession(Store& store, const SyncOptions& options, const ProgressFn& progress,
              const std::atomic<bool>* cancel)
      : store_(store),
        db_(store.db()),
        options_(options),
        progress_(progress),
        cancel_(cancel),
        env_(options.env != nullptr ? *options.env : *Env::Default()) {}

  Status Load();

  Result<SyncSummary> Run();

 private:
  friend class internal::DeviceSync;

  bool Cancelled() const { return cancel_ != nullptr && cancel_->load(); }
  void Report(const char* phase) {
    if (progress_) progress_(SyncProgress{phase, summary_.pushed, summary_.pulled_rows});
  }

  Result<int64_t> PendingCount() { return db_.QueryInt("SELECT count(*) FROM outbox"); }

  Result<uint64_t> NextCounter();

  static Bytes RequestPayload(MessageType type, const Bytes& body);

  // A request sent ahead: sealed on this thread (the counter is the store's), its HTTP exchange on
  // another, so the hub's work overlaps the device's: the pull asks for page N+1 while it applies page N,
  // and the push sends batch N+1 while the hub applies batch N. Exchange() collects the answer; the
  // future's destructor waits if nobody does.
  struct Ahead {
    MessageType type = MessageType::kPull;
    Bytes body;
    Bytes payload;  // the compressed request, kept in case it must be sealed again
    uint64_t counter = 0;
    std::shared_ptr<const SealedRequest> sealed;
    std::shared_future<HttpResult> http;
    // Sent before the request it follows was answered (a push naming its follows_seq): any answer but
    // the hub's saying it was carried out means it was not, and it is sent again in its turn.
    bool follows = false;
  };

  // Compressed and sealed now, sent by Launch().
  Result<std::unique_ptr<Ahead>> SealAhead(MessageType type, const Bytes& body);

  // The hub refuses a counter at or below one it has seen: a request sealed before a retry of an earlier
  // one (which took a newer counter) is sealed again first.
  Status Launch(Ahead& ahead);

  Result<std::unique_ptr<Ahead>> SendAhead(MessageType type, const Bytes& body);

  // One sealed request and its answer, retried with backoff on network failure. `ahead`, when it is this
  // same request already sent by SendAhead, is the first attempt.
  Result<Response> Exchange(MessageType type, const Bytes& body, std::unique_ptr<Ahead> ahead = nullptr);

  // A fresh courier key (PROTOCOL.md section 11) when asked to rotate it (each unlock) or when the spool
  // has none. The spool lock is held from before the hub learns the key until it is on disk, so a courier
  // never runs with a key the hub has replaced; when a courier is running, the rotation waits for next time.
  Status MaybeRegisterCourier();

  Status Wipe();

  // --- push ----------------------------------------------------------------------------------------------
  // Up to push_batch outbox entries (and push_batch_bytes) after `after_seq`, in seq order, with the
  // device's pull cursor.
  Result<PushRequest> NextPushBatch(uint64_t after_seq);

  // Pipelined: batch N+1 is read, encoded, sealed and sent while the hub applies batch N, naming N's last
  // entry (follows_seq), so the hub has it opened and decoded when N commits and applies it while this
  // device records N's outcomes. The hub applies N+1 only after N, so batches are applied in seq order;
  // entries that N's outcomes add to the outbox (withdrawals after a lost claim) come after every entry
  // already read and go in a later batch.
  Result<bool> PushAll();

  static std::string FieldText(const Mutation& m, const char* name);

  // In one transaction: drop acknowledged entries, record conflicts, roll rejected rows back to the hub's
  // state and put a lost referral back in the queue. Returns whether new local mutations were written.
  Result<bool> ApplyPushResponse(const PushRequest& req, const PushResponse& out);

  // --- pull ----------------------------------------------------------------------------------------------
  Status PullAll();

  // The settings schema applies to what the hub sends too: a synced setting, in range (or deleted).
  static bool SettingFromHubAccepted(const RowState& row);

  // A page's rows (LWW per field) and its cursor, as one batch of the store (one transaction, the clock
  // saved once; schema/FORMAT.md, "Batches"): a live page, or one from the spool. A setting the schema
  // refuses is kept out (its default, or this device's value, stays in force).
  Status ApplyPage(const PullResponse& page, bool snapshot);

  // After a full snapshot: rows the hub no longer has (purged tombstones) go, unless this device still
  // has unsynced changes to them.
  Status FinishSnapshot();

  Store& store_;
  Db& db_;
  SyncOptions options_;
  ProgressFn progress_;
  const std::atomic<bool>* cancel_;
  Env& env_;
  internal::Schema schema_;
  KeyPairs keys_;
  PublicKeys hub_;
  std::string url_;
  std::string device_id_;
  uint64_t highest_counter_sent_ = 0;
  SyncSummary summary_;

 public:
  const SyncSummary& summary() const { return summary_; }
};

}  // namespace berth::sync::internal

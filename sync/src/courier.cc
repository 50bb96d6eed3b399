// The locked side of sync while locked (sync/PROTOCOL.md section 11): the courier. It reads only the
// spool (clear state, sealed boxes, the courier key), never the store, so it runs with no passphrase.
#include <fmt/format.h>

#include <random>

#include "berth/schema/store.h"
#include "berth/sync/spool.h"
#include "berth/sync/version.h"
#include "spool_files.h"
#include "transport.h"

namespace berth::sync {

namespace {

using internal::SpoolState;

class Courier {
 public:
  Courier(std::string dir, const CourierOptions& options, const ProgressFn& progress,
          const std::atomic<bool>* cancel)
      : dir_(std::move(dir)),
        options_(options),
        env_(options.env != nullptr ? *options.env : *Env::Default()),
        progress_(progress),
        cancel_(cancel) {}

  Result<CourierSummary> Run() {
    if (!Store::Exists(dir_)) return NotFound("no Berth store in " + dir_);
    if (internal::LiveSideRunning(dir_)) {
      summary_.skipped_unlocked = true;
      return summary_;
    }
    if (!env_.FileExists(internal::SpoolPath(dir_, "state")) ||
        !env_.FileExists(internal::CourierKeyPath(dir_))) {
      return NotFound(
          "nothing to carry yet: unlock Berth and sync online once, so it can register its courier key");
    }
    auto lock = internal::SpoolLock::Try(internal::SpoolLockPath(dir_));
    if (!lock.ok()) return lock.status();
    BERTH_ASSIGN_OR_RETURN(state_, internal::ReadSpoolState(env_, dir_));
    BERTH_ASSIGN_OR_RETURN(keys_, internal::ReadCourierKey(env_, dir_));
    hub_ = PublicKeys{state_.hub_sign_pk, state_.hub_kx_pk};
    url_ = options_.hub_url.empty() ? state_.hub_url : options_.hub_url;
    Status st = Upload();
    if (st.ok()) st = Pull();
    if (!st.ok() && Cancelled()) {
      summary_.cancelled = true;
      st = Status::Ok();
    }
    if (st.code() == Code::kNotAuthorised && revoked_) return st;  // wiped: no state left to write
    state_.last_run_ms = env_.NowMs();
    state_.last_result = st.ok() ? Describe() : std::string(CodeName(st.code())) + ": " + st.message();
    const Status saved = internal::WriteSpoolState(env_, dir_, state_);
    if (!st.ok()) return st;
    if (!saved.ok()) return saved;
    return summary_;
  }

 private:
  bool Cancelled() const { return cancel_ != nullptr && cancel_->load(); }

  std::string Describe() const {
    return fmt::format("carried {} batches ({} changes) and {} pages{}{}{}{}", summary_.uploaded,
                       summary_.entries, summary_.pages,
                       summary_.dropped > 0 ? "; damaged batches dropped for the next unlock to redo" : "",
                       summary_.out_of_order ? "; the hub awaits an earlier batch" : "",
                       summary_.snapshot_required ? "; a snapshot awaits the next unlock" : "",
                       summary_.cancelled ? "; stopped early" : "");
  }

  // Spooled batches in seq order; each answer box is kept, and the batch leaves the spool.
  Status Upload() {
    while (!state_.out.empty() && !Cancelled()) {
      const internal::SpoolOutBatch batch = state_.out.front();
      Report("upload");
      auto box = env_.ReadFile(internal::SpoolPath(dir_, batch.file));
      if (!box.ok()) {
        // Lost: the next unlocked sync pushes these entries live, and spools again what follows.
        if (box.status().code() == Code::kNotFound) return Status::Ok();
        return box.status();
      }
      BERTH_ASSIGN_OR_RETURN(Response resp,
                             Exchange(MessageType::kSpoolUpload, Bytes(box->begin(), box->end())));
      if (resp.error == static_cast<uint8_t>(WireError::kOutOfOrder)) {
        summary_.out_of_order = true;
        return Status::Ok();
      }
      if (resp.error == static_cast<uint8_t>(WireError::kBadMessage)) return DropChain();
      BERTH_ASSIGN_OR_RETURN(SpoolUploadAnswer answer, DecodeSpoolUploadAnswer(resp.body));
      internal::SpoolInBox in;
      in.first_seq = answer.first_seq;
      in.last_seq = answer.last_seq;
      BERTH_RETURN_IF_ERROR(Keep(std::move(in), answer.answer_box));
      BERTH_RETURN_IF_ERROR(env_.RemoveFile(internal::SpoolPath(dir_, batch.file)));
      state_.out.erase(state_.out.begin());
      BERTH_RETURN_IF_ERROR(internal::WriteSpoolState(env_, dir_, state_));
      summary_.uploaded++;
      summary_.entries += batch.entries;
    }
    return Status::Ok();
  }

  // The hub cannot open the first spooled batch (damaged on disk). It and every batch after it (their
  // after_seq chain starts there) are dropped, and the next spooling seals their entries again from
  // where the chain broke; a live sync pushes them meanwhile.
  Status DropChain() {
    summary_.dropped = static_cast<int64_t>(state_.out.size());
    state_.spooled_through = state_.out.front().after_seq;
    for (const internal::SpoolOutBatch& b : state_.out) {
      BERTH_RETURN_IF_ERROR(env_.RemoveFile(internal::SpoolPath(dir_, b.file)));
    }
    state_.out.clear();
    return internal::WriteSpoolState(env_, dir_, state_);
  }

  // Pages from the courier's cursor until the hub has no more.
  Status Pull() {
    if (state_.snapshot_required) {
      summary_.snapshot_required = true;
      return Status::Ok();
    }
    for (int page = 0; page < options_.max_pages && !Cancelled(); ++page) {
      Report("pull");
      PullRequest req;
      req.cursor = state_.cursor;
      req.max_rows = options_.pull_page;
      BERTH_ASSIGN_OR_RETURN(Response resp, Exchange(MessageType::kSpoolPull, Encode(req)));
      if (resp.error != static_cast<uint8_t>(WireError::kOk)) {
        return BadInput("the hub refused the courier's pull: " + resp.message);
      }
      BERTH_ASSIGN_OR_RETURN(SpoolPullAnswer answer, DecodeSpoolPullAnswer(resp.body));
      if (answer.snapshot_required) {
        state_.snapshot_required = true;
        summary_.snapshot_required = true;
        return internal::WriteSpoolState(env_, dir_, state_);
      }
      if (answer.from_cursor != req.cursor)
        return IntegrityError("the hub answered a pull from another cursor");
      internal::SpoolInBox in;
      in.page = true;
      in.from_cursor = answer.from_cursor;
      in.next_cursor = answer.next_cursor;
      BERTH_RETURN_IF_ERROR(Keep(std::move(in), answer.page_box));
      state_.cursor = answer.next_cursor;
      BERTH_RETURN_IF_ERROR(internal::WriteSpoolState(env_, dir_, state_));
      summary_.pages++;
      if (!answer.more) break;
    }
    return Status::Ok();
  }

  // A box for the next unlock: written first, then named in the state (which the caller writes).
  Status Keep(internal::SpoolInBox in, const Bytes& box) {
    in.file = fmt::format("in-{:010}.box", state_.next_in);
    BERTH_RETURN_IF_ERROR(
        env_.WriteFile(internal::SpoolPath(dir_, in.file),
                       std::string_view(reinterpret_cast<const char*>(box.data()), box.size())));
    state_.next_in++;
    state_.in.push_back(std::move(in));
    return Status::Ok();
  }

  Result<uint64_t> NextCounter() {
    const uint64_t now_us = static_cast<uint64_t>(env_.NowMs()) * 1000;
    state_.counter = std::max(state_.counter + 1, now_us);
    return state_.counter;
  }

  // One courier request and its answer, retried with backoff when the hub cannot be reached.
  Result<Response> Exchange(MessageType type, const Bytes& body) {
    Request req;
    req.version = kProtocolVersion;
    req.type = static_cast<uint8_t>(type);
    req.body = body;
    const Bytes payload = Compress(Encode(req));
    std::mt19937 jitter(static_cast<uint32_t>(env_.NowMs()));
    Status last = NetworkError("no attempt");
    for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
      if (attempt > 0) {
        const int ms = (200 << (attempt - 1)) + static_cast<int>(jitter() % 100);
        if (!internal::WaitUnlessCancelled(env_, ms, cancel_))
          return NetworkError("the courier was cancelled");
      }
      BERTH_ASSIGN_OR_RETURN(uint64_t counter, NextCounter());
      BERTH_ASSIGN_OR_RETURN(SealedRequest sealed, SealRequest(keys_, hub_, state_.device_id, counter,
                                                               payload, /*direction=*/3, &env_));
      const HttpResult http =
          TransportOr(options_.transport)
              .Post(url_, "/v1/courier", sealed.envelope,
                    HttpTimeouts{options_.connect_timeout_s, options_.read_timeout_s}, cancel_);
      if (http.cancelled) return NetworkError("the courier was cancelled");
      summary_.requests++;
      summary_.bytes_sent += static_cast<int64_t>(sealed.envelope.size());
      summary_.bytes_received += static_cast<int64_t>(http.body.size());
      if (Status unanswered = internal::Unanswered(http, url_); !unanswered.ok()) {
        last = unanswered;
        continue;
      }
      if (http.status == 401) {
        const std::string why(http.body.begin(), http.body.end());
        return NotAuthorised("the hub refused this laptop's courier key (" + why +
                             "): unlock Berth and sync online to register a new one");
      }
      if (http.status != 200) return internal::HttpError(http);
      BERTH_ASSIGN_OR_RETURN(Response resp, internal::OpenAnswer(sealed, hub_, http.body));
      switch (static_cast<WireError>(resp.error)) {
        case WireError::kOk:
        case WireError::kOutOfOrder:
        case WireError::kBadMessage:
          return resp;
        case WireError::kRevoked:
          // Signed by the pinned hub key: only the hub can order this.
          revoked_ = true;
          return internal::WipeRevokedDevice(dir_, &env_);
        case WireError::kInternal:
          last = NetworkError("the hub failed: " + resp.message);
          continue;
        case WireError::kSnapshotRequired:
        case WireError::kVersionMismatch:
        case WireError::kNotPermitted:
          return BadInput("the hub refused the courier's request: " + resp.message);
      }
      return BadInput("the hub answered an unknown error code");
    }
    return last;
  }

  void Report(const char* phase) {
    if (progress_) progress_(SyncProgress{phase, summary_.entries, summary_.pages});
  }

  std::string dir_;
  CourierOptions options_;
  Env& env_;
  ProgressFn progress_;
  const std::atomic<bool>* cancel_;
  SpoolState state_;
  KeyPairs keys_;
  PublicKeys hub_;
  std::string url_;
  bool revoked_ = false;
  CourierSummary summary_;
};

}  // namespace

Result<CourierSummary> RunCourier(const std::string& store_dir, const CourierOptions& options,
                                  const ProgressFn& progress, const std::atomic<bool>* cancel) {
  Courier courier(store_dir, options, progress, cancel);
  return courier.Run();
}

}  // namespace berth::sync

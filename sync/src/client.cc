// The sync client (client.h, PROTOCOL.md): pushes the outbox and pulls the area's changes over the
// transport, with retries and pipelining, and records conflicts.
// Sections, in order: sync state; posting; SyncSession (sealed exchanges with pipelining, push and its
// answers, pull and snapshots); enrol and SyncOnce; DeviceSync (the courier's view); conflicts, status.

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
#include "berth/schema/settings.h"
#include "berth/sync/crypto.h"
#include "berth/sync/version.h"
#include "berth/sync/wire.h"
#include "bounded_archive.h"
#include "device_sync.h"
#include "rows.h"
#include "spool_files.h"
#include "transport.h"

namespace berth::sync {

namespace {

using internal::HttpError;

constexpr int64_t kMaxSkewMs = 5 * 60 * 1000;

constexpr std::string_view kStateTable = "sync_state";

Result<std::optional<Bytes>> GetState(Db& db, const std::string& key) {
  return internal::GetStateValue(db, kStateTable, key);
}

Result<std::string> GetText(Db& db, const std::string& key) {
  BERTH_ASSIGN_OR_RETURN(auto v, GetState(db, key));
  return v ? std::string(v->begin(), v->end()) : std::string();
}

Status PutState(Db& db, const std::string& key, std::span<const uint8_t> value) {
  return internal::PutStateValue(db, kStateTable, key, value);
}

Status PutText(Db& db, const std::string& key, const std::string& value) {
  return PutState(db, key, {reinterpret_cast<const uint8_t*>(value.data()), value.size()});
}

HttpResult Post(const std::string& url, const Bytes& body, const SyncOptions& o,
                const std::atomic<bool>* cancel) {
  return TransportOr(o.transport)
      .Post(url, "/v1/sync", body, HttpTimeouts{o.connect_timeout_s, o.read_timeout_s}, cancel);
}

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

  Status Load() {
    BERTH_ASSIGN_OR_RETURN(auto keys, GetState(db_, "device_keys"));
    if (!keys)
      return NotFound("this device is not enrolled with a hub: run `berth enroll --hub URL --code CODE`");
    BERTH_ASSIGN_OR_RETURN(keys_, KeyPairs::FromSecretBlob(*keys));
    BERTH_ASSIGN_OR_RETURN(auto sign, GetState(db_, "hub_sign_pk"));
    BERTH_ASSIGN_OR_RETURN(auto kx, GetState(db_, "hub_kx_pk"));
    if (!sign || !kx) return IntegrityError("the pinned hub key is missing");
    hub_ = PublicKeys{*sign, *kx};
    BERTH_ASSIGN_OR_RETURN(url_, GetText(db_, "hub_url"));
    if (!options_.hub_url.empty()) url_ = options_.hub_url;
    BERTH_ASSIGN_OR_RETURN(device_id_, GetText(db_, "device_id"));
    BERTH_RETURN_IF_ERROR(schema_.Load(db_));
    // A pull touches many pages; keep them decrypted in this connection's cache (64 MB).
    return db_.Exec("PRAGMA cache_size = -65536");
  }

  Result<SyncSummary> Run() {
    Report("ping");
    BERTH_ASSIGN_OR_RETURN(Response pong, Exchange(MessageType::kPing, {}));
    const int64_t skew = pong.hub_time_ms - env_.NowMs();
    if (skew > kMaxSkewMs || skew < -kMaxSkewMs) {
      return ConflictError("this device's clock is " + std::to_string(skew / 1000) +
                           " s off the hub's: fix the device clock, then sync again");
    }
    BERTH_RETURN_IF_ERROR(MaybeRegisterCourier());
    for (int round = 0; round < 2; ++round) {
      BERTH_ASSIGN_OR_RETURN(bool wrote_local, PushAll());
      if (Cancelled()) break;
      BERTH_RETURN_IF_ERROR(PullAll());
      if (Cancelled()) break;
      BERTH_ASSIGN_OR_RETURN(int64_t pending, PendingCount());
      if (!wrote_local && pending == 0) break;
    }
    summary_.cancelled = Cancelled();
    BERTH_ASSIGN_OR_RETURN(std::string cursor, GetText(db_, "cursor"));
    summary_.cursor = cursor.empty() ? 0 : std::stoull(cursor);
    Report("done");
    return summary_;
  }

 private:
  friend class internal::DeviceSync;

  bool Cancelled() const { return cancel_ != nullptr && cancel_->load(); }
  void Report(const char* phase) {
    if (progress_) progress_(SyncProgress{phase, summary_.pushed, summary_.pulled_rows});
  }

  Result<int64_t> PendingCount() { return db_.QueryInt("SELECT count(*) FROM outbox"); }

  Result<uint64_t> NextCounter() {
    BERTH_ASSIGN_OR_RETURN(std::string last_text, GetText(db_, "counter"));
    const uint64_t last = last_text.empty() ? 0 : std::stoull(last_text);
    const uint64_t now_us = static_cast<uint64_t>(env_.NowMs()) * 1000;
    const uint64_t next = std::max(last + 1, now_us);
    BERTH_RETURN_IF_ERROR(PutText(db_, "counter", std::to_string(next)));
    return next;
  }

  static Bytes RequestPayload(MessageType type, const Bytes& body) {
    Request req;
    req.version = kProtocolVersion;
    req.type = static_cast<uint8_t>(type);
    req.body = body;
    return Compress(Encode(req));
  }

  // A request sent ahead: sealed on this thread (the counter is the store's), its HTTP exchange on
  // another, so the hub's work overlaps the device's: the pull asks for page N+1 while it applies page N,
  // and the push sends batch N+1 while it records batch N's outcomes. Exchange() collects the answer; the
  // future's destructor waits if nobody does.
  struct Ahead {
    MessageType type = MessageType::kPull;
    Bytes body;
    Bytes payload;  // the compressed request, kept in case it must be sealed again
    uint64_t counter = 0;
    std::shared_ptr<const SealedRequest> sealed;
    std::shared_future<HttpResult> http;
  };

  // Compressed and sealed now, sent by Launch() or ChainAfter().
  Result<std::unique_ptr<Ahead>> SealAhead(MessageType type, const Bytes& body) {
    auto ahead = std::make_unique<Ahead>();
    ahead->type = type;
    ahead->body = body;
    ahead->payload = RequestPayload(type, body);
    BERTH_ASSIGN_OR_RETURN(ahead->counter, NextCounter());
    BERTH_ASSIGN_OR_RETURN(SealedRequest sealed,
                           SealRequest(keys_, hub_, device_id_, ahead->counter, ahead->payload, 1, &env_));
    ahead->sealed = std::make_shared<const SealedRequest>(std::move(sealed));
    return ahead;
  }

  // The hub refuses a counter at or below one it has seen: a request sealed before a retry of an earlier
  // one (which took a newer counter) is sealed again first.
  Status Launch(Ahead& ahead) {
    if (ahead.counter < highest_counter_sent_) {
      BERTH_ASSIGN_OR_RETURN(ahead.counter, NextCounter());
      BERTH_ASSIGN_OR_RETURN(SealedRequest sealed,
                             SealRequest(keys_, hub_, device_id_, ahead.counter, ahead.payload, 1, &env_));
      ahead.sealed = std::make_shared<const SealedRequest>(std::move(sealed));
    }
    highest_counter_sent_ = ahead.counter;
    ahead.http = std::async(std::launch::async, [url = url_, sealed = ahead.sealed, options = options_,
                                                 cancel = cancel_] {
                   return Post(url, sealed->envelope, options, cancel);
                 }).share();
    return Status::Ok();
  }

  Result<std::unique_ptr<Ahead>> SendAhead(MessageType type, const Bytes& body) {
    BERTH_ASSIGN_OR_RETURN(auto ahead, SealAhead(type, body));
    BERTH_RETURN_IF_ERROR(Launch(*ahead));
    return ahead;
  }

  // Whether `http` is the hub's authentic answer to `sealed` and says the request was carried out.
  static bool AnsweredOk(const SealedRequest& sealed, const PublicKeys& hub, const HttpResult& http) {
    if (http.status != 200) return false;
    auto resp = internal::OpenAnswer(sealed, hub, http.body);
    return resp.ok() && resp->error == static_cast<uint8_t>(WireError::kOk);
  }

  // `next` goes to the hub from the thread that receives `prev`'s answer, the moment that answer shows the
  // hub carried `prev` out, so the hub does not wait for this thread (which may be busy recording an
  // earlier answer). Otherwise `next` is held back (sent = false) and Exchange() sends it afresh: the hub
  // never sees `next` before it has done `prev`. `prev` was sealed, and is sent, before `next`.
  void ChainAfter(const Ahead& prev, Ahead& next) {
    highest_counter_sent_ = std::max(highest_counter_sent_, next.counter);
    next.http = std::async(std::launch::async, [prev_http = prev.http, prev_sealed = prev.sealed, hub = hub_,
                                                url = url_, sealed = next.sealed, options = options_,
                                                cancel = cancel_] {
                  const HttpResult& answer = prev_http.get();
                  if (!AnsweredOk(*prev_sealed, hub, answer) || (cancel != nullptr && cancel->load())) {
                    HttpResult held;
                    held.sent = false;
                    return held;
                  }
                  return Post(url, sealed->envelope, options, cancel);
                }).share();
  }

  // One sealed request and its answer, retried with backoff on network failure. `ahead`, when it is this
  // same request already sent by SendAhead, is the first attempt.
  Result<Response> Exchange(MessageType type, const Bytes& body, std::unique_ptr<Ahead> ahead = nullptr) {
    if (ahead != nullptr && (ahead->type != type || ahead->body != body)) ahead.reset();
    Bytes payload;  // built when an attempt needs it: a request sealed ahead was compressed already
    std::mt19937 jitter(static_cast<uint32_t>(env_.NowMs()));
    Status last = NetworkError("no attempt");
    for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
      if (attempt > 0) {
        summary_.retries++;
        const int ms = (200 << (attempt - 1)) + static_cast<int>(jitter() % 100);
        if (!internal::WaitUnlessCancelled(env_, ms, cancel_)) return NetworkError("the sync was cancelled");
      }
      std::shared_ptr<const SealedRequest> sealed;
      HttpResult http;
      if (attempt == 0 && ahead != nullptr) {
        if (!ahead->http.valid()) BERTH_RETURN_IF_ERROR(Launch(*ahead));
        payload = ahead->payload;
        http = ahead->http.get();
        if (http.sent) sealed = ahead->sealed;
      }
      if (sealed == nullptr) {
        if (payload.empty()) payload = RequestPayload(type, body);
        BERTH_ASSIGN_OR_RETURN(uint64_t counter, NextCounter());
        BERTH_ASSIGN_OR_RETURN(SealedRequest fresh,
                               SealRequest(keys_, hub_, device_id_, counter, payload, 1, &env_));
        sealed = std::make_shared<const SealedRequest>(std::move(fresh));
        highest_counter_sent_ = counter;
        http = Post(url_, sealed->envelope, options_, cancel_);
      }
      if (http.cancelled) return NetworkError("the sync was cancelled");
      summary_.requests++;
      summary_.bytes_sent += static_cast<int64_t>(sealed->envelope.size());
      summary_.bytes_received += static_cast<int64_t>(http.body.size());
      if (Status unanswered = internal::Unanswered(http, url_); !unanswered.ok()) {
        last = unanswered;
        continue;
      }
      if (http.status != 200) return HttpError(http);
      BERTH_ASSIGN_OR_RETURN(Response resp, internal::OpenAnswer(*sealed, hub_, http.body));
      summary_.hub_time_ms = resp.hub_time_ms;
      switch (static_cast<WireError>(resp.error)) {
        case WireError::kOk:
        case WireError::kSnapshotRequired:
          return resp;
        case WireError::kVersionMismatch:
        case WireError::kBadMessage:
        case WireError::kOutOfOrder:
          return BadInput("the hub refused the request: " + resp.message);
        case WireError::kRevoked:
          return Wipe();
        case WireError::kNotPermitted:
          // A push refused as a whole for the device's role: PushAll records every entry as a conflict.
          if (type == MessageType::kPush) return resp;
          return NotAuthorised("the hub refused: " + resp.message);
        case WireError::kInternal:
          last = NetworkError("the hub failed: " + resp.message);
          continue;
      }
      return BadInput("the hub answered an unknown error code");
    }
    return last;
  }

  // A fresh courier key (PROTOCOL.md section 11) when asked to rotate it (each unlock) or when the spool
  // has none. The spool lock is held from before the hub learns the key until it is on disk, so a courier
  // never runs with a key the hub has replaced; when a courier is running, the rotation waits for next time.
  Status MaybeRegisterCourier() {
    const std::string dir = store_.dir();
    Env& env = env_;
    if (!options_.rotate_courier && env.FileExists(internal::CourierKeyPath(dir))) return Status::Ok();
    BERTH_RETURN_IF_ERROR(internal::EnsureSpoolDir(dir));
    auto lock = internal::SpoolLock::Try(internal::SpoolLockPath(dir));
    if (!lock.ok()) return lock.status().code() == Code::kConflict ? Status::Ok() : lock.status();
    Report("courier key");
    const KeyPairs courier = KeyPairs::Generate();
    BERTH_ASSIGN_OR_RETURN(
        Response resp,
        Exchange(MessageType::kCourierKey, Encode(CourierKeyRequest{courier.sign_pk, courier.kx_pk})));
    BERTH_RETURN_IF_ERROR(DecodeCourierKeyResponse(resp.body).status());
    BERTH_RETURN_IF_ERROR(internal::WriteCourierKey(env, dir, courier));
    auto state = internal::ReadSpoolState(env, dir);
    if (!state.ok() && state.status().code() != Code::kNotFound) return state.status();
    internal::SpoolState next = state.ok() ? std::move(state).value() : internal::SpoolState{};
    if (!state.ok()) {
      BERTH_ASSIGN_OR_RETURN(std::string cursor, GetText(db_, "cursor"));
      next.cursor = cursor.empty() ? 0 : std::stoull(cursor);
    }
    next.device_id = device_id_;
    next.hub_url = url_;
    next.hub_sign_pk = hub_.sign_pk;
    next.hub_kx_pk = hub_.kx_pk;
    BERTH_RETURN_IF_ERROR(internal::WriteSpoolState(env, dir, next));
    summary_.courier_registered = true;
    return Status::Ok();
  }

  Status Wipe() {
    const std::string dir = store_.dir();
    store_.Lock();
    return internal::WipeRevokedDevice(dir);
  }

  // --- push ----------------------------------------------------------------------------------------------
  // Up to push_batch outbox entries (and push_batch_bytes) after `after_seq`, in seq order, with the
  // device's pull cursor.
  Result<PushRequest> NextPushBatch(uint64_t after_seq) {
    PushRequest req;
    BERTH_ASSIGN_OR_RETURN(std::string cursor, GetText(db_, "cursor"));
    req.cursor = cursor.empty() ? 0 : std::stoull(cursor);
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db_.Cached("SELECT seq, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?"));
    s.Bind(1, static_cast<int64_t>(after_seq))
        .Bind(2, static_cast<int64_t>(std::min<uint64_t>(options_.push_batch, kMaxPushEntries)));
    size_t bytes = 0;
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
      if (!r) break;
      OutboxEntry e;
      e.seq = static_cast<uint64_t>(s.Int(0));
      const Bytes payload = s.Blob(1);
      if (!req.entries.empty() && bytes + payload.size() > options_.push_batch_bytes) break;
      bytes += payload.size();
      try {
        internal::BoundedInputArchive ar(payload.data(), payload.size());
        ar(e.mutation);
      } catch (const std::exception&) {
        return IntegrityError("outbox entry " + std::to_string(e.seq) + " cannot be decoded");
      }
      req.entries.push_back(std::move(e));
    }
    return req;
  }

  // Pipelined: batch N+1 is read, encoded and sealed while the hub applies batch N, and sent from the
  // thread that receives N's answer as soon as that answer shows N was applied (ChainAfter), so the hub
  // applies N+1 while this device records N's outcomes. The hub never sees N+1 before it has done N, so
  // batches are applied in seq order; entries that N's outcomes add to the outbox (withdrawals after a
  // lost claim) come after every entry already read and go in a later batch.
  Result<bool> PushAll() {
    bool wrote_local = false;
    BERTH_ASSIGN_OR_RETURN(PushRequest req, NextPushBatch(0));
    Bytes body = Encode(req);
    std::unique_ptr<Ahead> ahead;
    for (int batch = 0; batch < options_.max_push_batches && !req.entries.empty() && !Cancelled(); ++batch) {
      Report("push");
      if (ahead == nullptr) {
        BERTH_ASSIGN_OR_RETURN(ahead, SendAhead(MessageType::kPush, body));
      }
      PushRequest next;
      Bytes next_body;
      std::unique_ptr<Ahead> next_ahead;
      if (batch + 1 < options_.max_push_batches) {
        BERTH_ASSIGN_OR_RETURN(next, NextPushBatch(req.entries.back().seq));
        if (!next.entries.empty()) {
          next_body = Encode(next);
          BERTH_ASSIGN_OR_RETURN(next_ahead, SealAhead(MessageType::kPush, next_body));
        }
      }
      if (next_ahead != nullptr) ChainAfter(*ahead, *next_ahead);
      BERTH_ASSIGN_OR_RETURN(Response resp, Exchange(MessageType::kPush, body, std::move(ahead)));
      ahead = std::move(next_ahead);
      PushResponse out;
      if (resp.error == static_cast<uint8_t>(WireError::kNotPermitted)) {
        // The hub refused the batch unread (this device's role may push nothing): each entry becomes a
        // conflict the user can see, and leaves the outbox so it blocks nothing.
        out.acked_through = req.entries.back().seq;
        for (const OutboxEntry& e : req.entries) {
          MutationResult r;
          r.seq = e.seq;
          r.outcome = static_cast<uint8_t>(Outcome::kRejected);
          r.reason_code = "not_permitted";
          r.reason = resp.message;
          out.results.push_back(std::move(r));
        }
      } else {
        BERTH_ASSIGN_OR_RETURN(out, DecodePushResponse(resp.body));
      }
      if (out.results.size() != req.entries.size())
        return IntegrityError("the hub answered a different batch");
      BERTH_ASSIGN_OR_RETURN(bool wrote, ApplyPushResponse(req, out));
      wrote_local = wrote_local || wrote;
      req = std::move(next);
      body = std::move(next_body);
    }
    return wrote_local;
  }

  static std::string FieldText(const Mutation& m, const char* name) {
    auto it = m.fields.find(name);
    return it == m.fields.end() ? std::string() : internal::ValueText(it->second);
  }

  // In one transaction: drop acknowledged entries, record conflicts, roll rejected rows back to the hub's
  // state and put a lost referral back in the queue. Returns whether new local mutations were written.
  Result<bool> ApplyPushResponse(const PushRequest& req, const PushResponse& out) {
    bool wrote = false;
    Status st = db_.Transaction([&]() -> Status {
      std::set<std::string> requeue;
      std::map<std::string, int64_t> conflict_of;  // rejected claim's mutation id -> its conflict row
      for (size_t i = 0; i < out.results.size(); ++i) {
        const MutationResult& r = out.results[i];
        const Mutation& m = req.entries[i].mutation;
        if (r.seq != req.entries[i].seq) return IntegrityError("the hub answered out of order");
        summary_.pushed++;
        if (r.outcome == static_cast<uint8_t>(Outcome::kApplied)) summary_.applied++;
        if (r.outcome == static_cast<uint8_t>(Outcome::kDuplicate)) summary_.duplicates++;
        if (r.outcome != static_cast<uint8_t>(Outcome::kRejected)) continue;
        summary_.rejected++;
        for (const RowState& row : r.authoritative) {
          BERTH_RETURN_IF_ERROR(internal::ForceRowState(store_, schema_, row));
        }
        std::string referral = FieldText(m, "referral_id");
        if (referral.empty()) referral = FieldText(m, "held_for_referral_id");
        if (referral.empty() && m.entity == "referral") referral = m.row_id;
        std::string bed = m.entity == "bed" ? m.row_id : FieldText(m, "bed_id");
        std::string cap = m.entity == "homecare_capacity" ? m.row_id : FieldText(m, "homecare_capacity_id");
        if (!referral.empty() && (m.kind == MutationKind::kClaim || r.reason_code == "claim_lost")) {
          requeue.insert(referral);
        }
        nlohmann::json auth = nlohmann::json::array();
        for (const RowState& row : r.authoritative) {
          nlohmann::json j;
          j["entity"] = row.entity;
          j["row_id"] = row.row_id;
          j["absent"] = row.absent != 0;
          for (const auto& f : row.fields) j["fields"][f.name] = internal::ValueText(f.value);
          auth.push_back(j);
        }
        // A rejection that follows from an earlier lost claim joins that claim's conflict.
        const std::string prefix = "depends on rejected claim ";
        if (r.reason_code == "claim_lost" && r.reason.rfind(prefix, 0) == 0) {
          const std::string source = r.reason.substr(prefix.size());
          BERTH_ASSIGN_OR_RETURN(Statement find, db_.Cached("SELECT id, authoritative FROM sync_conflict"
                                                            " WHERE mutation_id = ?"));
          find.Bind(1, source);
          BERTH_ASSIGN_OR_RETURN(bool found, find.Step());
          if (found) {
            const int64_t id = find.Int(0);
            nlohmann::json j = nlohmann::json::parse(find.Text(1), nullptr, false);
            find.Reset();
            if (!j.is_object()) j = nlohmann::json::object();
            j["dependents"].push_back(
                {{"mutation_id", m.mutation_id}, {"entity", m.entity}, {"row_id", m.row_id}});
            BERTH_ASSIGN_OR_RETURN(Statement upd,
                                   db_.Cached("UPDATE sync_conflict SET authoritative = ? WHERE id = ?"));
            upd.Bind(1, j.dump()).Bind(2, id);
            BERTH_RETURN_IF_ERROR(upd.Run());
            continue;
          }
        }
        nlohmann::json record;
        record["rows"] = auth;
        record["dependents"] = nlohmann::json::array();
        BERTH_ASSIGN_OR_RETURN(
            Statement ins,
            db_.Cached("INSERT INTO sync_conflict (created_ms, mutation_id, claim, entity, row_id,"
                       " reason_code, reason, referral_id, bed_id, capacity_id, authoritative)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                       " ON CONFLICT (mutation_id) DO NOTHING"));
        ins.Bind(1, env_.NowMs()).Bind(2, m.mutation_id).Bind(3, m.claim).Bind(4, m.entity).Bind(5, m.row_id);
        ins.Bind(6, r.reason_code).Bind(7, r.reason).Bind(8, referral).Bind(9, bed).Bind(10, cap);
        ins.Bind(11, record.dump());
        BERTH_RETURN_IF_ERROR(ins.Run());
        if (db_.Changes() > 0) {
          summary_.conflicts++;
          BERTH_RETURN_IF_ERROR(store_.AppendAudit("sync_conflict", m.entity, m.row_id, r.reason_code));
        }
      }
      BERTH_ASSIGN_OR_RETURN(Statement del, db_.Cached("DELETE FROM outbox WHERE seq <= ?"));
      del.Bind(1, static_cast<int64_t>(out.acked_through));
      BERTH_RETURN_IF_ERROR(del.Run());
      // The hub has every entry up to here: where the next spooled batch may start (PROTOCOL.md section 11).
      BERTH_ASSIGN_OR_RETURN(std::string acked, GetText(db_, "acked_through"));
      if (acked.empty() || std::stoull(acked) < out.acked_through) {
        BERTH_RETURN_IF_ERROR(PutText(db_, "acked_through", std::to_string(out.acked_through)));
      }
      // A referral whose claim lost goes back in the queue (a new mutation, so every device learns it).
      for (const auto& referral : requeue) {
        BERTH_ASSIGN_OR_RETURN(auto row, internal::ReadRowValues(db_, schema_, "referral", referral));
        if (row.empty()) continue;
        // A referral back in the queue holds no capacity: placements of it that did get through (e.g. one
        // homecare band of several) made by this device are withdrawn too.
        std::vector<std::string> partial;
        {
          // Placements that take any day (berth/schema/occupancy.h), made by this device.
          BERTH_ASSIGN_OR_RETURN(Statement s,
                                 db_.Cached("SELECT id FROM placement WHERE referral_id = ?1 AND origin = ?2"
                                            " AND (status = 'planned' OR status = 'active') AND " +
                                            PlacementTakesSql("''", "''")));
          s.Bind(1, referral).Bind(2, device_id_);
          while (true) {
            BERTH_ASSIGN_OR_RETURN(bool more, s.Step());
            if (!more) break;
            partial.push_back(s.Text(0));
          }
        }
        for (const auto& id : partial) {
          Mutation withdraw;
          withdraw.kind = MutationKind::kDelete;
          withdraw.entity = "placement";
          withdraw.row_id = id;
          BERTH_RETURN_IF_ERROR(store_.Write(withdraw));
          wrote = true;
        }
        const std::string status = internal::ValueText(row["status"]);
        if (status == "accepted" || status == "placed") {
          Mutation back;
          back.kind = MutationKind::kUpsert;
          back.entity = "referral";
          back.row_id = referral;
          back.fields["status"] = std::string("sourcing");
          BERTH_RETURN_IF_ERROR(store_.Write(back));
          wrote = true;
        }
      }
      return Status::Ok();
    });
    if (!st.ok()) return st;
    return wrote;
  }

  // --- pull ----------------------------------------------------------------------------------------------
  Status PullAll() {
    BERTH_ASSIGN_OR_RETURN(std::string cursor_text, GetText(db_, "cursor"));
    uint64_t cursor = cursor_text.empty() ? 0 : std::stoull(cursor_text);
    bool snapshot = false;
    BERTH_ASSIGN_OR_RETURN(std::string snap_text, GetText(db_, "snapshot_in_progress"));
    snapshot = snap_text == "1";
    summary_.snapshot = summary_.snapshot || snapshot;  // resuming an interrupted snapshot
    auto request = [&](uint64_t from) {
      PullRequest req;
      req.cursor = from;
      req.max_rows = options_.pull_page;
      req.snapshot = snapshot ? 1 : 0;
      return Encode(req);
    };
    std::unique_ptr<Ahead> ahead;  // the next page, asked for while this one is applied
    while (!Cancelled()) {
      Report("pull");
      BERTH_ASSIGN_OR_RETURN(Response resp, Exchange(MessageType::kPull, request(cursor), std::move(ahead)));
      BERTH_ASSIGN_OR_RETURN(PullResponse page, DecodePullResponse(resp.body));
      if (page.snapshot_required) {
        // Behind the tombstone horizon: start a snapshot from 0 (remembered, so a cut resumes it).
        const Status begun = db_.Transaction([&]() -> Status {
          BERTH_RETURN_IF_ERROR(db_.Exec("DELETE FROM sync_state WHERE key LIKE 'snapshot_seen:%'"));
          BERTH_RETURN_IF_ERROR(PutText(db_, "snapshot_in_progress", "1"));
          return PutText(db_, "cursor", "0");
        });
        if (!begun.ok()) return begun;
        snapshot = true;
        cursor = 0;
        summary_.snapshot = true;
        continue;
      }
      summary_.pull_pages++;
      if (page.more && !Cancelled()) {
        BERTH_ASSIGN_OR_RETURN(ahead, SendAhead(MessageType::kPull, request(page.next_cursor)));
      }
      const Status applied = ApplyPage(page, snapshot);
      if (!applied.ok()) return applied;
      summary_.pulled_rows += static_cast<int64_t>(page.rows.size());
      cursor = page.next_cursor;
      if (!page.more) break;
      if (snapshot && !page.more) snapshot = false;
    }
    return Status::Ok();
  }

  // The settings schema applies to what the hub sends too: a synced setting, in range (or deleted).
  static bool SettingFromHubAccepted(const RowState& row) {
    const SettingSpec* spec = FindSetting(row.row_id);
    if (spec == nullptr || !spec->syncs) return false;
    if (row.deleted) return true;
    for (const auto& f : row.fields) {
      if (f.name != "value") continue;
      const auto* text = std::get_if<std::string>(&f.value);
      return text != nullptr && ValidateSetting(spec->key, *text).ok();
    }
    return false;
  }

  // A page's rows (LWW per field) and its cursor, as one batch of the store (one transaction, the clock
  // saved once; schema/FORMAT.md, "Batches"): a live page, or one from the spool. A setting the schema
  // refuses is kept out (its default, or this device's value, stays in force).
  Status ApplyPage(const PullResponse& page, bool snapshot) {
    return store_.Batch([&]() -> Status {
      std::string newest;  // the device clock moves past every stamp pulled, once per page
      for (const RowState& row : page.rows) {
        if (schema_.Columns(row.entity) == nullptr) continue;
        if (row.entity == "setting" && !SettingFromHubAccepted(row)) {
          summary_.refused_rows++;
          continue;
        }
        newest = std::max(newest, row.row_hlc);
        for (const auto& f : row.fields) newest = std::max(newest, f.hlc);
        BERTH_RETURN_IF_ERROR(internal::MergeRowState(store_, schema_, row));
        if (snapshot) {
          const std::string key = "snapshot_seen:" + row.entity + ":" + row.row_id;
          BERTH_RETURN_IF_ERROR(PutText(db_, key, ""));
        }
      }
      if (snapshot && !page.more) BERTH_RETURN_IF_ERROR(FinishSnapshot());
      if (!newest.empty()) BERTH_RETURN_IF_ERROR(store_.ObserveClock(newest));
      return PutText(db_, "cursor", std::to_string(page.next_cursor));
    });
  }

  // After a full snapshot: rows the hub no longer has (purged tombstones) go, unless this device still
  // has unsynced changes to them.
  Status FinishSnapshot() {
    for (const auto& entity : schema_.Entities()) {
      std::vector<std::string> gone;
      BERTH_ASSIGN_OR_RETURN(
          Statement s,
          db_.Cached("SELECT id FROM \"" + entity +
                     "\" t WHERE NOT EXISTS (SELECT 1 FROM sync_state WHERE key = 'snapshot_seen:" + entity +
                     ":' || t.id) AND NOT EXISTS (SELECT 1 FROM outbox o WHERE"
                     " o.entity = ? AND o.row_id = t.id)"));
      s.Bind(1, entity);
      while (true) {
        BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
        if (!r) break;
        gone.push_back(s.Text(0));
      }
      for (const auto& id : gone) {
        RowState absent;
        absent.entity = entity;
        absent.row_id = id;
        absent.absent = 1;
        BERTH_RETURN_IF_ERROR(internal::ForceRowState(store_, schema_, absent));
      }
    }
    BERTH_RETURN_IF_ERROR(db_.Exec("DELETE FROM sync_state WHERE key LIKE 'snapshot_seen:%'"));
    return PutText(db_, "snapshot_in_progress", "0");
  }

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

}  // namespace

Result<EnrollResult> Enroll(Store& store, const std::string& hub_url, const std::string& typed_code,
                            Transport* transport) {
  if (store.locked()) return NotAuthorised("the store is locked");
  Db& db = store.db();
  BERTH_ASSIGN_OR_RETURN(auto existing, GetState(db, "device_keys"));
  if (existing) return ConflictError("this device is already enrolled with a hub");
  if (hub_url.rfind("http://", 0) != 0 && hub_url.rfind("https://", 0) != 0) {
    return BadInput("the hub URL must start with http:// or https://");
  }
  BERTH_ASSIGN_OR_RETURN(std::string code, NormaliseCode(typed_code));
  KeyPairs keys = KeyPairs::Generate();
  EnrollRequest req;
  req.version = kProtocolVersion;
  req.device_id = store.device_id();
  req.sign_pk = keys.sign_pk;
  req.kx_pk = keys.kx_pk;
  req.now_ms = store.env().NowMs();
  const CodeKeys code_keys = CodeKeysFromCode(code);
  const Secret code_key = EnrollKeyFromVerifier(code_keys.verifier);
  const Bytes code_id = CodeId(code);
  const Bytes envelope = SealEnroll(code_key, code_id, Encode(req), false, &code_keys.signing_key);
  HttpResult http = TransportOr(transport).Post(hub_url, "/v1/enroll", envelope, HttpTimeouts{});
  if (http.status == 0) return NetworkError("the hub at " + hub_url + " is unreachable");
  if (http.status == 401)
    return NotAuthorised("the hub refused the enrollment code (wrong, used or expired)");
  if (http.status != 200) return HttpError(http);
  auto plain = OpenEnroll(code_key, http.body, true, nullptr);
  if (!plain.ok()) return IntegrityError("the hub's enrollment answer failed authentication");
  BERTH_ASSIGN_OR_RETURN(EnrollResponse resp, DecodeEnrollResponse(*plain));
  BERTH_RETURN_IF_ERROR(CheckProtocolVersion(resp.version));
  if (resp.device_id != store.device_id()) return IntegrityError("the hub enrolled a different device id");
  Secret blob = keys.SecretBlob();
  const Status saved = db.Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(PutState(db, "device_keys", blob.bytes()));
    BERTH_RETURN_IF_ERROR(PutState(db, "hub_sign_pk", resp.hub_sign_pk));
    BERTH_RETURN_IF_ERROR(PutState(db, "hub_kx_pk", resp.hub_kx_pk));
    BERTH_RETURN_IF_ERROR(PutText(db, "hub_url", hub_url));
    BERTH_RETURN_IF_ERROR(PutText(db, "device_id", store.device_id()));
    BERTH_RETURN_IF_ERROR(PutText(db, "role", resp.role));
    BERTH_RETURN_IF_ERROR(PutText(db, "scope", resp.scope));
    BERTH_RETURN_IF_ERROR(PutText(db, "cursor", "0"));
    return store.AppendAudit("enroll", "device", store.device_id(), "enrolled with hub as " + resp.role);
  });
  if (!saved.ok()) return saved;
  EnrollResult out;
  out.device_id = resp.device_id;
  out.name = resp.name;
  out.role = resp.role;
  out.scope = resp.scope;
  out.hub_fingerprint = Fingerprint(resp.hub_sign_pk, resp.hub_kx_pk);
  return out;
}

Result<SyncSummary> SyncOnce(Store& store, const SyncOptions& options, const ProgressFn& progress,
                             const std::atomic<bool>* cancel) {
  if (store.locked()) return NotAuthorised("the store is locked");
  SyncSession session(store, options, progress, cancel);
  BERTH_RETURN_IF_ERROR(session.Load());
  auto result = session.Run();
  // Cancelled mid-request: a clean stop, not a failure (what was applied stays; the rest resumes).
  if (!result.ok() && cancel != nullptr && cancel->load() && !store.locked()) {
    SyncSummary stopped = session.summary();
    stopped.cancelled = true;
    return stopped;
  }
  return result;
}

namespace internal {

struct DeviceSync::Impl {
  explicit Impl(Store& store) : session(store, SyncOptions{}, {}, nullptr) {}
  SyncSession session;
};

DeviceSync::DeviceSync(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DeviceSync::~DeviceSync() = default;

Result<std::unique_ptr<DeviceSync>> DeviceSync::Open(Store& store) {
  if (store.locked()) return NotAuthorised("the store is locked");
  auto impl = std::make_unique<Impl>(store);
  BERTH_RETURN_IF_ERROR(impl->session.Load());
  return std::unique_ptr<DeviceSync>(new DeviceSync(std::move(impl)));
}

const KeyPairs& DeviceSync::keys() const {
  return impl_->session.keys_;
}
const PublicKeys& DeviceSync::hub() const {
  return impl_->session.hub_;
}
const std::string& DeviceSync::device_id() const {
  return impl_->session.device_id_;
}
const std::string& DeviceSync::hub_url() const {
  return impl_->session.url_;
}
const SyncSummary& DeviceSync::summary() const {
  return impl_->session.summary_;
}

Result<uint64_t> DeviceSync::Cursor() {
  BERTH_ASSIGN_OR_RETURN(std::string text, GetText(impl_->session.db_, "cursor"));
  return text.empty() ? uint64_t{0} : std::stoull(text);
}

Result<uint64_t> DeviceSync::AckedThrough() {
  BERTH_ASSIGN_OR_RETURN(std::string text, GetText(impl_->session.db_, "acked_through"));
  return text.empty() ? uint64_t{0} : std::stoull(text);
}

Result<bool> DeviceSync::SnapshotInProgress() {
  // Not BERTH_ASSIGN_OR_RETURN: GCC 12 -O2 then warns (wrongly) that the string may be uninitialised.
  Result<std::string> text = GetText(impl_->session.db_, "snapshot_in_progress");
  if (!text.ok()) return text.status();
  return text->size() == 1 && text->front() == '1';
}

Result<PushRequest> DeviceSync::NextPushBatch(uint64_t after_seq) {
  return impl_->session.NextPushBatch(after_seq);
}

Status DeviceSync::ApplySpoolAnswer(const PushResponse& response) {
  SyncSession& s = impl_->session;
  PushRequest req;
  PushResponse still;
  still.acked_through = response.acked_through;
  for (const MutationResult& r : response.results) {
    Bytes payload;
    {
      BERTH_ASSIGN_OR_RETURN(Statement q, s.db_.Cached("SELECT payload FROM outbox WHERE seq = ?"));
      q.Bind(1, static_cast<int64_t>(r.seq));
      BERTH_ASSIGN_OR_RETURN(bool found, q.Step());
      if (!found) continue;
      payload = q.Blob(0);
    }
    OutboxEntry e;
    e.seq = r.seq;
    try {
      BoundedInputArchive ar(payload.data(), payload.size());
      ar(e.mutation);
    } catch (const std::exception&) {
      return IntegrityError("outbox entry " + std::to_string(e.seq) + " cannot be decoded");
    }
    req.entries.push_back(std::move(e));
    still.results.push_back(r);
  }
  return s.ApplyPushResponse(req, still).status();
}

Status DeviceSync::ApplyPage(const PullResponse& page) {
  Status st = impl_->session.ApplyPage(page, false);
  if (st.ok()) impl_->session.summary_.pulled_rows += static_cast<int64_t>(page.rows.size());
  return st;
}

}  // namespace internal

Result<std::vector<ConflictRecord>> ListConflicts(Store& store) {
  BERTH_ASSIGN_OR_RETURN(
      Statement s,
      store.db().Prepare("SELECT id, created_ms, mutation_id, claim, entity, row_id, reason_code,"
                         " reason, referral_id, bed_id, capacity_id, authoritative, resolved"
                         " FROM sync_conflict ORDER BY id"));
  std::vector<ConflictRecord> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
    if (!r) break;
    ConflictRecord c;
    c.id = s.Int(0);
    c.created_ms = s.Int(1);
    c.mutation_id = s.Text(2);
    c.claim = s.Text(3);
    c.entity = s.Text(4);
    c.row_id = s.Text(5);
    c.reason_code = s.Text(6);
    c.reason = s.Text(7);
    c.referral_id = s.Text(8);
    c.bed_id = s.Text(9);
    c.capacity_id = s.Text(10);
    c.authoritative_json = s.Text(11);
    c.resolved = s.Int(12) != 0;
    out.push_back(std::move(c));
  }
  return out;
}

Result<SyncStatus> GetSyncStatus(Store& store) {
  Db& db = store.db();
  SyncStatus st;
  BERTH_ASSIGN_OR_RETURN(auto keys, GetState(db, "device_keys"));
  st.enrolled = keys.has_value();
  BERTH_ASSIGN_OR_RETURN(st.hub_url, GetText(db, "hub_url"));
  BERTH_ASSIGN_OR_RETURN(st.role, GetText(db, "role"));
  BERTH_ASSIGN_OR_RETURN(st.scope, GetText(db, "scope"));
  BERTH_ASSIGN_OR_RETURN(std::string c, GetText(db, "cursor"));
  st.cursor = c.empty() ? 0 : std::stoull(c);
  BERTH_ASSIGN_OR_RETURN(st.pending, db.QueryInt("SELECT count(*) FROM outbox"));
  return st;
}

}  // namespace berth::sync

// The sync client (client.h, PROTOCOL.md): enrolment, SyncOnce and the state a sync keeps; the session itself
// is split by job (sync_session.h: client_transport.cc, client_push.cc, client_pull.cc).
// Sections, in order: sync state; SyncSession's loading, run order and courier key; enrol and SyncOnce;
// DeviceSync (the courier's view); conflicts, status.

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
#include "device_sync.h"
#include "rows.h"
#include "spool_files.h"
#include "transport.h"

#include "sync_session.h"

namespace berth::sync {

namespace internal {

namespace {
constexpr std::string_view kStateTable = "sync_state";
}  // namespace

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

Status SyncSession::Load() {
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

Result<SyncSummary> SyncSession::Run() {
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

Status SyncSession::MaybeRegisterCourier() {
  const std::string dir = store_.dir();
  Env& env = env_;
  if (!options_.rotate_courier && env.FileExists(internal::CourierKeyPath(dir))) return Status::Ok();
  BERTH_RETURN_IF_ERROR(internal::EnsureSpoolDir(dir));
  auto lock = internal::SpoolLock::Try(internal::SpoolLockPath(dir));
  if (!lock.ok()) return lock.status().code() == Code::kConflict ? Status::Ok() : lock.status();
  Report("courier key");
  const KeyPairs courier = KeyPairs::Generate();
  BERTH_ASSIGN_OR_RETURN(Response resp, Exchange(MessageType::kCourierKey,
                                                 Encode(CourierKeyRequest{courier.sign_pk, courier.kx_pk})));
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

Status SyncSession::Wipe() {
  const std::string dir = store_.dir();
  store_.Lock();
  return internal::WipeRevokedDevice(dir);
}

}  // namespace internal

namespace {

using internal::GetState;
using internal::GetText;
using internal::HttpError;
using internal::PutState;
using internal::PutText;
using internal::SyncSession;

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
    OutboxEntry e;
    e.seq = r.seq;
    {
      BERTH_ASSIGN_OR_RETURN(Statement q, s.db_.Cached(std::string("SELECT ") + kOutboxEntryColumns +
                                                       " FROM outbox WHERE seq = ?"));
      q.Bind(1, static_cast<int64_t>(r.seq));
      BERTH_ASSIGN_OR_RETURN(bool found, q.Step());
      if (!found) continue;
      BERTH_ASSIGN_OR_RETURN(e.mutation, ReadOutboxEntry(q, 0));
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

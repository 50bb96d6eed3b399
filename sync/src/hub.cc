// The hub (hub.h): opens each sealed request, checks the device and its replay counter, and answers push,
// pull and courier requests from its HubStorage.

#include "berth/sync/hub.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include "berth/schema/ids.h"
#include "berth/sync/version.h"
#include "http_server.h"
#include "hub_internal.h"
#include "portal.h"
#include "portal_server.h"

namespace berth::sync {

using internal::kReplayWindowMs;
using internal::Log;
using internal::Plain;
using internal::Short;

Hub::Hub(std::unique_ptr<HubStorage> storage, HubOptions options)
    : storage_(std::move(storage)),
      options_(options),
      env_(options.env != nullptr ? *options.env : *Env::Default()) {}
Hub::~Hub() = default;

Status Hub::Start() {
  BERTH_ASSIGN_OR_RETURN(keys_, storage_->HubKeys());
  return Status::Ok();
}

HttpAnswer Hub::HandleEnroll(const Bytes& body) {
  if (body.size() > kMaxBodyBytes) return Plain(413, "too large");
  auto code_id = EnrollEnvelopeCodeId(body);
  if (!code_id.ok()) return Plain(400, "bad envelope");
  const int64_t now = env_.NowMs();
  auto verifier = storage_->CodeVerifier(*code_id, now);
  if (!verifier.ok()) {
    Log("enroll refused: bad_code");
    return Plain(401, "bad_code");
  }
  const Secret key = EnrollKeyFromVerifier(*verifier);
  auto plain = OpenEnroll(key, body, false, &*verifier);
  if (!plain.ok()) {
    Log("enroll refused: bad signature or tag");
    return Plain(401, "bad_code");
  }
  auto req = DecodeEnrollRequest(*plain);
  if (!req.ok() || !CheckProtocolVersion(req->version).ok()) return Plain(400, "bad enroll request");
  auto rec = storage_->EnrollDevice(*code_id, req->device_id, req->sign_pk, req->kx_pk, now);
  if (!rec.ok()) {
    Log("enroll refused: " + rec.status().message());
    return Plain(rec.status().code() == Code::kNotAuthorised ? 401 : 400, rec.status().message());
  }
  EnrollResponse resp;
  resp.version = kProtocolVersion;
  resp.device_id = rec->device_id;
  resp.name = rec->name;
  resp.role = rec->role;
  for (const auto& a : rec->scope) resp.scope += (resp.scope.empty() ? "" : ",") + a;
  resp.hub_sign_pk = keys_.sign_pk;
  resp.hub_kx_pk = keys_.kx_pk;
  resp.hub_time_ms = now;
  Log("enrolled device " + Short(rec->device_id) + " role " + rec->role);
  return HttpAnswer{200, SealEnroll(key, *code_id, Encode(resp), true, nullptr)};
}

Bytes Hub::Answer(const Envelope& request, const SessionKeys& keys, const Response& response) {
  return SealResponse(keys_, request.header, keys, Compress(Encode(response)), &env_);
}

std::optional<HttpAnswer> Hub::TakeCounter(const Opened& o) {
  const uint64_t counter = o.envelope.header.counter;
  const Status st = o.courier
                        ? storage_->AdvanceCourierCounter(o.device.device_id, o.courier->sign_pk, counter)
                        : storage_->AdvanceCounter(o.device.device_id, counter, o.now_ms);
  if (st.ok()) return std::nullopt;
  Log(std::string("refused ") + (o.courier ? "courier of device " : "device ") + Short(o.device.device_id) +
      ": " + st.message());
  return Plain(st.code() == Code::kNotAuthorised ? 401 : 503,
               st.code() == Code::kNotAuthorised ? "replay" : "unavailable");
}

bool Hub::AwaitTurn(const std::string& device_id, uint64_t follows_seq) {
  std::unique_lock<std::mutex> lock(turn_mu_);
  // Each waiter holds a worker: one per device, and never so many that the pushes they wait for find
  // none free.
  const size_t most = static_cast<size_t>(std::max(1, options_.limits.workers / 2));
  if (waiting_devices_.count(device_id) != 0 || waiting_devices_.size() >= most) return false;
  waiting_devices_.insert(device_id);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.push_order_wait_ms);
  bool turn = false;
  while (true) {
    const uint64_t seen = pushes_applied_;
    lock.unlock();
    auto device = storage_->GetDevice(device_id);
    lock.lock();
    if (!device.ok()) break;
    if (device->acked_seq >= follows_seq) {
      turn = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    turn_cv_.wait_until(lock,
                        std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(5)),
                        [&] { return pushes_applied_ != seen; });
  }
  waiting_devices_.erase(device_id);
  return turn;
}

Hub::Opened Hub::OpenSealed(const Bytes& body, uint8_t direction) {
  Opened o;
  if (body.size() > kMaxBodyBytes) {
    o.refusal = Plain(413, "too large");
    return o;
  }
  auto env = DecodeEnvelope(body);
  if (!env.ok()) {
    o.refusal =
        Plain(400, env.status().message().find("version") != std::string::npos ? env.status().message()
                                                                               : std::string("bad envelope"));
    return o;
  }
  o.envelope = std::move(env).value();
  if (o.envelope.header.direction != direction) {
    o.refusal = Plain(400, "bad envelope");
    return o;
  }
  auto dev = storage_->GetDevice(o.envelope.header.device_id);
  if (!dev.ok()) {
    o.refusal =
        dev.status().code() == Code::kNotFound ? Plain(401, "unknown_device") : Plain(503, "unavailable");
    return o;
  }
  o.device = std::move(dev).value();
  // A provider account's hub device has no keys and never syncs: the portal pushes for it (section 14).
  if (o.device.role == "provider") {
    o.refusal = Plain(401, "unknown_device");
    return o;
  }
  const bool by_courier = direction == 3;
  PublicKeys sender{o.device.sign_pk, o.device.kx_pk};
  if (by_courier) {
    auto courier = storage_->GetCourier(o.device.device_id);
    if (!courier.ok()) {
      o.refusal = courier.status().code() == Code::kNotFound ? Plain(401, "unknown_courier")
                                                             : Plain(503, "unavailable");
      return o;
    }
    o.courier = std::move(courier).value();
    sender = PublicKeys{o.courier->sign_pk, o.courier->kx_pk};
  }
  const std::string who = (by_courier ? "courier of device " : "device ") + Short(o.device.device_id);
  auto plain = OpenRequest(keys_, sender, o.envelope, &o.keys);
  if (!plain.ok()) {
    Log("refused " + who + ": " + plain.status().message());
    o.refusal = Plain(401, plain.status().message());
    return o;
  }
  o.now_ms = env_.NowMs();
  const int64_t sent = o.envelope.header.sent_ms;
  if (sent > o.now_ms + kReplayWindowMs || sent < o.now_ms - kReplayWindowMs) {
    Log("refused " + who + ": stale");
    o.refusal = Plain(401, "stale");
    return o;
  }
  // Counters only grow: one at or below the last the device used is a replay, refused before anything is
  // decompressed. A higher one is taken (the check that counts) once the request is read.
  if (!by_courier && o.envelope.header.counter <= o.device.last_counter) {
    Log("refused " + who + ": replay");
    o.refusal = Plain(401, "replay");
    return o;
  }
  o.answer.version = kProtocolVersion;
  o.answer.hub_time_ms = o.now_ms;
  auto refuse = [&](WireError error, std::string message) {
    o.answer.error = static_cast<uint8_t>(error);
    o.answer.message = std::move(message);
    o.refusal = HttpAnswer{200, Answer(o.envelope, o.keys, o.answer)};
    return std::move(o);
  };
  auto payload = Decompress(*plain, kMaxRequestBytes);
  Result<Request> req = payload.ok() ? DecodeRequest(*payload) : Result<Request>(payload.status());
  if (!req.ok()) {
    if (auto replayed = TakeCounter(o)) {
      o.refusal = std::move(replayed);
      return o;
    }
    return refuse(WireError::kBadMessage, "malformed request");
  }
  o.request = std::move(req).value();
  o.answer.type = o.request.type;
  // A device's push takes its counter once its turn has come (HandleSync): a push sent ahead of the one
  // it follows may be opened first, and must not make that one look replayed.
  const bool device_push = !by_courier && o.request.type == static_cast<uint8_t>(MessageType::kPush);
  if (!device_push) {
    if (auto replayed = TakeCounter(o)) {
      o.refusal = std::move(replayed);
      return o;
    }
  }
  if (Status v = CheckProtocolVersion(o.request.version); !v.ok()) {
    return refuse(WireError::kVersionMismatch, v.message());
  }
  if (o.device.revoked) {
    Log((by_courier ? "courier of revoked device " : "revoked device ") + Short(o.device.device_id) +
        " told to wipe");
    return refuse(WireError::kRevoked, "this device has been revoked by the hub administrator");
  }
  return o;
}

HttpAnswer Hub::HandleSync(const Bytes& body) {
  Opened o = OpenSealed(body, 1);
  if (o.refusal) return std::move(*o.refusal);
  const DeviceRecord& dev = o.device;
  const int64_t now = o.now_ms;
  Response& resp = o.answer;
  switch (static_cast<MessageType>(o.request.type)) {
    case MessageType::kPing:
      break;
    case MessageType::kPush: {
      // A device that may write nothing has its push refused before a byte of it is decoded.
      if (!RoleMayWriteAny(dev.role)) {
        if (auto replayed = TakeCounter(o)) return std::move(*replayed);
        resp.error = static_cast<uint8_t>(WireError::kNotPermitted);
        resp.message = "this device's role may not push changes";
        break;
      }
      auto push = DecodePushRequest(o.request.body);
      if (!push.ok()) {
        if (auto replayed = TakeCounter(o)) return std::move(*replayed);
        resp.error = static_cast<uint8_t>(WireError::kBadMessage);
        resp.message = "malformed push";
        break;
      }
      // Sent before the batch it follows was answered: applied only after it, and never in its place.
      if (push->follows_seq > dev.acked_seq && !AwaitTurn(dev.device_id, push->follows_seq)) {
        resp.error = static_cast<uint8_t>(WireError::kOutOfOrder);
        resp.message = "the batch this one follows has not been applied";
        break;
      }
      if (auto replayed = TakeCounter(o)) return std::move(*replayed);
      PushStats stats;
      auto out = storage_->Push(dev, *push, now, &stats);
      if (!out.ok()) {
        Log("push from " + Short(dev.device_id) + " failed: " + std::string(CodeName(out.status().code())));
        resp.error = static_cast<uint8_t>(out.status().code() == Code::kBadInput ? WireError::kBadMessage
                                                                                 : WireError::kInternal);
        resp.message = out.status().code() == Code::kBadInput ? out.status().message() : "internal error";
        break;
      }
      {
        std::lock_guard<std::mutex> lock(turn_mu_);
        ++pushes_applied_;
        turn_cv_.notify_all();
      }
      Log("push from " + Short(dev.device_id) + ": " + std::to_string(stats.applied) + " applied, " +
          std::to_string(stats.duplicates) + " duplicate, " + std::to_string(stats.rejected) + " rejected");
      resp.body = Encode(*out);
      break;
    }
    case MessageType::kPull: {
      auto pull = DecodePullRequest(o.request.body);
      if (!pull.ok()) {
        resp.error = static_cast<uint8_t>(WireError::kBadMessage);
        resp.message = "malformed pull";
        break;
      }
      auto out = storage_->Pull(dev, *pull);
      if (!out.ok()) {
        resp.error = static_cast<uint8_t>(WireError::kInternal);
        resp.message = "internal error";
        break;
      }
      if (out->snapshot_required) {
        resp.error = static_cast<uint8_t>(WireError::kSnapshotRequired);
        resp.message = "the device is behind the tombstone horizon: take a snapshot";
      }
      resp.body = Encode(*out);
      break;
    }
    case MessageType::kCourierKey: {
      auto courier = DecodeCourierKeyRequest(o.request.body);
      if (!courier.ok() || courier->sign_pk.size() != 32 || courier->kx_pk.size() != 32) {
        resp.error = static_cast<uint8_t>(WireError::kBadMessage);
        resp.message = "malformed courier key";
        break;
      }
      if (!storage_->SetCourierKey(dev.device_id, courier->sign_pk, courier->kx_pk, now).ok()) {
        resp.error = static_cast<uint8_t>(WireError::kInternal);
        resp.message = "internal error";
        break;
      }
      Log("courier key registered for device " + Short(dev.device_id));
      resp.body = Encode(CourierKeyResponse{now, now + options_.courier_ttl_ms});
      break;
    }
    default:
      resp.error = static_cast<uint8_t>(WireError::kBadMessage);
      resp.message = "unknown message type";
  }
  return HttpAnswer{200, Answer(o.envelope, o.keys, resp)};
}

Status Hub::Serve(const std::string& host, int port, const std::function<void(int)>& on_listening,
                  std::atomic<bool>* stop) {
  internal::HttpServer server(
      options_.limits,
      [this](const std::string& path, const Bytes& body) {
        if (path == "/v1/enroll") return HandleEnroll(body);
        if (path == "/v1/courier") return HandleCourier(body);
        return HandleSync(body);
      },
      env_);
  BERTH_ASSIGN_OR_RETURN(int bound, server.Bind(host, port));
  // Tombstones past the horizon are forgotten at start (before "listening", so a caller that waits for
  // it sees the purge done); devices behind the horizon re-snapshot.
  if (auto purged = storage_->PurgeTombstones(env_.NowMs() - options_.tombstone_horizon_ms);
      purged.ok() && *purged > 0) {
    Log("purged " + std::to_string(*purged) + " tombstones past the horizon");
  }
  // The provider portal, on its own HTTPS listener and thread (section 14).
  std::unique_ptr<internal::Portal> portal;
  std::unique_ptr<internal::PortalServer> portal_server;
  std::thread portal_thread;
  if (!options_.portal.cert_file.empty()) {
    portal =
        std::make_unique<internal::Portal>(*storage_, env_, options_.portal.sign_in_failures_per_address);
    portal_server = std::make_unique<internal::PortalServer>(*portal);
    BERTH_ASSIGN_OR_RETURN(int portal_port,
                           portal_server->Bind(options_.portal.host, options_.portal.port,
                                               options_.portal.cert_file, options_.portal.key_file));
    portal_thread = std::thread([&] { portal_server->Run(); });
    Log("provider portal listening on https://" + options_.portal.host + ":" + std::to_string(portal_port));
    if (options_.portal.on_listening) options_.portal.on_listening(portal_port);
  }
  if (on_listening) on_listening(bound);
  Status served = server.Run(stop);
  if (portal_server) {
    portal_server->Stop();
    portal_thread.join();
  }
  return served;
}

}  // namespace berth::sync

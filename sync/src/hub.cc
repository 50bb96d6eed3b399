#include "berth/sync/hub.h"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "berth/schema/ids.h"
#include "berth/sync/version.h"
#include "hub_internal.h"

namespace berth::sync {

using internal::kReplayWindowMs;
using internal::Log;
using internal::Plain;
using internal::Short;

Hub::Hub(std::unique_ptr<HubStorage> storage, HubOptions options)
    : storage_(std::move(storage)), options_(options) {}
Hub::~Hub() = default;

Status Hub::Start() {
  BERTH_ASSIGN_OR_RETURN(keys_, storage_->HubKeys());
  return Status::Ok();
}

HttpAnswer Hub::HandleEnroll(const Bytes& body) {
  if (body.size() > kMaxBodyBytes) return Plain(413, "too large");
  auto code_id = EnrollEnvelopeCodeId(body);
  if (!code_id.ok()) return Plain(400, "bad envelope");
  const int64_t now = NowMs();
  auto key = storage_->CodeKey(*code_id, now);
  if (!key.ok()) {
    Log("enroll refused: bad_code");
    return Plain(401, "bad_code");
  }
  auto plain = OpenEnroll(*key, body, false);
  if (!plain.ok()) {
    Log("enroll refused: bad_tag");
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
  return HttpAnswer{200, SealEnroll(*key, *code_id, Encode(resp), true)};
}

Bytes Hub::Answer(const Envelope& request, const SessionKeys& keys, const Response& response) {
  return SealResponse(keys_, request.header, keys, Compress(Encode(response)));
}

HttpAnswer Hub::HandleSync(const Bytes& body) {
  if (body.size() > kMaxBodyBytes) return Plain(413, "too large");
  auto env = DecodeEnvelope(body);
  if (!env.ok())
    return Plain(400, env.status().message().find("version") != std::string::npos
                          ? env.status().message()
                          : std::string("bad envelope"));
  if (env->header.direction != 1) return Plain(400, "bad envelope");
  auto dev = storage_->GetDevice(env->header.device_id);
  if (!dev.ok()) {
    if (dev.status().code() == Code::kNotFound) return Plain(401, "unknown_device");
    return Plain(503, "unavailable");
  }
  SessionKeys keys;
  auto plain = OpenRequest(keys_, PublicKeys{dev->sign_pk, dev->kx_pk}, *env, &keys);
  if (!plain.ok()) {
    Log("refused device " + Short(dev->device_id) + ": " + plain.status().message());
    return Plain(401, plain.status().message());
  }
  const int64_t now = NowMs();
  if (env->header.sent_ms > now + kReplayWindowMs || env->header.sent_ms < now - kReplayWindowMs) {
    Log("refused device " + Short(dev->device_id) + ": stale");
    return Plain(401, "stale");
  }
  if (Status st = storage_->AdvanceCounter(dev->device_id, env->header.counter, now); !st.ok()) {
    Log("refused device " + Short(dev->device_id) + ": " + st.message());
    return Plain(st.code() == Code::kNotAuthorised ? 401 : 503,
                 st.code() == Code::kNotAuthorised ? "replay" : "unavailable");
  }
  Response resp;
  resp.version = kProtocolVersion;
  resp.hub_time_ms = now;
  auto payload = Decompress(*plain);
  Result<Request> req = payload.ok() ? DecodeRequest(*payload) : Result<Request>(payload.status());
  if (!req.ok()) {
    resp.error = static_cast<uint8_t>(WireError::kBadMessage);
    resp.message = "malformed request";
    return HttpAnswer{200, Answer(*env, keys, resp)};
  }
  resp.type = req->type;
  if (Status v = CheckProtocolVersion(req->version); !v.ok()) {
    resp.error = static_cast<uint8_t>(WireError::kVersionMismatch);
    resp.message = v.message();
    return HttpAnswer{200, Answer(*env, keys, resp)};
  }
  if (dev->revoked) {
    Log("revoked device " + Short(dev->device_id) + " told to wipe");
    resp.error = static_cast<uint8_t>(WireError::kRevoked);
    resp.message = "this device has been revoked by the hub administrator";
    return HttpAnswer{200, Answer(*env, keys, resp)};
  }
  switch (static_cast<MessageType>(req->type)) {
    case MessageType::kPing:
      break;
    case MessageType::kPush: {
      auto push = DecodePushRequest(req->body);
      if (!push.ok()) {
        resp.error = static_cast<uint8_t>(WireError::kBadMessage);
        resp.message = "malformed push";
        break;
      }
      PushStats stats;
      auto out = storage_->Push(*dev, *push, now, &stats);
      if (!out.ok()) {
        Log("push from " + Short(dev->device_id) + " failed: " + std::string(CodeName(out.status().code())));
        resp.error = static_cast<uint8_t>(out.status().code() == Code::kBadInput ? WireError::kBadMessage
                                                                                 : WireError::kInternal);
        resp.message = out.status().code() == Code::kBadInput ? out.status().message() : "internal error";
        break;
      }
      Log("push from " + Short(dev->device_id) + ": " + std::to_string(stats.applied) + " applied, " +
          std::to_string(stats.duplicates) + " duplicate, " + std::to_string(stats.rejected) + " rejected");
      resp.body = Encode(*out);
      break;
    }
    case MessageType::kPull: {
      auto pull = DecodePullRequest(req->body);
      if (!pull.ok()) {
        resp.error = static_cast<uint8_t>(WireError::kBadMessage);
        resp.message = "malformed pull";
        break;
      }
      auto out = storage_->Pull(*dev, *pull);
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
      auto courier = DecodeCourierKeyRequest(req->body);
      if (!courier.ok() || courier->sign_pk.size() != 32 || courier->kx_pk.size() != 32) {
        resp.error = static_cast<uint8_t>(WireError::kBadMessage);
        resp.message = "malformed courier key";
        break;
      }
      if (!storage_->SetCourierKey(dev->device_id, courier->sign_pk, courier->kx_pk, now).ok()) {
        resp.error = static_cast<uint8_t>(WireError::kInternal);
        resp.message = "internal error";
        break;
      }
      Log("courier key registered for device " + Short(dev->device_id));
      resp.body = Encode(CourierKeyResponse{now, now + options_.courier_ttl_ms});
      break;
    }
    default:
      resp.error = static_cast<uint8_t>(WireError::kBadMessage);
      resp.message = "unknown message type";
  }
  return HttpAnswer{200, Answer(*env, keys, resp)};
}

Status Hub::Serve(const std::string& host, int port, const std::function<void(int)>& on_listening,
                  std::atomic<bool>* stop) {
  httplib::Server server;
  server.set_payload_max_length(kMaxBodyBytes + 1024);
  server.set_read_timeout(30, 0);
  server.set_write_timeout(30, 0);
  auto handler = [this](HttpAnswer (Hub::*handle)(const Bytes&)) {
    return [this, handle](const httplib::Request& req, httplib::Response& res) {
      const Bytes body(req.body.begin(), req.body.end());
      HttpAnswer a = (this->*handle)(body);
      res.status = a.status;
      res.set_content(std::string(a.body.begin(), a.body.end()),
                      a.status == 200 ? "application/octet-stream" : "text/plain");
    };
  };
  server.Post("/v1/enroll", handler(&Hub::HandleEnroll));
  server.Post("/v1/sync", handler(&Hub::HandleSync));
  server.Post("/v1/courier", handler(&Hub::HandleCourier));
  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
    if (bound < 0) return NetworkError("cannot listen on " + host);
  } else if (!server.bind_to_port(host, port)) {
    return NetworkError("cannot listen on " + host + ":" + std::to_string(port));
  }
  std::thread watcher([&] {
    while (!stop->load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
  });
  // Tombstones past the horizon are forgotten at start (before "listening", so a caller that waits for
  // it sees the purge done); devices behind the horizon re-snapshot.
  if (auto purged = storage_->PurgeTombstones(NowMs() - options_.tombstone_horizon_ms);
      purged.ok() && *purged > 0) {
    Log("purged " + std::to_string(*purged) + " tombstones past the horizon");
  }
  if (on_listening) on_listening(bound);
  const bool ok = server.listen_after_bind();
  stop->store(true);
  watcher.join();
  return ok ? Status::Ok() : NetworkError("the server stopped unexpectedly");
}

}  // namespace berth::sync

// The session's transport (sync_session.h): requests compressed and sealed with a fresh counter, sent ahead
// on another thread so the hub's work overlaps the device's (a push batch while the one before it is at the
// hub), and exchanged with retries and backoff on network failure (PROTOCOL.md sections 4-5).

#include <optional>

#include "sync_session.h"

namespace berth::sync::internal {

HttpResult Post(const std::string& url, const Bytes& body, const SyncOptions& o,
                const std::atomic<bool>* cancel) {
  return TransportOr(o.transport)
      .Post(url, "/v1/sync", body, HttpTimeouts{o.connect_timeout_s, o.read_timeout_s}, cancel);
}

Result<uint64_t> SyncSession::NextCounter() {
  BERTH_ASSIGN_OR_RETURN(std::string last_text, GetText(db_, "counter"));
  const uint64_t last = last_text.empty() ? 0 : std::stoull(last_text);
  const uint64_t now_us = static_cast<uint64_t>(env_.NowMs()) * 1000;
  const uint64_t next = std::max(last + 1, now_us);
  BERTH_RETURN_IF_ERROR(PutText(db_, "counter", std::to_string(next)));
  return next;
}

Bytes SyncSession::RequestPayload(MessageType type, const Bytes& body) {
  Request req;
  req.version = kProtocolVersion;
  req.type = static_cast<uint8_t>(type);
  req.body = body;
  return Compress(Encode(req));
}

Result<std::unique_ptr<SyncSession::Ahead>> SyncSession::SealAhead(MessageType type, const Bytes& body) {
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

Status SyncSession::Launch(Ahead& ahead) {
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

Result<std::unique_ptr<SyncSession::Ahead>> SyncSession::SendAhead(MessageType type, const Bytes& body) {
  BERTH_ASSIGN_OR_RETURN(auto ahead, SealAhead(type, body));
  BERTH_RETURN_IF_ERROR(Launch(*ahead));
  return ahead;
}

Result<Response> SyncSession::Exchange(MessageType type, const Bytes& body, std::unique_ptr<Ahead> ahead) {
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
    std::optional<Response> opened;  // the answer to a request sent ahead of the one it follows
    if (attempt == 0 && ahead != nullptr) {
      if (!ahead->http.valid()) BERTH_RETURN_IF_ERROR(Launch(*ahead));
      payload = ahead->payload;
      http = ahead->http.get();
      sealed = ahead->sealed;
      if (ahead->follows) {
        // Only the hub's authentic answer saying it was carried out counts; any other means it was not,
        // and it is sent again now, in its turn.
        auto answer = http.status == 200 ? internal::OpenAnswer(*sealed, hub_, http.body)
                                         : Result<Response>(NetworkError("no answer"));
        if (answer.ok() && answer->error == static_cast<uint8_t>(WireError::kOk)) {
          opened = std::move(answer).value();
        } else {
          sealed = nullptr;
        }
      }
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
    if (!opened) {
      BERTH_ASSIGN_OR_RETURN(opened, internal::OpenAnswer(*sealed, hub_, http.body));
    }
    Response resp = std::move(*opened);
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

}  // namespace berth::sync::internal

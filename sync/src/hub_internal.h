// Small helpers shared by the hub's request handlers (hub.cc, hub_courier.cc). Internal to berth_sync.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "berth/sync/hub.h"

namespace berth::sync::internal {

// A request's send time must be within this of the hub's clock (PROTOCOL.md section 4).
inline constexpr int64_t kReplayWindowMs = 10 * 60 * 1000;

inline HttpAnswer Plain(int status, const std::string& text) {
  return HttpAnswer{status, Bytes(text.begin(), text.end())};
}

// Log lines name the device by the last 8 characters of its id, and counts or reason codes; never rows.
inline void Log(const std::string& line) {
  std::fprintf(stderr, "berth-hub: %s\n", line.c_str());
}

inline std::string Short(const std::string& id) {
  return id.size() > 8 ? id.substr(id.size() - 8) : id;
}

}  // namespace berth::sync::internal

namespace berth::sync {

// What Hub::OpenSealed makes of a request. When `refusal` is set the request goes no further: a plain
// HTTP refusal (bad envelope, unknown device or courier, bad seal, stale, replayed), or a sealed answer
// with its error (malformed request, protocol version mismatch, revoked device). Otherwise `request` is
// the authenticated request (fresh: a device's push is checked by HandleSync when its turn comes), and
// `answer` the Response to fill in (version and hub time set).
struct Hub::Opened {
  std::optional<HttpAnswer> refusal;
  Envelope envelope;
  DeviceRecord device;
  std::optional<CourierRecord> courier;  // direction 3
  SessionKeys keys;
  Request request;
  Response answer;
  int64_t now_ms = 0;
};

}  // namespace berth::sync

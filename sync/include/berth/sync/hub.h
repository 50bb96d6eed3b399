// The hub's request handling (sync/PROTOCOL.md): enrollment and sealed push/pull/ping over HTTP.
// Transport-independent handlers (tests and the fuzzer call them directly) plus Serve() on cpp-httplib.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "berth/sync/hub_storage.h"

namespace berth::sync {

struct HttpAnswer {
  int status = 200;
  Bytes body;  // sealed answer (200) or a short plain-text reason naming no personal data
};

struct HubOptions {
  int64_t tombstone_horizon_ms = 30LL * 24 * 3600 * 1000;
  // How long a courier key works after its registration (PROTOCOL.md section 11): a bank-holiday weekend.
  // 0: never (no sync while locked).
  int64_t courier_ttl_ms = 96LL * 3600 * 1000;
};

class Hub {
 public:
  Hub(std::unique_ptr<HubStorage> storage, HubOptions options = {});
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  Status Start();  // loads the hub keys
  HttpAnswer HandleEnroll(const Bytes& body);
  HttpAnswer HandleSync(const Bytes& body);
  // /v1/courier: a locked laptop's courier moving sealed boxes (hub_courier.cc).
  HttpAnswer HandleCourier(const Bytes& body);
  HubStorage& storage() { return *storage_; }

  // Serves until *stop becomes true (checked every 100 ms) or the server fails. `on_listening` gets the
  // bound port (useful with port 0).
  Status Serve(const std::string& host, int port, const std::function<void(int)>& on_listening,
               std::atomic<bool>* stop);

 private:
  Bytes Answer(const Envelope& request, const SessionKeys& keys, const Response& response);
  Response SpoolUpload(const DeviceRecord& device, const Bytes& box, int64_t now_ms);
  Response SpoolPull(const DeviceRecord& device, const Bytes& body);
  std::unique_ptr<HubStorage> storage_;
  HubOptions options_;
  KeyPairs keys_;
};

}  // namespace berth::sync

// The hub's request handling (sync/PROTOCOL.md): enrollment and sealed push/pull/ping over HTTP.
// Transport-independent handlers (tests and the fuzzer call them directly) plus Serve(), the HTTP edge
// (sync/src/http_server.h).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "berth/schema/env.h"
#include "berth/sync/hub_storage.h"

namespace berth::sync {

struct HttpAnswer {
  int status = 200;
  Bytes body;  // sealed answer (200) or a short plain-text reason naming no personal data
};

// The HTTP edge's limits (PROTOCOL.md section 1, "Edges"). Every one is checked before the bytes or time
// it bounds are spent.
struct ServerLimits {
  int workers = 8;                          // threads that answer complete requests
  int max_connections = 512;                // open at once, all peers together
  int max_connections_per_address = 64;     // open at once from one peer address (a hospital's NAT, say)
  size_t max_header_bytes = 8192;           // request line and headers
  size_t max_body_bytes = kMaxBodyBytes;    // declared Content-Length
  size_t max_receiving_bytes = 128u << 20;  // body bytes received and not yet answered, all connections
  int64_t request_deadline_ms = 10000;      // from a request's first byte (or the accept) to its last header
  // The body then gets its own deadline: this much, plus a second for every min_body_rate bytes declared
  // (16 MiB at 32 KiB/s is about 9 minutes: a ward laptop on poor Wi-Fi still gets its push through).
  int64_t body_deadline_ms = 30000;
  size_t min_body_rate = 32u << 10;   // bytes per second
  int64_t body_stall_ms = 10000;      // a body of which nothing arrives for this long is cut off (408)
  int64_t idle_keep_alive_ms = 5000;  // between requests on one connection
  int64_t linger_ms = 2000;           // after refusing a request, how long its unread body is drained
};

// The provider portal (PROTOCOL.md section 14): served over HTTPS on a listener of its own when a
// certificate is given. /v1/sync keeps its own plain listener (its bodies are sealed end to end).
struct PortalOptions {
  std::string host = "127.0.0.1";
  int port = 0;                           // 0: any free port
  std::string cert_file;                  // PEM; empty: no portal
  std::string key_file;                   // PEM
  std::function<void(int)> on_listening;  // gets the portal's bound port
  int sign_in_failures_per_address = 20;  // in 15 minutes, any accounts, then its sign-ins are refused
};

struct HubOptions {
  int64_t tombstone_horizon_ms = 30LL * 24 * 3600 * 1000;
  ServerLimits limits;
  // How long a courier key works after its registration (PROTOCOL.md section 11): a bank-holiday weekend.
  // 0: never (no sync while locked).
  int64_t courier_ttl_ms = 96LL * 3600 * 1000;
  // The hub's clock: replay windows, push times, the tombstone horizon, the HTTP deadlines (null:
  // Env::Default()). Not owned.
  Env* env = nullptr;
  PortalOptions portal;
  // How long a push that follows an entry not yet acknowledged waits for it (PROTOCOL.md section 5)
  // before it is answered `out_of_order`, real time.
  int64_t push_order_wait_ms = 5000;
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
  struct Opened;  // hub_internal.h
  // Every check a sealed request passes before its type is looked at (direction 1: sealed with the
  // device's own key, HandleSync; 3: with its courier key, HandleCourier).
  Opened OpenSealed(const Bytes& body, uint8_t direction);
  // The replay check of an opened request: its counter must be above every one the device used before.
  std::optional<HttpAnswer> TakeCounter(const Opened& o);
  // A push that names the entry it follows waits until the device's acknowledged entries reach it, at most
  // push_order_wait_ms; false when they did not (or the device already has a push waiting).
  bool AwaitTurn(const std::string& device_id, uint64_t follows_seq);
  Bytes Answer(const Envelope& request, const SessionKeys& keys, const Response& response);
  Response SpoolUpload(const DeviceRecord& device, const Bytes& box, int64_t now_ms);
  Response SpoolPull(const DeviceRecord& device, const Bytes& body);
  std::unique_ptr<HubStorage> storage_;
  HubOptions options_;
  Env& env_;
  KeyPairs keys_;
  // AwaitTurn's waiters: woken by every push this process applies (a push applied by another hub process
  // on the same database is seen by polling).
  std::mutex turn_mu_;
  std::condition_variable turn_cv_;
  uint64_t pushes_applied_ = 0;
  std::set<std::string> waiting_devices_;
};

}  // namespace berth::sync

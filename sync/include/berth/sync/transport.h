// The network under sync, in one seam (after leveldb's Env): one POST of sealed bytes to the hub and its
// answer. The client (SyncOptions), the courier (CourierOptions) and Enroll take a Transport; nullptr means
// Transport::Default(), HTTP through cpp-httplib. Tests wrap it (tests/support/sync_transport.h) to record
// what crosses the wire, cut a connection or lose an answer at a chosen exchange.
#pragma once

#include <atomic>
#include <string>

#include "berth/sync/wire.h"

namespace berth::sync {

struct HttpResult {
  int status = 0;  // 0: no answer (connection failed or cut, or cancelled)
  Bytes body;
  bool cancelled = false;  // the caller's cancel flag ended the wait
};

struct HttpTimeouts {
  int connect_s = 5;
  int read_s = 60;
};

class Transport {
 public:
  virtual ~Transport() = default;

  // HTTP; never null, never destroyed.
  static Transport* Default();

  // One POST of `body` to `url` + `path` (no retry). With `cancel`, returns as soon as *cancel turns true
  // (status 0, cancelled): the caller never waits on the network once cancelled. Called from several
  // threads at once (a push batch is sent while the previous answer is recorded).
  virtual HttpResult Post(const std::string& url, const std::string& path, const Bytes& body,
                          const HttpTimeouts& timeouts, const std::atomic<bool>* cancel = nullptr) = 0;
};

// `transport`, or Transport::Default() when it is null.
inline Transport& TransportOr(Transport* transport) {
  return transport != nullptr ? *transport : *Transport::Default();
}

}  // namespace berth::sync

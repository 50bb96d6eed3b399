// HTTP for the device side of sync (client.cc, courier.cc): one POST, cancellable at once. Internal to
// berth_sync.
#pragma once

#include <atomic>
#include <string>

#include "berth/schema/status.h"
#include "berth/sync/crypto.h"
#include "berth/sync/wire.h"

namespace berth::sync::internal {

struct HttpResult {
  int status = 0;  // 0: no answer (connection failed or cut, or cancelled)
  Bytes body;
  bool sent = true;        // false: a request chained after another was held back (that one did not succeed)
  bool cancelled = false;  // the caller's cancel flag ended the wait
};

struct HttpTimeouts {
  int connect_s = 5;
  int read_s = 60;
};

// One POST. With `cancel`, the exchange runs on a thread of its own holding only the bytes sent (sealed,
// never a key), and this returns as soon as *cancel turns true (status 0, cancelled): the caller never
// waits on the network once cancelled. That thread stops the connection and ends by itself.
HttpResult Post(const std::string& url, const std::string& path, const Bytes& body,
                const HttpTimeouts& timeouts, const std::atomic<bool>* cancel = nullptr);

// An exchange worth retrying (no answer, or the hub failed with 5xx), as the error to report when the
// retries run out; Ok when the hub did answer.
Status Unanswered(const HttpResult& r, const std::string& url);

// A refusal at the HTTP level (401, 400, 413, others) as a Status.
Status HttpError(const HttpResult& r);

// Waits `ms` milliseconds; returns false at once if *cancel turns true meanwhile.
bool WaitUnlessCancelled(int ms, const std::atomic<bool>* cancel);

// Opens a sealed answer to `request` (the pinned hub key's signature, the echo of the request), decodes it
// and checks its protocol version. The caller interprets Response::error.
Result<Response> OpenAnswer(const SealedRequest& request, const PublicKeys& hub, const Bytes& body);

}  // namespace berth::sync::internal

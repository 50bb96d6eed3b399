// What the device side of sync (client.cc, courier.cc) makes of a Transport's answers. Internal to
// berth_sync.
#pragma once

#include <atomic>
#include <string>

#include "berth/schema/env.h"
#include "berth/schema/status.h"
#include "berth/sync/crypto.h"
#include "berth/sync/transport.h"
#include "berth/sync/wire.h"

namespace berth::sync::internal {

// An exchange worth retrying (no answer, or the hub failed with 5xx), as the error to report when the
// retries run out; Ok when the hub did answer.
Status Unanswered(const HttpResult& r, const std::string& url);

// A refusal at the HTTP level (401, 400, 413, others) as a Status.
Status HttpError(const HttpResult& r);

// Waits `ms` milliseconds through `env` (a retry's backoff: a test's Env returns at once); returns false
// if *cancel turns true meanwhile, within 10 ms of it.
bool WaitUnlessCancelled(Env& env, int ms, const std::atomic<bool>* cancel);

// Opens a sealed answer to `request` (the pinned hub key's signature, the echo of the request), decodes it
// and checks its protocol version. The caller interprets Response::error.
Result<Response> OpenAnswer(const SealedRequest& request, const PublicKeys& hub, const Bytes& body);

}  // namespace berth::sync::internal

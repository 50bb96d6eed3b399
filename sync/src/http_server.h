// The hub's HTTP/1.1 front end (sync/PROTOCOL.md, section 1, "Edges"). One event-loop thread reads every
// connection without blocking and hands only complete requests to a fixed pool of workers, so slow or
// stalled senders hold a connection slot, never a worker. It refuses before it reads: a body must be
// declared with Content-Length within the cap (Transfer-Encoding and Content-Encoding are refused from the
// headers alone), every request has a deadline for the whole of it (not per read), each peer address may
// hold only so many connections, the bytes of bodies received together share one memory budget (a
// declared length alone holds none of it), and a body that stops arriving is cut off.
//
// It speaks exactly what the protocol needs: POST with an octet-stream body, keep-alive, no chunked or
// compressed bodies, no Expect: 100-continue. Private to berth_sync.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "berth/schema/env.h"
#include "berth/schema/status.h"
#include "berth/sync/hub.h"

namespace berth::sync::internal {

// Answers one complete request (`path` is e.g. "/v1/sync"). Runs on a worker thread.
using RequestHandler = std::function<HttpAnswer(const std::string& path, const Bytes& body)>;

class HttpServer {
 public:
  // Deadlines follow `env`'s monotonic clock (not owned; outlives the server).
  HttpServer(ServerLimits limits, RequestHandler handler, Env& env);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds (port 0: any free port) and returns the bound port.
  Result<int> Bind(const std::string& host, int port);
  // Serves until *stop becomes true (checked at least every 100 ms).
  Status Run(std::atomic<bool>* stop);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::sync::internal

// The HTTP transport (transport.h): posts a sealed body to the hub with connect and read timeouts.

#include "transport.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "berth/sync/client.h"
#include "berth/sync/version.h"

namespace berth::sync {

namespace {

HttpResult PostNow(httplib::Client& cli, const std::string& path, const Bytes& body, const HttpTimeouts& t) {
  cli.set_connection_timeout(t.connect_s, 0);
  cli.set_read_timeout(t.read_s, 0);
  cli.set_write_timeout(t.read_s, 0);
  auto res =
      cli.Post(path, reinterpret_cast<const char*>(body.data()), body.size(), "application/octet-stream");
  HttpResult out;
  if (!res) return out;
  out.status = res->status;
  out.body.assign(res->body.begin(), res->body.end());
  return out;
}

// What a cancellable POST's own thread and its caller share.
struct PendingPost {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool abandoned = false;
  httplib::Client* client = nullptr;  // while the exchange runs
  HttpResult result;
};

// HTTP through cpp-httplib, one connection per POST. With `cancel`, the exchange runs on a thread of its
// own holding only the bytes sent (sealed, never a key); that thread stops the connection and ends by
// itself once the caller has gone.
class HttpTransport final : public Transport {
 public:
  HttpResult Post(const std::string& url, const std::string& path, const Bytes& body,
                  const HttpTimeouts& timeouts, const std::atomic<bool>* cancel) override;
};

HttpResult HttpTransport::Post(const std::string& url, const std::string& path, const Bytes& body,
                               const HttpTimeouts& timeouts, const std::atomic<bool>* cancel) {
  if (cancel == nullptr) {
    httplib::Client cli(url);
    return PostNow(cli, path, body, timeouts);
  }
  HttpResult cancelled;
  cancelled.cancelled = true;
  if (cancel->load()) return cancelled;
  auto pending = std::make_shared<PendingPost>();
  std::thread([pending, url, path, body, timeouts] {
    httplib::Client cli(url);
    {
      std::lock_guard<std::mutex> lock(pending->mu);
      if (pending->abandoned) return;
      pending->client = &cli;
    }
    HttpResult r = PostNow(cli, path, body, timeouts);
    std::lock_guard<std::mutex> lock(pending->mu);
    pending->client = nullptr;
    pending->result = std::move(r);
    pending->done = true;
    pending->cv.notify_all();
  }).detach();
  std::unique_lock<std::mutex> lock(pending->mu);
  // The cancel flag is a plain atomic (no notification): it is looked at every 10 ms while waiting.
  while (!pending->cv.wait_for(lock, std::chrono::milliseconds(10), [&] { return pending->done; })) {
    if (cancel->load()) {
      pending->abandoned = true;
      if (pending->client != nullptr) pending->client->stop();  // shuts the socket: its thread ends soon
      return cancelled;
    }
  }
  return std::move(pending->result);
}

}  // namespace

Transport* Transport::Default() {
  static HttpTransport* transport = new HttpTransport();  // never destroyed: used from detached threads
  return transport;
}

namespace internal {

Status Unanswered(const HttpResult& r, const std::string& url) {
  if (r.status == 0) return NetworkError("the hub at " + url + " is unreachable or the connection broke");
  if (r.status >= 500) return NetworkError("the hub answered HTTP " + std::to_string(r.status));
  return Status::Ok();
}

Status HttpError(const HttpResult& r) {
  const std::string text(r.body.begin(), r.body.end());
  if (r.status == 401) return NotAuthorised("the hub refused this device (" + text + ")");
  if (r.status == 400 || r.status == 413) return BadInput("the hub refused the request (" + text + ")");
  return NetworkError("the hub answered HTTP " + std::to_string(r.status));
}

bool WaitUnlessCancelled(Env& env, int ms, const std::atomic<bool>* cancel) {
  // The cancel flag is a plain atomic (no notification): it is looked at every 10 ms of the wait.
  for (int64_t left = ms; left > 0; left -= 10) {
    if (cancel != nullptr && cancel->load()) return false;
    env.SleepForMs(std::min<int64_t>(left, 10));
  }
  return cancel == nullptr || !cancel->load();
}

Result<Response> OpenAnswer(const SealedRequest& request, const PublicKeys& hub, const Bytes& body) {
  BERTH_ASSIGN_OR_RETURN(Bytes plain, OpenResponse(request, hub, body));
  BERTH_ASSIGN_OR_RETURN(Bytes decompressed, Decompress(plain));
  auto resp = DecodeResponse(decompressed);
  if (!resp.ok()) return IntegrityError("the hub's answer is malformed");
  BERTH_RETURN_IF_ERROR(CheckProtocolVersion(resp->version));
  return resp;
}

}  // namespace internal
}  // namespace berth::sync

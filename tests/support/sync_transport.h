// Test doubles for sync's network seam (berth/sync/transport.h): a Transport that records what crosses the
// wire (what an eavesdropper on the connection would capture, minus HTTP headers), and one that fails a
// chosen exchange: the connection cut before the hub got the request, or the hub's answer lost after it
// acted. Header-only: only the sync tests link berth_sync.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "berth/sync/transport.h"

namespace berth::testing {

// One POST straight to the hub (no envelope, no retry), for tests that replay or tamper with captured
// bodies: the HTTP status (0: no answer) and body.
inline std::pair<int, std::vector<uint8_t>> PostRaw(const std::string& url, const std::string& path,
                                                    const std::vector<uint8_t>& body) {
  sync::HttpResult r = sync::Transport::Default()->Post(url, path, body, sync::HttpTimeouts{});
  return {r.status, std::move(r.body)};
}

struct WireExchange {
  std::string path;
  std::vector<uint8_t> request;
  std::vector<uint8_t> response;
};

// Passes every exchange to `inner` and keeps a copy of both bodies.
class RecordingTransport final : public sync::Transport {
 public:
  explicit RecordingTransport(sync::Transport* inner = sync::Transport::Default()) : inner_(inner) {}

  sync::HttpResult Post(const std::string& url, const std::string& path, const sync::Bytes& body,
                        const sync::HttpTimeouts& timeouts, const std::atomic<bool>* cancel) override {
    sync::HttpResult r = inner_->Post(url, path, body, timeouts, cancel);
    if (r.status != 0) {
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back({path, body, r.body});
    }
    return r;
  }

  // The exchanges so far whose path is `path` (all of them when empty), oldest first.
  std::vector<WireExchange> Seen(const std::string& path = "") const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<WireExchange> out;
    for (const auto& e : seen_) {
      if (path.empty() || e.path == path) out.push_back(e);
    }
    return out;
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    seen_.clear();
  }

 private:
  sync::Transport* inner_;
  mutable std::mutex mu_;
  std::vector<WireExchange> seen_;
};

// Passes exchanges to `inner`, except the one chosen (counted from 0 since the last choice): its
// connection is cut before the request reaches the hub, or the hub acts on the request and its answer is
// lost on the way back. Either way the caller sees no answer (status 0), as with a dropped link.
class FaultTransport final : public sync::Transport {
 public:
  enum class Fault { kNone, kCutRequest, kLoseAnswer };

  explicit FaultTransport(sync::Transport* inner = sync::Transport::Default()) : inner_(inner) {}

  void FailExchange(int index, Fault fault) {
    std::lock_guard<std::mutex> lock(mu_);
    target_ = index;
    fault_ = fault;
    next_ = 0;
  }
  void NoFaults() { FailExchange(-1, Fault::kNone); }
  int faults() const { return faults_.load(); }

  sync::HttpResult Post(const std::string& url, const std::string& path, const sync::Bytes& body,
                        const sync::HttpTimeouts& timeouts, const std::atomic<bool>* cancel) override {
    Fault fault = Fault::kNone;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (next_++ == target_) fault = fault_;
    }
    if (fault == Fault::kCutRequest) {
      ++faults_;
      return sync::HttpResult{};
    }
    sync::HttpResult r = inner_->Post(url, path, body, timeouts, cancel);
    if (fault == Fault::kLoseAnswer) {
      ++faults_;
      return sync::HttpResult{};
    }
    return r;
  }

 private:
  sync::Transport* inner_;
  std::mutex mu_;
  int target_ = -1;
  int next_ = 0;
  Fault fault_ = Fault::kNone;
  std::atomic<int> faults_{0};
};

}  // namespace berth::testing

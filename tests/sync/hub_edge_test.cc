// The hub's HTTP edge refuses before it reads (issue 15, finding 1), against a real berth-hub process:
// chunked and compressed bodies and oversized declarations are answered 413 from their headers, with the
// hub's resident memory measured against its idle baseline in the same run; more trickling connections
// than the hub has workers do not keep a device from syncing; a request that takes too long as a whole is
// cut off; one address cannot hold every connection.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "hub_harness.h"

namespace berth::testing {
namespace {

// One field of /proc/PID/status, in KiB.
int64_t ProcStatusKb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return -1;
}

// A plain TCP connection to the hub from a chosen loopback address (Linux routes all of 127/8 to lo).
class RawConnection {
 public:
  RawConnection(int port, const char* from = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, from, &local.sin_addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
    sockaddr_in hub{};
    hub.sin_family = AF_INET;
    hub.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &hub.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&hub), sizeof hub) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // Everything the hub sends until it closes or `timeout_ms` passes with nothing new.
  std::string ReadAll(int timeout_ms) {
    std::string out;
    char buf[4096];
    while (true) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) break;
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }
  // Whether the hub has closed this connection (waits up to `timeout_ms`).
  bool ClosedByHub(int timeout_ms) {
    ReadAll(timeout_ms);
    return closed_;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

int StatusOf(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::stoi(response.substr(9, 3));
}

// Sends `head`, then `body_chunk` over and over up to `body_bytes` (stopping when the hub stops reading),
// while another thread reads the hub's answer: what an attacker streaming a large body sees.
int SendWhileReading(int port, const std::string& head, const std::string& body_chunk, size_t body_bytes,
                     size_t* sent_bytes) {
  RawConnection c(port);
  EXPECT_TRUE(c.connected());
  std::string answer;
  std::thread reader([&] { answer = c.ReadAll(30000); });
  size_t sent = 0;
  if (c.Send(head)) {
    while (sent < body_bytes && c.Send(body_chunk)) sent += body_chunk.size();
  }
  ::shutdown(c.fd(), SHUT_WR);
  reader.join();
  if (sent_bytes != nullptr) *sent_bytes = sent;
  return StatusOf(answer);
}

class HubEdge : public ::testing::Test {
 protected:
  void StartHub(const std::vector<std::string>& args = {}) {
    hub_ = std::make_unique<HubProcess>(tmp_.Sub("hub"));
    hub_->Start({}, args);
    device_ = Device::Create(tmp_.Sub("device"));
    ASSERT_TRUE(device_->Enroll(*hub_).ok());
    ASSERT_TRUE(QuickSync().ok());
  }
  void TearDown() override {
    if (hub_) hub_->Kill();
  }
  // A sync (ping, then pull) that fails rather than waits if the hub does not answer within 15 s; through
  // `transport` when given.
  Result<sync::SyncSummary> QuickSync(sync::Transport* transport = nullptr) {
    sync::SyncOptions o;
    o.max_retries = 0;
    o.connect_timeout_s = 15;
    o.read_timeout_s = 15;
    o.transport = transport;
    return sync::SyncOnce(*device_->store, o);
  }

  TempDir tmp_;
  std::unique_ptr<HubProcess> hub_;
  std::unique_ptr<Device> device_;
};

TEST_F(HubEdge, ChunkedCompressedAndOversizedBodiesAre413WithoutGrowingTheHub) {
  StartHub();
  const pid_t pid = hub_->pid();
  const int64_t baseline_kb = ProcStatusKb(pid, "VmRSS");
  ASSERT_GT(baseline_kb, 0);
  // Reset the hub's peak resident size to now, so VmHWM below is the peak during the attacks.
  { std::ofstream("/proc/" + std::to_string(pid) + "/clear_refs") << "5"; }
  // VmHWM is the peak since the reset (since the start if the kernel refuses the reset: then it can only
  // overstate the growth). The resident size is also read after each attack, for a kernel without VmHWM;
  // the larger of the two is taken.
  int64_t sampled_peak_kb = baseline_kb;
  const auto sample = [&] { sampled_peak_kb = std::max(sampled_peak_kb, ProcStatusKb(pid, "VmRSS")); };

  // 100 MiB, chunked.
  const std::string chunk = "10000\r\n" + std::string(0x10000, '\0') + "\r\n";
  size_t sent = 0;
  EXPECT_EQ(SendWhileReading(hub_->port(),
                             "POST /v1/sync HTTP/1.1\r\nHost: hub\r\nTransfer-Encoding: chunked\r\n"
                             "Content-Type: application/octet-stream\r\n\r\n",
                             chunk, 100u << 20, &sent),
            413);
  sample();
  // A gzip bomb: 300 KiB on the wire, 300 MiB once inflated.
  const std::string bomb_file = tmp_.Sub("bomb.gz");
  ASSERT_EQ(RunCommand("head -c 314572800 /dev/zero | gzip -9 > " + bomb_file), 0);
  const auto bomb = ReadFileBytes(bomb_file);
  ASSERT_LT(bomb.size(), 400u * 1024);
  EXPECT_EQ(
      SendWhileReading(hub_->port(),
                       "POST /v1/sync HTTP/1.1\r\nHost: hub\r\nContent-Encoding: gzip\r\nContent-Length: " +
                           std::to_string(bomb.size()) + "\r\n\r\n",
                       std::string(bomb.begin(), bomb.end()), bomb.size(), nullptr),
      413);
  sample();
  // A declared length over the cap is refused from the header: the body is never read.
  EXPECT_EQ(SendWhileReading(hub_->port(),
                             "POST /v1/sync HTTP/1.1\r\nHost: hub\r\nContent-Length: 104857600\r\n\r\n",
                             std::string(0x10000, '\0'), 100u << 20, nullptr),
            413);
  sample();
  // Each refusal also on /v1/enroll, which needs no enrollment at all, and on /v1/courier (sync while
  // locked), which needs only a courier key.
  for (const char* path : {"/v1/enroll", "/v1/courier"}) {
    EXPECT_EQ(SendWhileReading(hub_->port(),
                               std::string("POST ") + path +
                                   " HTTP/1.1\r\nHost: hub\r\nTransfer-Encoding: chunked\r\n\r\n",
                               chunk, 16u << 20, nullptr),
              413)
        << path;
    sample();
  }

  const int64_t hwm_kb = ProcStatusKb(pid, "VmHWM");
  const int64_t peak_kb = std::max(hwm_kb, sampled_peak_kb);
  const int64_t growth_kb = peak_kb - baseline_kb;
  std::printf("hub resident memory: idle %lld KiB, peak during the attacks %lld KiB (+%lld KiB)\n",
              static_cast<long long>(baseline_kb), static_cast<long long>(peak_kb),
              static_cast<long long>(growth_kb));
  EXPECT_LT(growth_kb, 32 * 1024) << "the hub read and held what it should have refused";
  auto after = QuickSync();
  EXPECT_TRUE(after.ok()) << "the hub still serves devices: " << after.status().ToString();
}

TEST_F(HubEdge, MoreTricklingConnectionsThanWorkersDoNotStarveASync) {
  // A generous request deadline: the sync below must get through while every trickler is still open.
  StartHub({"--workers", "2", "--request-timeout", "120"});
  std::vector<std::unique_ptr<RawConnection>> tricklers;
  for (int i = 0; i < 24; ++i) {
    tricklers.push_back(std::make_unique<RawConnection>(hub_->port()));
    ASSERT_TRUE(tricklers.back()->connected());
    ASSERT_TRUE(tricklers.back()->Send("POST /v1/sync HTTP/1.1\r\nContent-Length: 1000\r\n\r\n"));
  }
  // Every trickler sends one more byte of its body before each of the sync's exchanges: the hub's event
  // loop has all 24 to serve while the sync's requests arrive, without the test pacing anything by time.
  class TricklingTransport final : public sync::Transport {
   public:
    explicit TricklingTransport(std::vector<std::unique_ptr<RawConnection>>& tricklers)
        : tricklers_(tricklers) {}
    sync::HttpResult Post(const std::string& url, const std::string& path, const sync::Bytes& body,
                          const sync::HttpTimeouts& timeouts, const std::atomic<bool>* cancel) override {
      for (auto& t : tricklers_) EXPECT_TRUE(t->Send(std::string(1, 'x'))) << "the hub cut a trickler off";
      ++exchanges;
      return sync::Transport::Default()->Post(url, path, body, timeouts, cancel);
    }
    std::atomic<int> exchanges{0};

   private:
    std::vector<std::unique_ptr<RawConnection>>& tricklers_;
  };
  TricklingTransport trickling(tricklers);
  const auto started = std::chrono::steady_clock::now();
  auto r = QuickSync(&trickling);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
          .count();
  EXPECT_GE(trickling.exchanges.load(), 2) << "ping and pull, each after a byte from every trickler";
  ASSERT_TRUE(r.ok()) << "a sync while 24 connections trickle into a 2-worker hub: " << r.status().ToString();
  std::printf("sync (ping + pull) with 24 trickling connections open: %lld ms\n", static_cast<long long>(ms));
}

// Connections that declare the largest body and send none of it: together their declarations exceed
// the hub's budget for bodies in flight (128 MiB), which counts only bytes that arrived, so a device
// still syncs; and each of them is cut off once nothing has arrived for 10 s.
TEST_F(HubEdge, DeclaredBodiesThatNeverArriveHoldNothing) {
  StartHub();
  std::vector<std::unique_ptr<RawConnection>> stalled;
  for (int i = 0; i < 12; ++i) {
    stalled.push_back(std::make_unique<RawConnection>(hub_->port()));
    ASSERT_TRUE(stalled.back()->connected());
    ASSERT_TRUE(stalled.back()->Send("POST /v1/sync HTTP/1.1\r\nContent-Length: " +
                                     std::to_string(16u << 20) + "\r\n\r\n" + std::string(100, 'x')));
  }
  auto r = QuickSync();
  EXPECT_TRUE(r.ok()) << "12 x 16 MiB declared, 1.2 KiB sent: " << r.status().ToString();
  // Nothing more arrives: each is answered 408 and closed (within a minute; the limit is 10 s).
  EXPECT_EQ(StatusOf(stalled.front()->ReadAll(60000)), 408);
  EXPECT_TRUE(stalled.back()->ClosedByHub(15000));
}

TEST_F(HubEdge, ARequestThatTakesTooLongAsAWholeIsCutOff) {
  StartHub({"--request-timeout", "1"});
  RawConnection slow(hub_->port());
  ASSERT_TRUE(slow.connected());
  // One header byte every 100 ms: each read is quick, the request never ends. A per-read timeout never
  // fires; the whole-request deadline does.
  const std::string head = "POST /v1/sync HTTP/1.1\r\nX-Padding: " + std::string(400, 'p');
  const auto started = std::chrono::steady_clock::now();
  bool cut = false;
  for (size_t i = 0; i < head.size() && !cut; ++i) {
    cut = !slow.Send(std::string(1, head[i]));
    pollfd p{slow.fd(), POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) cut = true;  // the hub answered (408) or closed
  }
  const auto s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count();
  EXPECT_TRUE(cut) << "still open after " << s << " s of trickling";
  if (cut) {
    EXPECT_TRUE(slow.ClosedByHub(5000));
  }
  EXPECT_TRUE(QuickSync().ok());
}

TEST_F(HubEdge, OneAddressCannotHoldEveryConnection) {
  StartHub({"--max-connections-per-address", "4"});
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawConnection>(hub_->port(), "127.0.0.2"));
    ASSERT_TRUE(held.back()->connected());
    ASSERT_TRUE(held.back()->Send("POST /v1/sync HTTP/1.1\r\n"));
  }
  RawConnection fifth(hub_->port(), "127.0.0.2");
  ASSERT_TRUE(fifth.connected());
  const std::string answer = fifth.ReadAll(5000);
  EXPECT_EQ(StatusOf(answer), 503) << answer;
  EXPECT_TRUE(QuickSync().ok()) << "another address is still served";
}

TEST_F(HubEdge, MalformedRequestsAreRefusedClearly) {
  StartHub();
  auto ask = [&](const std::string& request) {
    RawConnection c(hub_->port());
    c.Send(request);
    return StatusOf(c.ReadAll(5000));
  };
  EXPECT_EQ(ask("GET /v1/sync HTTP/1.1\r\n\r\n"), 405);
  EXPECT_EQ(ask("POST /v1/other HTTP/1.1\r\nContent-Length: 0\r\n\r\n"), 404);
  EXPECT_EQ(ask("POST /v1/sync HTTP/1.1\r\n\r\n"), 411);
  EXPECT_EQ(ask("POST /v1/sync HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"), 400);
  EXPECT_EQ(ask("POST /v1/sync HTTP/1.1\r\nContent-Length: -5\r\n\r\n"), 400);
  EXPECT_EQ(ask("POST /v1/sync HTTP/1.1\r\nX: " + std::string(9000, 'x') + "\r\n\r\n"), 431);
  EXPECT_EQ(ask("POST /v1/sync HTTP/1.1\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello"), 400)
      << "not an envelope";
  EXPECT_EQ(ask("POST /v1/courier HTTP/1.1\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello"), 400)
      << "the courier's path is served, and refuses what is not an envelope";
  EXPECT_TRUE(QuickSync().ok());
}

}  // namespace
}  // namespace berth::testing

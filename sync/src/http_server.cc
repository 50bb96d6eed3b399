// The hub's HTTP listener (http_server.h): one poll loop with limits on connections, header and body
// sizes, slow senders and idle keep-alives, before any request reaches the hub.

#include "http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "berth/schema/text.h"

namespace berth::sync::internal {

namespace {

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

std::string ResponseBytes(int status, const Bytes& body, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) + "\r\n";
  out += status == 200 ? "Content-Type: application/octet-stream\r\n" : "Content-Type: text/plain\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (status == 503) out += "Retry-After: 5\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  out.append(body.begin(), body.end());
  return out;
}

std::string PeerAddress(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, text, sizeof text);
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, text, sizeof text);
  }
  return text;
}

}  // namespace

struct HttpServer::Impl {
  enum class Phase { kHeaders, kBody, kWorking, kWriting, kLingering };

  struct Connection {
    int fd = -1;
    uint64_t id = 0;
    std::string peer;
    Phase phase = Phase::kHeaders;
    std::string head;  // bytes of the request line and headers read so far
    Bytes body;
    size_t content_length = 0;
    size_t reserved = 0;  // bytes of the receiving budget held: what has arrived of this body
    std::string path;
    bool keep_alive = true;
    bool started = false;   // a byte of the current request has arrived
    bool detached = false;  // the peer went away while a worker had the request
    int64_t deadline_ms = 0;
    int64_t body_progress_ms = 0;  // when a byte of the body last arrived
    std::string out;
    size_t out_pos = 0;
    bool close_after_write = false;
    bool linger_after_write = false;
  };

  struct Job {
    uint64_t id;
    std::string path;
    Bytes body;
  };
  struct Done {
    uint64_t id;
    HttpAnswer answer;
  };

  ServerLimits limits;
  RequestHandler handler;
  Env* env = nullptr;  // the clock of every deadline
  int listen_fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;  // eventfd: a worker finished a request
  uint64_t next_id = 1;
  std::map<uint64_t, Connection> connections;
  std::map<int, uint64_t> by_fd;
  std::map<std::string, int> per_address;
  size_t receiving = 0;

  std::mutex mu;
  std::condition_variable work_ready;
  std::deque<Job> jobs;
  std::deque<Done> done;
  bool stopping = false;
  std::vector<std::thread> workers;

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping = true;
    }
    work_ready.notify_all();
    for (auto& t : workers) t.join();
    for (auto& [id, c] : connections) ::close(c.fd);
    for (int fd : {listen_fd, epoll_fd, wake_fd}) {
      if (fd >= 0) ::close(fd);
    }
  }

  void Watch(Connection& c, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = c.id;
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
  }

  void Close(uint64_t id) {
    auto it = connections.find(id);
    if (it == connections.end()) return;
    Connection& c = it->second;
    receiving -= c.reserved;
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    by_fd.erase(c.fd);
    if (--per_address[c.peer] <= 0) per_address.erase(c.peer);
    connections.erase(it);
  }

  // Starts (or queues) writing `status` to the peer. A refusal closes the connection after the answer,
  // draining (and discarding) whatever the peer still sends for a moment, so it reads the answer instead
  // of a reset.
  void Answer(Connection& c, int status, const Bytes& body, bool refusal) {
    receiving -= c.reserved;
    c.reserved = 0;
    c.body = Bytes();
    c.head.clear();
    c.keep_alive = c.keep_alive && !refusal;
    c.out = ResponseBytes(status, body, c.keep_alive);
    c.out_pos = 0;
    c.close_after_write = !c.keep_alive;
    c.linger_after_write = refusal;
    c.phase = Phase::kWriting;
    c.deadline_ms = env->MonotonicMs() + limits.body_deadline_ms +
                    static_cast<int64_t>(c.out.size() * 1000 / std::max<size_t>(limits.min_body_rate, 1));
    Write(c);
  }

  void Refuse(Connection& c, int status, const std::string& why) {
    Answer(c, status, Bytes(why.begin(), why.end()), true);
  }

  void Write(Connection& c) {
    while (c.out_pos < c.out.size()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_pos += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        Watch(c, EPOLLOUT);
        return;
      }
      if (n < 0 && errno == EINTR) continue;
      Close(c.id);
      return;
    }
    c.out.clear();
    c.out_pos = 0;
    if (c.linger_after_write) {
      ::shutdown(c.fd, SHUT_WR);
      c.phase = Phase::kLingering;
      c.deadline_ms = env->MonotonicMs() + limits.linger_ms;
      Watch(c, EPOLLIN);
      return;
    }
    if (c.close_after_write) {
      Close(c.id);
      return;
    }
    NextRequest(c);
  }

  void NextRequest(Connection& c) {
    c.phase = Phase::kHeaders;
    c.head.clear();
    c.body = Bytes();
    c.content_length = 0;
    c.path.clear();
    c.started = false;
    c.deadline_ms = env->MonotonicMs() + limits.idle_keep_alive_ms;
    Watch(c, EPOLLIN);
  }

  // The request line and headers are complete in c.head (up to and including the blank line).
  void OnHeaders(Connection& c, size_t header_end) {
    const std::string head = c.head.substr(0, header_end);
    std::string leftover = c.head.substr(header_end);
    c.head.clear();
    const size_t line_end = head.find("\r\n");
    const std::string line = head.substr(0, line_end);
    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string::npos ? std::string::npos : line.find(' ', sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) return Refuse(c, 400, "bad request line");
    const std::string method = line.substr(0, sp1);
    c.path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string version = line.substr(sp2 + 1);
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return Refuse(c, 400, "bad request line");
    c.keep_alive = version == "HTTP/1.1";
    bool has_length = false;
    size_t length = 0;
    size_t pos = line_end + 2;
    while (pos < head.size()) {
      const size_t end = head.find("\r\n", pos);
      if (end == std::string::npos || end == pos) break;
      const std::string field = head.substr(pos, end - pos);
      pos = end + 2;
      const size_t colon = field.find(':');
      if (colon == std::string::npos || colon == 0) return Refuse(c, 400, "bad header");
      const std::string name = AsciiLower(field.substr(0, colon));
      const std::string value = Trim(field.substr(colon + 1));
      if (name == "transfer-encoding") {
        return Refuse(c, 413, "refused: Transfer-Encoding is not accepted; send Content-Length");
      }
      if (name == "content-encoding" && AsciiLower(value) != "identity") {
        return Refuse(c, 413, "refused: Content-Encoding is not accepted; the payload carries its own");
      }
      if (name == "content-length") {
        if (has_length || value.empty() || value.size() > 12 ||
            value.find_first_not_of("0123456789") != std::string::npos) {
          return Refuse(c, 400, "bad Content-Length");
        }
        has_length = true;
        length = static_cast<size_t>(std::stoull(value));
      }
      if (name == "connection") {
        const std::string v = AsciiLower(value);
        if (v == "close") c.keep_alive = false;
        if (v == "keep-alive") c.keep_alive = true;
      }
    }
    if (method != "POST") return Refuse(c, 405, "only POST");
    if (c.path != "/v1/sync" && c.path != "/v1/enroll" && c.path != "/v1/courier") {
      return Refuse(c, 404, "no such path");
    }
    if (!has_length) return Refuse(c, 411, "Content-Length required");
    if (length > limits.max_body_bytes) return Refuse(c, 413, "too large");
    // The budget counts bytes that have arrived, never bytes declared: a declaration alone holds nothing.
    if (receiving >= limits.max_receiving_bytes) return Refuse(c, 503, "busy");
    c.content_length = length;
    const size_t take = std::min(leftover.size(), length);
    c.body.insert(c.body.end(), leftover.begin(), leftover.begin() + static_cast<std::ptrdiff_t>(take));
    receiving += take;
    c.reserved = take;
    // Bytes past this body belong to a next request on the connection: the peer must wait for our
    // answer before sending one (no pipelining), so they are refused rather than kept.
    if (leftover.size() > take) c.keep_alive = false;
    c.phase = Phase::kBody;
    c.body_progress_ms = env->MonotonicMs();
    c.deadline_ms = c.body_progress_ms + limits.body_deadline_ms +
                    static_cast<int64_t>(length * 1000 / std::max<size_t>(limits.min_body_rate, 1));
    if (c.body.size() == c.content_length) Dispatch(c);
  }

  void Dispatch(Connection& c) {
    c.phase = Phase::kWorking;
    Watch(c, 0);
    {
      std::lock_guard<std::mutex> lock(mu);
      jobs.push_back(Job{c.id, c.path, std::move(c.body)});
    }
    c.body = Bytes();
    work_ready.notify_one();
  }

  // Reads what the connection has; `c` may be closed (and gone) when this returns.
  void OnReadable(Connection& c) {
    const uint64_t id = c.id;
    char scratch[16384];
    while (true) {
      if (c.phase == Phase::kHeaders) {
        const size_t room = limits.max_header_bytes + 1 - c.head.size();
        const ssize_t n = ::recv(c.fd, scratch, std::min(sizeof scratch, room), 0);
        if (n == 0) return Close(c.id);
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK) Close(c.id);
          return;
        }
        if (!c.started) {
          c.started = true;
          c.deadline_ms = env->MonotonicMs() + limits.request_deadline_ms;
        }
        const size_t search_from = c.head.size() > 3 ? c.head.size() - 3 : 0;
        c.head.append(scratch, static_cast<size_t>(n));
        const size_t end = c.head.find("\r\n\r\n", search_from);
        if (end != std::string::npos && end + 4 <= limits.max_header_bytes) {
          OnHeaders(c, end + 4);
          if (connections.count(id) == 0 || c.phase != Phase::kBody) return;
          continue;
        }
        if (c.head.size() > limits.max_header_bytes) return Refuse(c, 431, "headers too large");
      } else if (c.phase == Phase::kBody) {
        const size_t want = c.content_length - c.body.size();
        const size_t old = c.body.size();
        c.body.resize(old + std::min(want, sizeof scratch * 4));
        const ssize_t n = ::recv(c.fd, c.body.data() + old, c.body.size() - old, 0);
        c.body.resize(old + static_cast<size_t>(std::max<ssize_t>(n, 0)));
        if (n == 0) return Close(c.id);
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno != EAGAIN && errno != EWOULDBLOCK) Close(c.id);
          return;
        }
        c.reserved += static_cast<size_t>(n);
        receiving += static_cast<size_t>(n);
        c.body_progress_ms = env->MonotonicMs();
        if (receiving > limits.max_receiving_bytes) return Refuse(c, 503, "busy");
        if (c.body.size() == c.content_length) return Dispatch(c);
      } else if (c.phase == Phase::kLingering) {
        const ssize_t n = ::recv(c.fd, scratch, sizeof scratch, 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
          return Close(c.id);
        }
        if (n < 0 && errno != EINTR) return;
      } else {
        return;
      }
    }
  }

  void Accept() {
    while (true) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd =
          ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or out of descriptors: the rest wait in the backlog
      const std::string peer = PeerAddress(addr);
      if (static_cast<int>(connections.size()) >= limits.max_connections ||
          per_address[peer] >= limits.max_connections_per_address) {
        if (per_address[peer] == 0) per_address.erase(peer);
        // Best effort, one non-blocking write: the peer learns why, and holds nothing of ours.
        const std::string busy = ResponseBytes(503, Bytes{'b', 'u', 's', 'y'}, false);
        (void)::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL);
        ::close(fd);
        continue;
      }
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      Connection c;
      c.fd = fd;
      c.id = next_id++;
      c.peer = peer;
      c.deadline_ms = env->MonotonicMs() + limits.request_deadline_ms;
      per_address[peer]++;
      by_fd[fd] = c.id;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = c.id;
      connections.emplace(c.id, std::move(c));
      epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
    }
  }

  void Expire() {
    const int64_t now = env->MonotonicMs();
    std::vector<uint64_t> late;
    for (auto& [id, c] : connections) {
      const bool stalled = c.phase == Phase::kBody && now - c.body_progress_ms >= limits.body_stall_ms;
      if (c.phase != Phase::kWorking && (now >= c.deadline_ms || stalled)) late.push_back(id);
    }
    for (uint64_t id : late) {
      Connection& c = connections.at(id);
      // A request still arriving at its deadline is told so; an idle, answering or draining one just ends.
      if ((c.phase == Phase::kHeaders && c.started) || c.phase == Phase::kBody) {
        Refuse(c, 408, "request deadline passed");
        if (connections.count(id) != 0) connections.at(id).deadline_ms = now + limits.linger_ms;
      } else {
        Close(id);
      }
    }
  }

  void Finished() {
    uint64_t count = 0;
    (void)::read(wake_fd, &count, sizeof count);
    std::deque<Done> ready;
    {
      std::lock_guard<std::mutex> lock(mu);
      ready.swap(done);
    }
    for (Done& d : ready) {
      auto it = connections.find(d.id);
      if (it == connections.end()) continue;
      Connection& c = it->second;
      if (c.detached) {
        Close(c.id);
        continue;
      }
      Answer(c, d.answer.status, d.answer.body, false);
    }
  }

  void Work() {
    while (true) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mu);
        work_ready.wait(lock, [&] { return stopping || !jobs.empty(); });
        if (stopping) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      HttpAnswer answer = handler(job.path, job.body);
      job.body = Bytes();
      {
        std::lock_guard<std::mutex> lock(mu);
        done.push_back(Done{job.id, std::move(answer)});
      }
      const uint64_t one = 1;
      (void)::write(wake_fd, &one, sizeof one);
    }
  }
};

HttpServer::HttpServer(ServerLimits limits, RequestHandler handler, Env& env)
    : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
  impl_->handler = std::move(handler);
  impl_->env = &env;
}

HttpServer::~HttpServer() = default;

Result<int> HttpServer::Bind(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found) != 0) {
    return NetworkError("cannot resolve " + host);
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, 1024) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return NetworkError("cannot listen on " + host + ":" + service);
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  impl_->listen_fd = fd;
  return static_cast<int>(ntohs(bound.ss_family == AF_INET6
                                    ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                    : reinterpret_cast<sockaddr_in&>(bound).sin_port));
}

Status HttpServer::Run(std::atomic<bool>* stop) {
  Impl& s = *impl_;
  if (s.listen_fd < 0) return InternalError("HttpServer::Run before Bind");
  s.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  s.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s.epoll_fd < 0 || s.wake_fd < 0) return IoError("cannot create the hub's event loop");
  constexpr uint64_t kListenId = 0;
  constexpr uint64_t kWakeId = ~uint64_t{0};
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenId;
  epoll_ctl(s.epoll_fd, EPOLL_CTL_ADD, s.listen_fd, &ev);
  ev.data.u64 = kWakeId;
  epoll_ctl(s.epoll_fd, EPOLL_CTL_ADD, s.wake_fd, &ev);
  for (int i = 0; i < std::max(1, s.limits.workers); ++i) s.workers.emplace_back([&s] { s.Work(); });
  epoll_event events[64];
  while (!stop->load()) {
    const int n = epoll_wait(s.epoll_fd, events, 64, 100);
    if (n < 0 && errno != EINTR) return IoError("the hub's event loop failed");
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kListenId) {
        s.Accept();
        continue;
      }
      if (id == kWakeId) {
        s.Finished();
        continue;
      }
      auto it = s.connections.find(id);
      if (it == s.connections.end()) continue;
      Impl::Connection& c = it->second;
      if (c.phase == Impl::Phase::kWorking) {
        // The peer hung up while a worker has its request: stop watching, close when the answer comes.
        c.detached = true;
        epoll_ctl(s.epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
        continue;
      }
      if (c.phase == Impl::Phase::kWriting) {
        if (events[i].events & (EPOLLERR | EPOLLHUP)) {
          s.Close(id);
        } else {
          s.Write(c);
        }
        continue;
      }
      s.OnReadable(c);
    }
    s.Expire();
  }
  return Status::Ok();
}

}  // namespace berth::sync::internal

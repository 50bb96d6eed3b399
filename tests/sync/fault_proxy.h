// A TCP proxy on 127.0.0.1 between a device and a hub that cuts chosen connections after a chosen number
// of bytes in either direction, as a dropped Wi-Fi link would; that can take the network down altogether
// (every connection closed as it arrives) and bring it back; and that can hold the hub's answers back (a
// hub that never answers) until told. One connection at a time: a request a device sends ahead (the next
// pull page, the next push batch) waits in the listen queue until the one before it is done.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

namespace berth::testing {

class FaultProxy {
 public:
  explicit FaultProxy(int hub_port) : hub_port_(hub_port) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(listen_fd_, 16);
    thread_ = std::thread([this] { Loop(); });
  }
  ~FaultProxy() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    thread_.join();
  }
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Cut connection number `connection` (0-based, counted from now) once `bytes` have gone through in
  // the given direction (to_hub: request; else answer).
  void CutAt(int connection, bool to_hub, int64_t bytes) {
    cut_connection_ = connection;
    cut_to_hub_ = to_hub;
    cut_bytes_ = bytes;
    connections_ = 0;
  }
  void NoCuts() { cut_connection_ = -1; }
  int cuts() const { return cuts_; }
  // Down: every connection is closed as soon as it is accepted, as with no network.
  void SetDown(bool down) { down_ = down; }
  // Holding: requests reach the hub but its answers wait in the proxy until released.
  void HoldAnswers(bool hold) { hold_ = hold; }
  int connections_seen() const { return seen_; }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      const int client = accept(listen_fd_, nullptr, nullptr);
      if (client < 0) continue;
      ++seen_;
      if (down_) {
        close(client);
        continue;
      }
      const int index = connections_++;
      Serve(client, index == cut_connection_);
    }
  }

  void Serve(int client, bool cut_this) {
    const int hub = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(hub_port_));
    if (connect(hub, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(client);
      close(hub);
      return;
    }
    int64_t sent[2] = {0, 0};  // [0] device->hub, [1] hub->device
    char buf[8192];
    bool open = true;
    while (open && !stop_) {
      pollfd fds[2] = {{client, POLLIN, 0}, {hub, POLLIN, 0}};
      if (poll(fds, hold_ ? 1 : 2, 100) < 0) break;
      if (hold_) fds[1].revents = 0;
      for (int i = 0; i < 2 && open; ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const int from = i == 0 ? client : hub;
        const int to = i == 0 ? hub : client;
        ssize_t n = read(from, buf, sizeof buf);
        if (n <= 0) {
          open = false;
          break;
        }
        const bool dir_to_hub = i == 0;
        if (cut_this && dir_to_hub == cut_to_hub_ && sent[i] + n >= cut_bytes_) {
          const ssize_t keep = static_cast<ssize_t>(std::max<int64_t>(0, cut_bytes_ - sent[i]));
          if (keep > 0 && write(to, buf, static_cast<size_t>(keep)) < 0) {
          }
          ++cuts_;
          open = false;
          break;
        }
        if (write(to, buf, static_cast<size_t>(n)) != n) open = false;
        sent[i] += n;
      }
    }
    shutdown(client, SHUT_RDWR);
    shutdown(hub, SHUT_RDWR);
    close(client);
    close(hub);
  }

  int hub_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> cut_connection_{-1};
  std::atomic<bool> cut_to_hub_{false};
  std::atomic<int64_t> cut_bytes_{0};
  std::atomic<int> cuts_{0};
  std::atomic<bool> down_{false};
  std::atomic<bool> hold_{false};
  std::atomic<int> seen_{0};
};

}  // namespace berth::testing

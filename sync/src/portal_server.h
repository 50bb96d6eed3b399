// The provider portal's HTTPS listener (PROTOCOL.md section 14): cpp-httplib's SSLServer (Debian builds it
// with OpenSSL) with a PEM certificate and key, bounded bodies and timeouts, every answer carrying the
// portal's security headers. It parses requests (forms, multipart uploads, cookies) for Portal (portal.h),
// which answers them. Its own listener, beside the sync protocol's (section 1). Private to berth_sync.
#pragma once

#include <memory>
#include <string>

#include "berth/schema/status.h"
#include "portal.h"

namespace berth::sync::internal {

class PortalServer {
 public:
  explicit PortalServer(Portal& portal);
  ~PortalServer();
  PortalServer(const PortalServer&) = delete;
  PortalServer& operator=(const PortalServer&) = delete;

  // Loads the certificate and key (kBadInput when they do not load) and binds (port 0: any free one);
  // returns the bound port.
  Result<int> Bind(const std::string& host, int port, const std::string& cert_file,
                   const std::string& key_file);
  // Serves until Stop() (from another thread).
  void Run();
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::sync::internal

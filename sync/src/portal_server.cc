// The provider portal's HTTPS listener (portal_server.h).
#include "portal_server.h"

#include <httplib.h>

#include <fstream>

namespace berth::sync::internal {

namespace {

constexpr size_t kMaxPortalBody = 1u << 20;  // a form or a capacity return: 1 MiB is plenty

std::map<std::string, std::string> ParseCookies(const std::string& header) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i < header.size()) {
    size_t end = header.find(';', i);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(i, end - i);
    const size_t start = part.find_first_not_of(' ');
    if (start != std::string::npos) part = part.substr(start);
    if (auto eq = part.find('='); eq != std::string::npos)
      out.emplace(part.substr(0, eq), part.substr(eq + 1));
    i = end + 1;
  }
  return out;
}

}  // namespace

struct PortalServer::Impl {
  Portal& portal;
  std::unique_ptr<httplib::SSLServer> server;
  explicit Impl(Portal& p) : portal(p) {}

  void Answer(const httplib::Request& req, httplib::Response& res) {
    PortalRequest r;
    r.method = req.method;
    r.path = req.path;
    r.peer = req.remote_addr;
    r.cookies = ParseCookies(req.get_header_value("Cookie"));
    if (req.method == "POST") {
      if (req.is_multipart_form_data()) {
        for (const auto& [name, file] : req.files) {
          if (name == "csv") {
            r.upload = file.content;
          } else {
            r.form[name] = file.content;
          }
        }
      } else {
        for (const auto& [name, value] : req.params) r.form[name] = value;
      }
    }
    PortalAnswer a = portal.Handle(r);
    for (const auto& [name, value] : PortalSecurityHeaders()) res.set_header(name, value);
    for (const auto& c : a.set_cookies) res.set_header("Set-Cookie", c);
    res.status = a.status;
    if (a.status == 303) {
      res.set_header("Location", a.location);
      return;
    }
    res.set_content(a.body, a.content_type);
  }
};

PortalServer::PortalServer(Portal& portal) : impl_(std::make_unique<Impl>(portal)) {}
PortalServer::~PortalServer() = default;

Result<int> PortalServer::Bind(const std::string& host, int port, const std::string& cert_file,
                               const std::string& key_file) {
  for (const auto& f : {cert_file, key_file}) {
    if (!std::ifstream(f).good()) return IoError("cannot read " + f);
  }
  impl_->server = std::make_unique<httplib::SSLServer>(cert_file.c_str(), key_file.c_str());
  if (!impl_->server->is_valid()) {
    return BadInput("the TLS certificate or key does not load (PEM files, the key matching the certificate)");
  }
  auto& s = *impl_->server;
  s.set_payload_max_length(kMaxPortalBody);
  s.set_read_timeout(10, 0);
  s.set_write_timeout(10, 0);
  s.set_keep_alive_timeout(5);
  s.set_keep_alive_max_count(100);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { impl_->Answer(req, res); };
  s.Get(".*", handler);
  s.Post(".*", handler);
  const int bound =
      port == 0 ? s.bind_to_any_port(host.c_str()) : (s.bind_to_port(host.c_str(), port) ? port : -1);
  if (bound <= 0) return IoError("the portal cannot listen on " + host + ":" + std::to_string(port));
  return bound;
}

void PortalServer::Run() {
  if (impl_->server) impl_->server->listen_after_bind();
}

void PortalServer::Stop() {
  if (impl_->server) impl_->server->stop();
}

}  // namespace berth::sync::internal

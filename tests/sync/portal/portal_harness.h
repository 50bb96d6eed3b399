// The provider portal under test: a real berth-hub serving it over HTTPS on loopback with a self-signed
// certificate the test makes (openssl), a broker laptop that seeds the supply and the offers, and an
// HTTPS client that keeps cookies and fills forms as a browser would (cpp-httplib, the certificate pinned
// as the only CA).
#pragma once

#include <httplib.h>

#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "hub_harness.h"

namespace berth::testing {

// A self-signed certificate for 127.0.0.1 and localhost (EC P-256, one day); returns {cert, key}.
inline std::pair<std::string, std::string> MakeSelfSignedCertificate(const std::string& dir) {
  const std::string cert = dir + "/portal-cert.pem", key = dir + "/portal-key.pem";
  std::string out;
  const int rc = RunCommand(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost"
      " -addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
          key + " -out " + cert + " 2>&1",
      &out);
  EXPECT_EQ(rc, 0) << out;
  return {cert, key};
}

struct PortalPage {
  int status = 0;
  std::string body;
  std::string location;
  httplib::Headers headers;
  // The CSRF token of the page's first form ("" when none).
  std::string Csrf() const {
    std::smatch m;
    return std::regex_search(body, m, std::regex("name=\"csrf\" value=\"([0-9a-f]+)\"")) ? m[1].str() : "";
  }
};

// A browser without JavaScript: keeps the cookies it is given, sends forms.
class PortalClient {
 public:
  PortalClient(int port, const std::string& ca_file) : client_("127.0.0.1", port) {
    client_.set_ca_cert_path(ca_file.c_str());
    client_.enable_server_certificate_verification(true);
  }
  PortalPage Get(const std::string& path) { return Take(client_.Get(path.c_str(), CookieHeader())); }
  PortalPage Post(const std::string& path, const std::map<std::string, std::string>& form) {
    httplib::Params params(form.begin(), form.end());
    return Take(client_.Post(path.c_str(), CookieHeader(), params));
  }
  PortalPage Upload(const std::string& path, const std::string& csrf, const std::string& csv) {
    httplib::MultipartFormDataItems items = {{"csrf", csrf, "", ""}, {"csv", csv, "return.csv", "text/csv"}};
    return Take(client_.Post(path.c_str(), CookieHeader(), items));
  }
  std::map<std::string, std::string>& cookies() { return cookies_; }
  std::vector<std::string> set_cookie_lines;  // every Set-Cookie seen, whole

 private:
  httplib::Headers CookieHeader() const {
    std::string c;
    for (const auto& [k, v] : cookies_) c += (c.empty() ? "" : "; ") + k + "=" + v;
    return c.empty() ? httplib::Headers{} : httplib::Headers{{"Cookie", c}};
  }
  PortalPage Take(const httplib::Result& r) {
    PortalPage p;
    if (!r) {
      ADD_FAILURE() << "no answer from the portal: " << httplib::to_string(r.error());
      return p;
    }
    p.status = r->status;
    p.body = r->body;
    p.location = r->get_header_value("Location");
    p.headers = r->headers;
    for (const auto& [k, v] : r->headers) {
      if (k != "Set-Cookie") continue;
      set_cookie_lines.push_back(v);
      const auto eq = v.find('='), semi = v.find(';');
      const std::string name = v.substr(0, eq), value = v.substr(eq + 1, semi - eq - 1);
      if (value.empty()) {
        cookies_.erase(name);
      } else {
        cookies_[name] = value;
      }
    }
    return p;
  }
  httplib::SSLClient client_;
  std::map<std::string, std::string> cookies_;
};

// A hub with its portal, and a broker laptop that knows the supply.
class PortalHub {
 public:
  explicit PortalHub(const TempDir& tmp) : hub(tmp.Sub("hub")) {
    std::tie(cert, key) = MakeSelfSignedCertificate(tmp.path());
    const std::string port_file = tmp.Sub("hub.portal-port");
    // Eight failed sign-ins from one address (loopback: every client of the test) close it for a while.
    hub.Start({}, {"--tls-cert", cert, "--tls-key", key, "--portal-listen", "127.0.0.1:0",
                   "--portal-failures-per-address", "8", "--portal-port-file", port_file});
    portal_port = std::stoi(ReadFileText(port_file));
  }

  // `berth-hub provider invite --json`: {account_id, link, ...}.
  nlohmann::json Invite(const std::string& cqc_location_id, const std::string& email) {
    std::string out;
    const int rc = RunCommand(Program("sync/hub/berth-hub") + hub.where() + " provider invite --json" +
                                  " --cqc-location-id " + cqc_location_id + " --email " + email +
                                  " --portal-url https://127.0.0.1:" + std::to_string(portal_port),
                              &out);
    EXPECT_EQ(rc, 0) << out;
    const size_t line = out.rfind("\n{");
    auto json = nlohmann::json::parse(out.substr(line == std::string::npos ? 0 : line + 1), nullptr, false);
    EXPECT_TRUE(json.is_object()) << out;
    return json.is_object() ? json : nlohmann::json::object();
  }

  // Invites, sets the password through the link's form and signs in: a client with a session.
  std::unique_ptr<PortalClient> SignedInProvider(const std::string& cqc_location_id, const std::string& email,
                                                 const std::string& password) {
    const nlohmann::json invite = Invite(cqc_location_id, email);
    auto c = Client();
    const std::string link = invite.value("link", "");
    const std::string path = link.substr(link.find("/invite/"));
    PortalPage form = c->Get(path);
    EXPECT_EQ(form.status, 200) << form.body;
    PortalPage set = c->Post(
        "/invite",
        {{"csrf", form.Csrf()}, {"token", path.substr(8)}, {"password", password}, {"confirm", password}});
    EXPECT_EQ(set.status, 303) << set.body;
    PortalPage sign_in = c->Get("/sign-in");
    PortalPage in = c->Post("/sign-in", {{"csrf", sign_in.Csrf()}, {"email", email}, {"password", password}});
    EXPECT_EQ(in.status, 303) << in.body;
    EXPECT_EQ(in.location, "/offers");
    return c;
  }

  // Invites, sets the password and tries to sign in: the sign-in's HTTP status.
  int SignedInProviderStatus(const std::string& cqc_location_id, const std::string& email,
                             const std::string& password) {
    const std::string link = Invite(cqc_location_id, email).value("link", "");
    auto c = Client();
    const std::string path = link.substr(link.find("/invite/"));
    PortalPage form = c->Get(path);
    c->Post(
        "/invite",
        {{"csrf", form.Csrf()}, {"token", path.substr(8)}, {"password", password}, {"confirm", password}});
    PortalPage sign_in = c->Get("/sign-in");
    return c->Post("/sign-in", {{"csrf", sign_in.Csrf()}, {"email", email}, {"password", password}}).status;
  }

  std::unique_ptr<PortalClient> Client() { return std::make_unique<PortalClient>(portal_port, cert); }

  HubProcess hub;
  std::string cert, key;
  int portal_port = 0;
};

}  // namespace berth::testing

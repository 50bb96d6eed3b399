// A WebDriver client for the portal's browser test: starts Debian's chromedriver, drives headless
// Chromium over the W3C WebDriver HTTP protocol (cpp-httplib's client, nlohmann-json), and injects
// axe-core (installed by `make deps` from npm at a pinned version) to check a page for accessibility
// violations. Always ends the session and the driver when it goes.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/test_support.h"

namespace berth::testing {

inline constexpr char kAxeScript[] = "/usr/local/share/berth-axe/node_modules/axe-core/axe.min.js";
inline constexpr char kElementKey[] = "element-6066-11e4-a52e-4f735466cecf";

class WebDriver {
 public:
  // Starts chromedriver and a headless Chromium session (self-signed certificates accepted: the test's).
  explicit WebDriver(const std::string& profile_dir) {
    port_ = FreePort();
    pid_ = fork();
    if (pid_ == 0) {
      const std::string port = "--port=" + std::to_string(port_);
      FILE* f = std::freopen("/dev/null", "w", stdout);
      if (f != nullptr) dup2(fileno(stdout), STDERR_FILENO);
      execl("/usr/bin/chromedriver", "chromedriver", port.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    client_->set_read_timeout(60, 0);
    // A bounded wait for the driver to listen, not a timing.
    for (int i = 0; i < 2000; ++i) {
      if (auto r = client_->Get("/status"); r && r->status == 200) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const nlohmann::json caps = {
        {"capabilities",
         {{"alwaysMatch",
           {{"browserName", "chrome"},
            {"acceptInsecureCerts", true},
            {"goog:chromeOptions",
             {{"binary", "/usr/bin/chromium"},
              {"args",
               {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1100,900", "--user-data-dir=" + profile_dir}}}}}}}}};
    const nlohmann::json r = Call("POST", "/session", caps);
    session_ = r["value"].value("sessionId", "");
    EXPECT_FALSE(session_.empty()) << r.dump();
  }
  ~WebDriver() {
    if (!session_.empty()) client_->Delete(("/session/" + session_).c_str());
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  WebDriver(const WebDriver&) = delete;
  WebDriver& operator=(const WebDriver&) = delete;
  bool ok() const { return !session_.empty(); }

  // Waits (bounded: 20 s) until the page's source holds `text`, as a form's answer arrives after a click;
  // returns whether it did.
  bool WaitForText(const std::string& text) {
    for (int i = 0; i < 400; ++i) {
      if (Source().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void Go(const std::string& url) { Session("POST", "/url", {{"url", url}}); }
  std::string Source() { return Session("GET", "/source", nullptr)["value"].get<std::string>(); }
  std::string Url() { return Session("GET", "/url", nullptr)["value"].get<std::string>(); }
  // The first element the CSS selector finds ("" when none).
  std::string Find(const std::string& css) {
    const nlohmann::json r = Session("POST", "/element", {{"using", "css selector"}, {"value", css}});
    return r["value"].is_object() ? r["value"].value(kElementKey, "") : "";
  }
  void Type(const std::string& css, const std::string& text) {
    const std::string e = Find(css);
    ASSERT_FALSE(e.empty()) << "no element " << css;
    Session("POST", "/element/" + e + "/value", {{"text", text}});
  }
  void Click(const std::string& css) {
    const std::string e = Find(css);
    ASSERT_FALSE(e.empty()) << "no element " << css;
    Session("POST", "/element/" + e + "/click", nlohmann::json::object());
  }
  // Saves the page as PNG.
  void Screenshot(const std::string& file) {
    const std::string b64 = Session("GET", "/screenshot", nullptr)["value"].get<std::string>();
    std::string png(b64.size(), '\0');
    size_t n = 0;
    ASSERT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(png.data()), png.size(), b64.data(),
                                b64.size(), nullptr, &n, nullptr, sodium_base64_VARIANT_ORIGINAL),
              0);
    png.resize(n);
    WriteFileBytes(file, std::vector<uint8_t>(png.begin(), png.end()));
  }
  // axe-core's WCAG 2.x A and AA rules on the current page: each violation as "id (n nodes): help".
  // axe is given to Chromium once, to load into every page it opens (DevTools'
  // Page.addScriptToEvaluateOnNewDocument through chromedriver): sending its 560 KB with each check took
  // most of a second a page.
  std::vector<std::string> AccessibilityViolations() {
    if (axe_.empty()) {
      axe_ = ReadFileText(kAxeScript);
      EXPECT_FALSE(axe_.empty()) << "axe-core is not installed at " << kAxeScript
                                 << " (make deps installs it)";
      Session("POST", "/goog/cdp/execute",
              {{"cmd", "Page.addScriptToEvaluateOnNewDocument"}, {"params", {{"source", axe_}}}});
      Session("POST", "/execute/sync", {{"script", axe_ + "\nreturn 1;"}, {"args", nlohmann::json::array()}});
    }
    const nlohmann::json r = Session(
        "POST", "/execute/async",
        {{"script",
          "const done = arguments[arguments.length - 1];"
          "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
          " 'wcag22aa']}}).then(r => done(r.violations.map(v => v.id + ' (' + v.nodes.length + ' nodes): ' +"
          " v.help + ' ' + v.nodes.map(n => n.target.join(' ')).join(' | '))), e => done(['axe failed: ' + "
          "e]));"},
         {"args", nlohmann::json::array()}});
    std::vector<std::string> out;
    if (!r["value"].is_array()) {
      out.push_back("axe did not answer: " + r.dump());
      return out;
    }
    for (const auto& v : r["value"]) out.push_back(v.get<std::string>());
    return out;
  }

 private:
  static int FreePort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    const int port = ntohs(a.sin_port);
    close(fd);
    return port;
  }
  nlohmann::json Session(const std::string& method, const std::string& path, const nlohmann::json& body) {
    return Call(method, "/session/" + session_ + path, body);
  }
  nlohmann::json Call(const std::string& method, const std::string& path, const nlohmann::json& body) {
    httplib::Result r = method == "GET" ? client_->Get(path.c_str())
                                        : client_->Post(path.c_str(), body.dump(), "application/json");
    if (!r) {
      ADD_FAILURE() << "WebDriver " << method << " " << path << ": " << httplib::to_string(r.error());
      return nlohmann::json::object();
    }
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    EXPECT_EQ(r->status, 200) << method << " " << path << ": " << r->body.substr(0, 500);
    return j.is_discarded() ? nlohmann::json::object() : j;
  }

  pid_t pid_ = -1;
  int port_ = 0;
  std::unique_ptr<httplib::Client> client_;
  std::string session_;
  std::string axe_;
};

}  // namespace berth::testing

// One private X server for a test: `Xvfb -displayfd` picks a free display itself and writes its number to a
// pipe once it accepts connections, so nothing races another test's server for a display number, and the
// server is killed and reaped when the test ends, whatever the program under test did. (xvfb-run -a, used
// before, guesses a free number from lock files and, when its clean-up fails, exits 5 and leaves its server
// running.) Test-only; POSIX.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace berth::e2e {

class Xvfb {
 public:
  // `screen` is Xvfb's WIDTHxHEIGHTxDEPTH, large enough for the windows the test opens.
  explicit Xvfb(const std::string& screen = "1280x1024x24") {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(fds[0]);
      const std::string fd = std::to_string(fds[1]);
      // The server's chatter (font path warnings) is not the test's output.
      if (std::FILE* null = std::freopen("/dev/null", "w", stderr); null == nullptr) _exit(126);
      execlp("Xvfb", "Xvfb", "-displayfd", fd.c_str(), "-screen", "0", screen.c_str(), "-nolisten", "tcp",
             static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    std::string number;
    char c;
    while (pid_ > 0 && read(fds[0], &c, 1) == 1 && c != '\n') number += c;
    close(fds[0]);
    if (!number.empty()) display_ = ":" + number;
  }
  ~Xvfb() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  Xvfb(const Xvfb&) = delete;
  Xvfb& operator=(const Xvfb&) = delete;

  // Empty when the server did not start.
  const std::string& display() const { return display_; }
  // Put before a shell command: runs it on this server.
  std::string Prefix() const { return "env DISPLAY=" + display_ + " "; }

 private:
  pid_t pid_ = -1;
  std::string display_;
};

}  // namespace berth::e2e

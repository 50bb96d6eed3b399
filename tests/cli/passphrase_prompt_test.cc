// Typing a passphrase at a terminal (issue 15, finding 7), through the real `berth` program on a
// pseudo-terminal, as a person would: a new passphrase is asked twice and two different entries change
// nothing; Ctrl-C at the prompt leaves the terminal echoing again; while it waits at a prompt the
// process holds no passphrase in its environment and cannot dump core.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace berth {
namespace {

using testing::Program;
using testing::ReadFileBytes;
using testing::ReadFileText;
using testing::RunCommand;
using testing::TempDir;

// `berth` run on a pseudo-terminal with the given arguments and extra environment.
class Terminal {
 public:
  Terminal(const std::vector<std::string>& args, const std::vector<std::string>& env = {}) {
    char name[256] = {0};
    pid_ = forkpty(&master_, name, nullptr, nullptr);
    if (pid_ == 0) {
      for (const char* var : {"BERTH_PASSPHRASE", "BERTH_NEW_PASSPHRASE", "BERTH_RECOVERY_KEY"})
        unsetenv(var);
      for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
      std::vector<std::string> all = {Program("app/berth")};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (std::string& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    slave_ = name;
  }
  ~Terminal() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) close(master_);
  }
  pid_t pid() const { return pid_; }

  // Reads what the program writes until `text` has appeared (true) or it stops writing for 60 s, or
  // ends (false). Only a hung program takes that long.
  bool WaitFor(const std::string& text) {
    while (output_.find(text, seen_) == std::string::npos) {
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, 60000) <= 0) return false;
      char buf[512];
      const ssize_t n = read(master_, buf, sizeof buf);
      if (n <= 0) return false;
      output_.append(buf, static_cast<size_t>(n));
    }
    seen_ = output_.find(text, seen_) + text.size();
    return true;
  }
  void Type(const std::string& keys) {
    ASSERT_EQ(write(master_, keys.data(), keys.size()), ssize_t(keys.size()));
  }
  // Whether the terminal echoes what is typed (its settings, read through the terminal itself).
  bool Echoes() const {
    const int fd = open(slave_.c_str(), O_RDWR | O_NOCTTY);
    EXPECT_GE(fd, 0);
    termios t{};
    EXPECT_EQ(tcgetattr(fd, &t), 0);
    close(fd);
    return (t.c_lflag & ECHO) != 0;
  }
  // Waits for the program to end (draining what it still writes); its wait status.
  int Finish() {
    char buf[512];
    while (true) {
      pollfd p{master_, POLLIN, 0};
      if (poll(&p, 1, 60000) <= 0) break;
      const ssize_t n = read(master_, buf, sizeof buf);
      if (n <= 0) break;
      output_.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    return status;
  }
  const std::string& output() const { return output_; }

 private:
  int master_ = -1;
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::string slave_;
  std::string output_;
  size_t seen_ = 0;
};

TEST(PassphrasePrompt, ANewPassphraseIsTypedTwiceAndTwoDifferentEntriesChangeNothing) {
  TempDir tmp;
  const std::string store = tmp.Sub("store");
  {
    Terminal t({"--store", store, "init"});
    ASSERT_TRUE(t.WaitFor("passphrase: ")) << t.output();
    EXPECT_FALSE(t.Echoes()) << "a passphrase is typed without echo";
    t.Type("correct horse battery\r");
    ASSERT_TRUE(t.WaitFor("again: ")) << t.output();
    t.Type("correct horse batterx\r");
    const int status = t.Finish();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 2) << t.output();
    EXPECT_NE(t.output().find("the two entries differ"), std::string::npos) << t.output();
    EXPECT_EQ(t.output().find("correct horse"), std::string::npos) << "never echoed";
  }
  EXPECT_FALSE(std::filesystem::exists(store + "/berth.key")) << "nothing was created";
  {
    Terminal t({"--store", store, "init"});
    ASSERT_TRUE(t.WaitFor("passphrase: ")) << t.output();
    t.Type("correct horse battery\r");
    ASSERT_TRUE(t.WaitFor("again: ")) << t.output();
    t.Type("correct horse battery\r");
    const int status = t.Finish();
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << t.output();
  }
  std::string out;
  EXPECT_EQ(RunCommand("BERTH_PASSPHRASE='correct horse battery' " + Program("app/berth") + " --store " +
                           store + " info",
                       &out),
            0)
      << out;
}

TEST(PassphrasePrompt, CtrlCAtThePromptLeavesTheTerminalEchoing) {
  TempDir tmp;
  Terminal t({"--store", tmp.Sub("store"), "init"});
  ASSERT_TRUE(t.WaitFor("passphrase: ")) << t.output();
  ASSERT_FALSE(t.Echoes());
  t.Type("half a pass");
  t.Type("\x03");  // Ctrl-C: the terminal sends SIGINT to the program
  const int status = t.Finish();
  ASSERT_TRUE(WIFSIGNALED(status)) << t.output();
  EXPECT_EQ(WTERMSIG(status), SIGINT);
  EXPECT_TRUE(t.Echoes()) << "the terminal was left without echo";
  EXPECT_FALSE(std::filesystem::exists(tmp.Sub("store") + "/berth.key"));
}

TEST(PassphrasePrompt, WhileItWaitsTheProcessHoldsNoPassphraseInItsEnvironmentAndCannotDumpCore) {
  TempDir tmp;
  const std::string store = tmp.Sub("store");
  const std::string old_passphrase = "the old passphrase 4417";
  ASSERT_EQ(RunCommand("BERTH_PASSPHRASE='" + old_passphrase + "' " + Program("app/berth") + " --store " +
                       store + " init >/dev/null"),
            0);
  // `berth passphrase` reads the old passphrase from its environment, then asks for the new one.
  Terminal t({"--store", store, "passphrase"}, {"BERTH_PASSPHRASE=" + old_passphrase});
  ASSERT_TRUE(t.WaitFor("new passphrase: ")) << t.output();
  const auto environ = ReadFileBytes("/proc/" + std::to_string(t.pid()) + "/environ");
  const std::string env(environ.begin(), environ.end());
  // /proc/PID/environ shows the block the process started with: the value was overwritten there.
  EXPECT_EQ(env.find(old_passphrase), std::string::npos) << "its children would inherit it";
  const std::string limits = ReadFileText("/proc/" + std::to_string(t.pid()) + "/limits");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(limits, m, std::regex("Max core file size\\s+(\\S+)\\s+(\\S+)"))) << limits;
  EXPECT_EQ(m[1], "0");
  EXPECT_EQ(m[2], "0");
  t.Type("\x03");
  t.Finish();
}

}  // namespace
}  // namespace berth

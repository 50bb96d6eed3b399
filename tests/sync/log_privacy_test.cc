// No personal data in logs (the guide's rule, issue 16): a referral whose name and NHS number are known
// goes through the paths that log, and neither the hub's log nor what the device side writes (the `berth`
// program's output, this process's stderr while the sync library runs) carries them. The paths: an
// ordinary push and pull, a push the hub refuses (a viewer's), the hub out of reach (the change sealed for
// the courier), and the courier carrying it at night.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "berth/schema/text.h"
#include "hub_harness.h"

namespace berth::testing {
namespace {

std::string Berth(const std::string& store, const std::string& args) {
  return "BERTH_PASSPHRASE='cli passphrase' " + Program("app/berth-cli") + " --store " + store + " " + args;
}

// Everything this process writes to stderr while the object lives goes to a file instead.
class CapturedStderr {
 public:
  explicit CapturedStderr(std::string path) : path_(std::move(path)) {
    std::fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    dup2(fd, STDERR_FILENO);
    ::close(fd);
  }
  ~CapturedStderr() { Restore(); }
  std::string Text() {
    Restore();
    return ReadFileText(path_);
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

TEST(LogPrivacy, NeitherTheHubsLogNorTheDeviceSideCarriesANameOrAnNhsNumber) {
  TempDir tmp;
  HubProcess hub(tmp.Sub("hub"));
  hub.Start();
  const std::string name = "Philippa Quillfeather", surname = "Quillfeather", nhs = ValidNhsNumber(943476591);
  const auto write_referral = [&](Store& s) {
    Mutation m;
    m.entity = "referral";
    m.fields = {{"name", name}, {"nhs_number", nhs}, {"notes", name + " lives alone"}};
    ASSERT_TRUE(s.Write(std::move(m)).ok());
  };
  std::string device_output;  // what the `berth` program printed, stdout and stderr
  const auto run = [&](const std::string& command, int expected) {
    std::string out;
    EXPECT_EQ(RunCommand(command, &out), expected) << out;
    device_output += out;
  };

  // The laptop, through the real `berth` program: a referral pushed, then pulled by a second broker.
  const std::string laptop = tmp.Sub("laptop");
  run(Berth(laptop, "init"), 0);
  run(Berth(laptop,
            "enroll --hub " + hub.url() + " --code " + hub.MakeCode("laptop", "broker", "Huntingdonshire")),
      0);
  const auto write_on_laptop = [&] {
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    auto s = Store::Open(laptop, Secret("cli passphrase"), o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    write_referral(**s);
  };
  write_on_laptop();
  run(Berth(laptop, "sync"), 0);

  CapturedStderr library_stderr(tmp.Sub("stderr"));
  auto broker = Device::Create(tmp.Sub("broker"));
  ASSERT_TRUE(broker->Enroll(hub).ok());
  auto pulled = broker->Sync();
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  ASSERT_EQ(Text(*broker->store, "SELECT name FROM referral WHERE nhs_number = '" + nhs + "'"), name)
      << "the referral did travel";
  // A viewer may push nothing: its referral is refused, which the hub logs.
  auto viewer = Device::Create(tmp.Sub("viewer"));
  ASSERT_TRUE(viewer->Enroll(hub, "viewer", "Huntingdonshire").ok());
  write_referral(*viewer->store);
  auto refused = viewer->Sync();
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_EQ(refused->rejected, 1);
  const std::string library_text = library_stderr.Text();

  // The hub out of reach: the laptop seals its change for the courier; at night the courier carries it.
  write_on_laptop();
  std::string hub_log = ReadFileText(hub.dir() + ".log");  // each start of the hub begins a new log
  hub.Kill();
  run(Berth(laptop, "sync"), 5);
  hub.Start();
  run("env -u BERTH_PASSPHRASE " + Program("app/berth-cli") + " --store " + laptop +
          " sync --locked </dev/null",
      0);
  hub.Terminate();

  hub_log += ReadFileText(hub.dir() + ".log");
  EXPECT_FALSE(hub_log.empty()) << "the hub logged nothing: the check below would prove nothing";
  EXPECT_FALSE(device_output.empty());
  for (const std::string& personal : {name, surname, AsciiLower(name), nhs}) {
    EXPECT_EQ(hub_log.find(personal), std::string::npos) << "the hub's log carries '" << personal << "'";
    EXPECT_EQ(device_output.find(personal), std::string::npos) << "berth printed '" << personal << "'";
    EXPECT_EQ(library_text.find(personal), std::string::npos) << "sync wrote '" << personal << "' to stderr";
  }
}

}  // namespace
}  // namespace berth::testing

// The device-side commands through the real `berth` program against a real hub: enroll, sync, conflicts,
// and their exit codes when the code is wrong or the hub is down.
#include <gtest/gtest.h>

#include "hub_harness.h"

namespace berth::testing {
namespace {

std::string Berth(const std::string& store, const std::string& args) {
  return "BERTH_PASSPHRASE='cli passphrase' " + Program("app/berth") + " --store " + store + " " + args;
}

TEST(SyncCli, EnrollSyncAndConflictsFromTheCommandLine) {
  TempDir tmp;
  HubProcess hub(tmp.Sub("hub"));
  hub.Start();
  const std::string store = tmp.Sub("store");
  std::string out;
  ASSERT_EQ(RunCommand(Berth(store, "init"), &out), 0) << out;
  EXPECT_EQ(RunCommand(Berth(store, "enroll --hub " + hub.url() + " --code AAAAA-BBBBB-CCCCC-DDDDD"), &out),
            3)
      << out;
  EXPECT_NE(out.find("refused"), std::string::npos) << out;
  EXPECT_EQ(RunCommand(Berth(store, "sync"), &out), 2) << "not enrolled yet: " << out;
  const std::string code = hub.MakeCode("cli laptop", "broker", "Huntingdonshire");
  ASSERT_EQ(RunCommand(Berth(store, "enroll --hub " + hub.url() + " --code " + code), &out), 0) << out;
  EXPECT_NE(out.find("hub key fingerprint: "), std::string::npos) << out;
  ASSERT_EQ(RunCommand(Berth(store, "sync"), &out), 0) << out;
  EXPECT_NE(out.find("synced: pushed"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(Berth(store, "conflicts"), &out), 0) << out;
  EXPECT_NE(out.find("no conflicts"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(Berth(store, "conflicts --json"), &out), 0) << out;
  EXPECT_NE(out.find("[]"), std::string::npos) << out;
  hub.Kill();
  EXPECT_EQ(RunCommand(Berth(store, "sync"), &out), 5) << "hub down is a network error: " << out;
}

}  // namespace
}  // namespace berth::testing

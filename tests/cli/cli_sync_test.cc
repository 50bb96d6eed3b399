// The device-side commands through the real `berth` program against a real hub: enroll, sync, conflicts,
// and their exit codes when the code is wrong or the hub is down.
#include <gtest/gtest.h>

#include "sync/hub_harness.h"

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

TEST(SyncCli, SyncWhileLockedNeedsNoPassphraseAndTheTimerRunsIt) {
  TempDir tmp;
  HubProcess hub(tmp.Sub("hub"));
  hub.Start();
  const std::string store = tmp.Sub("store");
  std::string out;
  ASSERT_EQ(RunCommand(Berth(store, "init"), &out), 0) << out;
  const std::string code = hub.MakeCode("cli laptop", "broker", "Huntingdonshire");
  ASSERT_EQ(RunCommand(Berth(store, "enroll --hub " + hub.url() + " --code " + code), &out), 0) << out;
  // Locked before any online sync: no courier key yet, said plainly.
  const std::string locked = Program("app/berth") + " --store " + store + " sync --locked";
  EXPECT_EQ(RunCommand("env -u BERTH_PASSPHRASE " + locked + " </dev/null", &out), 2) << out;
  EXPECT_NE(out.find("nothing to carry yet"), std::string::npos) << out;
  ASSERT_EQ(RunCommand(Berth(store, "sync"), &out), 0) << out;  // registers the courier key
  // A council-wide setting (it syncs; a personal one such as ui.theme never leaves the device).
  ASSERT_EQ(RunCommand(Berth(store, "settings set sync.interval_minutes 7"), &out), 0) << out;
  hub.Kill();
  EXPECT_EQ(RunCommand(Berth(store, "sync"), &out), 5) << out;
  EXPECT_NE(out.find("1 changes sealed for the courier"), std::string::npos) << out;
  hub.Start();
  // The timer's unit runs exactly what `sync --locked` does, with no passphrase anywhere.
  const std::string config = tmp.Sub("config");
  ASSERT_EQ(RunCommand("XDG_CONFIG_HOME=" + config + " " + Program("app/berth") + " --store " + store +
                           " sync --install-timer --every 20 --no-enable",
                       &out),
            0)
      << out;
  const std::string service = ReadFileText(config + "/systemd/user/berth-sync.service");
  const std::string timer = ReadFileText(config + "/systemd/user/berth-sync.timer");
  EXPECT_NE(timer.find("OnUnitActiveSec=20min"), std::string::npos) << timer;
  EXPECT_NE(timer.find("WantedBy=timers.target"), std::string::npos) << timer;
  const auto exec = service.find("ExecStart=");
  ASSERT_NE(exec, std::string::npos) << service;
  const std::string command = service.substr(exec + 10, service.find('\n', exec) - exec - 10);
  EXPECT_NE(command.find("sync --locked"), std::string::npos) << command;
  ASSERT_EQ(RunCommand("env -u BERTH_PASSPHRASE " + command + " </dev/null", &out), 0) << out;
  EXPECT_NE(out.find("carried 1 sealed batches (1 changes)"), std::string::npos) << out;
  // The next unlocked sync applies what the courier brought.
  ASSERT_EQ(RunCommand(Berth(store, "sync"), &out), 0) << out;
  EXPECT_NE(out.find("applied what arrived while locked"), std::string::npos) << out;
  auto hub_store = hub.OpenStore();
  EXPECT_EQ(
      Count(*hub_store, "SELECT count(*) FROM setting WHERE id = 'sync.interval_minutes' AND value = '7'"),
      1);
}

}  // namespace
}  // namespace berth::testing

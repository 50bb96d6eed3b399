// The hub administrator's side of issue 15, finding 7: unused enrollment codes can be listed and
// cancelled, the hub keeps a code's verifier (never anything that enrols), a hub store restored from a
// backup made before a revocation does not bring the device back, and a revoked device overwrites its
// key file before removing it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>

#include "berth/sync/crypto.h"
#include "berth/sync/version.h"
#include "hub_harness.h"

namespace berth::testing {
namespace {

class HubAdmin : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(tmp_.Sub("hub"));
    hub_->Start();
  }
  void TearDown() override { hub_->Kill(); }
  int Hub(const std::string& args, std::string* out) {
    return RunCommand(Program("sync/hub/berth-hub") + " --data " + hub_->dir() + " " + args + " 2>&1", out);
  }
  TempDir tmp_;
  std::unique_ptr<HubProcess> hub_;
};

TEST_F(HubAdmin, UnusedCodesAreListedAndCanBeCancelled) {
  std::string out;
  const nlohmann::json made = hub_->Enroll("Ward 7 laptop", "ward", "Fenland");
  const std::string code = made.value("code", ""), id = made.value("code_id", "");
  ASSERT_FALSE(code.empty()) << made.dump();
  ASSERT_EQ(id.size(), 12u) << made.dump();
  const std::string used = hub_->MakeCode("Broker laptop", "broker", "Fenland");
  auto d = Device::Create(tmp_.Sub("d"));
  ASSERT_TRUE(sync::Enroll(*d->store, hub_->url(), used).ok());
  ASSERT_EQ(Hub("codes", &out), 0) << out;
  EXPECT_NE(out.find(id), std::string::npos) << out;
  EXPECT_NE(out.find("Ward 7 laptop"), std::string::npos) << out;
  EXPECT_EQ(out.find("Broker laptop"), std::string::npos) << "a used code is not listed: " << out;
  EXPECT_EQ(out.find(code), std::string::npos) << "the code itself is never shown again";
  ASSERT_EQ(Hub("cancel-code " + id.substr(0, 8), &out), 0) << out;
  ASSERT_EQ(Hub("codes", &out), 0);
  EXPECT_EQ(out.find(id), std::string::npos) << out;
  auto late = Device::Create(tmp_.Sub("late"));
  EXPECT_EQ(sync::Enroll(*late->store, hub_->url(), code).status().code(), Code::kNotAuthorised);
  EXPECT_NE(Hub("cancel-code " + id.substr(0, 8), &out), 0) << "already cancelled: " << out;
}

TEST_F(HubAdmin, TheHubKeepsAVerifierNotTheKeyThatEnrols) {
  const std::string code = hub_->MakeCode("laptop", "broker", "Fenland");
  auto hub_store = hub_->OpenStore();
  const auto norm = *sync::NormaliseCode(code);
  auto st = hub_store->db().Prepare("SELECT verifier FROM hub_code WHERE code_id = ?");
  ASSERT_TRUE(st.ok());
  const auto id = sync::CodeId(norm);
  st->BindBlob(1, id);
  ASSERT_TRUE(*st->Step());
  const auto stored = st->Blob(0);
  const auto keys = sync::CodeKeysFromCode(norm);
  EXPECT_EQ(stored, keys.verifier) << "the public half only";
  // What the stored value lets one build is refused by the hub: a request it cannot have signed.
  sync::EnrollRequest req;
  req.version = sync::kProtocolVersion;
  req.device_id = NewUuidV7();
  req.sign_pk = sync::KeyPairs::Generate().sign_pk;
  req.kx_pk = sync::KeyPairs::Generate().kx_pk;
  const Secret key = sync::EnrollKeyFromVerifier(stored);
  const auto forged = sync::SealEnroll(key, id, sync::Encode(req), false, nullptr);
  auto [status, body] = PostRaw(hub_->url(), "/v1/enroll", forged);
  EXPECT_EQ(status, 401);
  auto d = Device::Create(tmp_.Sub("d"));
  EXPECT_TRUE(sync::Enroll(*d->store, hub_->url(), code).ok()) << "the code itself still works";
}

TEST_F(HubAdmin, ARestoredHubStoreDoesNotUndoARevocation) {
  auto d = Device::Create(tmp_.Sub("d"));
  ASSERT_TRUE(d->Enroll(*hub_).ok());
  ASSERT_TRUE(d->Sync().ok());
  hub_->Terminate();
  // A backup of the hub's store, taken before the revocation.
  const std::string backup = tmp_.Sub("backup");
  ASSERT_EQ(RunCommand("mkdir -p " + backup + " && cp " + hub_->dir() + "/berth.db " + hub_->dir() +
                       "/berth.key " + backup + "/"),
            0);
  std::string out;
  ASSERT_EQ(hub_->Revoke(d->store->device_id(), &out), 0) << out;
  ASSERT_EQ(RunCommand("rm -f " + hub_->dir() + "/berth.db-wal " + hub_->dir() + "/berth.db-shm && cp " +
                       backup + "/berth.db " + backup + "/berth.key " + hub_->dir() + "/"),
            0);
  hub_->Start();
  auto r = d->Sync();
  ASSERT_FALSE(r.ok()) << "the restored store had forgotten the revocation";
  EXPECT_EQ(r.status().code(), Code::kNotAuthorised);
  EXPECT_FALSE(Store::Exists(d->dir)) << "and the device wiped itself";
}

TEST_F(HubAdmin, ARevokedDeviceOverwritesItsKeyFileBeforeRemovingIt) {
  auto d = Device::Create(tmp_.Sub("d"));
  ASSERT_TRUE(d->Enroll(*hub_).ok());
  ASSERT_TRUE(d->Sync().ok());
  // A second name for the key file's inode: what an undelete tool would find after the wipe.
  const std::string key = d->dir + "/berth.key", other_name = tmp_.Sub("key-link");
  ASSERT_EQ(::link(key.c_str(), other_name.c_str()), 0);
  const std::string before = ReadFileText(other_name);
  ASSERT_NE(before.find("passphrase_wrap"), std::string::npos);
  std::string out;
  ASSERT_EQ(hub_->Revoke(d->store->device_id(), &out), 0) << out;
  EXPECT_EQ(d->Sync().status().code(), Code::kNotAuthorised);
  EXPECT_FALSE(Store::Exists(d->dir));
  const std::string after = ReadFileText(other_name);
  EXPECT_EQ(after.size(), before.size());
  EXPECT_EQ(after.find("passphrase_wrap"), std::string::npos) << "the wrapped keys were overwritten";
  EXPECT_EQ(after.find("recovery_wrap"), std::string::npos);
}

TEST_F(HubAdmin, APassphraseChangeKeepsTheHubsKeysAndItsDevices) {
  auto d = Device::Create(tmp_.Sub("d"));
  ASSERT_TRUE(d->Enroll(*hub_).ok());
  ASSERT_TRUE(d->Sync().ok());
  const std::string weak = tmp_.Sub("weak"), fresh = tmp_.Sub("fresh");
  const std::string new_pass = "a new passphrase for the council hub";
  WriteFileBytes(weak, {'h', 'u', 'b'});
  WriteFileBytes(fresh, std::vector<uint8_t>(new_pass.begin(), new_pass.end()));
  std::string out;
  // A weak new passphrase, or a wrong current one, is refused and changes nothing.
  EXPECT_EQ(Hub("passphrase --new-passphrase-file " + weak, &out), 2) << out;
  EXPECT_EQ(RunCommand("BERTH_HUB_PASSPHRASE='not it' " + Program("sync/hub/berth-hub") + " --data " +
                           hub_->dir() + " passphrase --new-passphrase-file " + fresh,
                       &out),
            3)
      << out;
  ASSERT_EQ(Hub("devices", &out), 0) << "the old passphrase still opens the hub: " << out;

  ASSERT_EQ(Hub("passphrase --new-passphrase-file " + fresh, &out), 0) << out;
  EXPECT_EQ(Hub("devices", &out), 3) << "the old passphrase no longer opens the hub: " << out;
  // The serving process keeps its keys; started again with the new passphrase, the device it enrolled
  // still syncs with it (same hub keys, same enrolment).
  d->Write("bed", "", {{"room", std::string("1")}});
  EXPECT_TRUE(d->Sync().ok());
  hub_->Kill();
  hub_->Start({{"BERTH_HUB_PASSPHRASE", new_pass}});
  d->Write("bed", "", {{"room", std::string("2")}});
  auto after = d->Sync();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->pushed, 1);
}

TEST_F(HubAdmin, TheHubRunsWithoutCoreDumps) {
  std::string limits = ReadFileText("/proc/" + std::to_string(hub_->pid()) + "/limits");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(limits, m, std::regex("Max core file size\\s+(\\S+)\\s+(\\S+)"))) << limits;
  EXPECT_EQ(m[1], "0");
  EXPECT_EQ(m[2], "0");
  // The passphrase it was given in its environment is wiped there (children would inherit it, and
  // /proc/PID/environ shows the environment the process started with).
  const auto environ = ReadFileBytes("/proc/" + std::to_string(hub_->pid()) + "/environ");
  const std::string env(environ.begin(), environ.end());
  EXPECT_EQ(env.find(kHubPassphrase), std::string::npos);
}

}  // namespace
}  // namespace berth::testing

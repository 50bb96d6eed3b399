// The passphrase KDF is chosen by the build, not the environment (issue 15, finding 3), and an altered key
// file is reported as tampering, not as a wrong passphrase (finding 7). A release build is
// kdf_release_probe: the store library linked with the release KDF policy, run as its own process with
// every test switch (old and new) set in its environment.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "berth/schema/store.h"
#include "support/test_support.h"

namespace berth::testing {
namespace {

constexpr const char* kPass = "correct horse battery staple";

// Runs the release-policy probe with the environment a careless script would give it.
int Release(const std::string& args, std::string* out = nullptr) {
  return RunCommand("BERTH_KDF_PROFILE=fast BERTH_TEST_ONLY_FAST_KDF=1 " +
                        Program("tests/schema/kdf_release_probe") + " " + args + " 2>&1",
                    out);
}

nlohmann::json KeyFile(const std::string& dir) {
  return nlohmann::json::parse(ReadFileText(dir + "/berth.key"));
}

void WriteKeyFile(const std::string& dir, const nlohmann::json& j) {
  const std::string text = j.dump(2);
  WriteFileBytes(dir + "/berth.key", std::vector<uint8_t>(text.begin(), text.end()));
}

std::unique_ptr<Store> MakeStore(const std::string& dir, KdfParams kdf, Secret* recovery_out = nullptr) {
  StoreOptions o;
  o.kdf = kdf;
  Secret recovery;
  auto s = Store::Create(dir, Secret(kPass), &recovery, o);
  if (recovery_out != nullptr) *recovery_out = std::move(recovery);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(Kdf, ThisIsATestBuildAndItsSwitchMarksTheStoresItMakes) {
  ASSERT_TRUE(KdfParams::TestOnlyKdfBuild()) << "make test builds with -DBERTH_TEST_ONLY_KDF=ON";
  EXPECT_TRUE(KdfParams::ForNewKeys().test_only) << "ctest sets BERTH_TEST_ONLY_FAST_KDF=1";
  TempDir tmp;
  MakeStore(tmp.Sub("s"), KdfParams::ForNewKeys());
  const auto j = KeyFile(tmp.Sub("s"));
  EXPECT_EQ(j["kdf"]["test_only"], true);
  EXPECT_EQ(j["kdf"]["memlimit"], KdfParams::Fast().memlimit);
}

TEST(Kdf, AReleaseBuildIgnoresTheEnvironmentAndUsesItsOwnCost) {
  TempDir tmp;
  std::string out;
  ASSERT_EQ(Release("create " + tmp.Sub("s") + " '" + kPass + "'", &out), 0) << out;
  const auto j = KeyFile(tmp.Sub("s"));
  EXPECT_EQ(j["kdf"]["opslimit"], KdfParams::Default().opslimit);
  EXPECT_EQ(j["kdf"]["memlimit"], KdfParams::Default().memlimit);
  EXPECT_FALSE(j["kdf"].contains("test_only"));
  // A passphrase change in a release build keeps the release cost, whatever the environment says.
  ASSERT_EQ(Release("passphrase " + tmp.Sub("s") + " '" + kPass + "' 'another long passphrase'", &out), 0)
      << out;
  EXPECT_EQ(KeyFile(tmp.Sub("s"))["kdf"]["memlimit"], KdfParams::Default().memlimit);
  EXPECT_EQ(Release("open " + tmp.Sub("s") + " 'another long passphrase'", &out), 0) << out;
}

TEST(Kdf, AReleaseBuildRefusesATestKdfStoreEvenWithTheMarkRemoved) {
  TempDir tmp;
  MakeStore(tmp.Sub("s"), KdfParams::Fast());
  const auto before = ReadFileBytes(tmp.Sub("s") + "/berth.key");
  std::string out;
  EXPECT_EQ(Release("open " + tmp.Sub("s") + " '" + kPass + "'", &out), 4) << out;
  EXPECT_NE(out.find("test build"), std::string::npos) << out;
  EXPECT_EQ(Release("passphrase " + tmp.Sub("s") + " '" + kPass + "' 'another long passphrase'", &out), 4)
      << out;
  EXPECT_EQ(ReadFileBytes(tmp.Sub("s") + "/berth.key"), before) << "nothing was rewritten";
  // Deleting the mark does not help: the cost is then below the floor, and the mark is bound into the
  // wrap, so even a test build sees the edit.
  auto j = KeyFile(tmp.Sub("s"));
  j["kdf"].erase("test_only");
  WriteKeyFile(tmp.Sub("s"), j);
  EXPECT_EQ(Release("open " + tmp.Sub("s") + " '" + kPass + "'", &out), 4) << out;
  EXPECT_NE(out.find("below this build's floor"), std::string::npos) << out;
  auto opened = Store::Open(tmp.Sub("s"), Secret(kPass));
  EXPECT_EQ(opened.status().code(), Code::kIntegrity) << opened.status().ToString();
}

TEST(Kdf, AStoreBelowTheFloorIsRefusedUntilAPassphraseChangeStrengthensIt) {
  TempDir tmp;
  // What the old BERTH_KDF_PROFILE=fast left behind: libsodium's minimum, unmarked.
  MakeStore(tmp.Sub("s"), KdfParams{KdfParams::Fast().opslimit, KdfParams::Fast().memlimit, false});
  std::string out;
  EXPECT_EQ(Release("open " + tmp.Sub("s") + " '" + kPass + "'", &out), 4) << out;
  ASSERT_EQ(Release("passphrase " + tmp.Sub("s") + " '" + kPass + "' 'a stronger passphrase'", &out), 0)
      << out;
  EXPECT_EQ(KeyFile(tmp.Sub("s"))["kdf"]["opslimit"], KdfParams::Default().opslimit);
  EXPECT_EQ(Release("open " + tmp.Sub("s") + " 'a stronger passphrase'", &out), 0) << out;
}

TEST(Kdf, AnAlteredKeyFileIsTamperingAndAWrongPassphraseIsNot) {
  TempDir tmp;
  Secret recovery;
  MakeStore(tmp.Sub("s"), KdfParams::Fast(), &recovery);
  EXPECT_EQ(Store::Open(tmp.Sub("s"), Secret("not the passphrase")).status().code(), Code::kWrongPassphrase);
  const auto original = KeyFile(tmp.Sub("s"));
  auto flip = [](std::string hex) {
    hex[10] = hex[10] == '0' ? '1' : '0';
    return hex;
  };
  for (const char* field : {"ciphertext", "nonce"}) {
    auto j = original;
    j["passphrase_wrap"][field] = flip(j["passphrase_wrap"][field]);
    WriteKeyFile(tmp.Sub("s"), j);
    auto r = Store::Open(tmp.Sub("s"), Secret(kPass));
    EXPECT_EQ(r.status().code(), Code::kIntegrity) << field << ": " << r.status().ToString();
    EXPECT_EQ(ExitCode(r.status().code()), 4);
  }
  auto j = original;
  j["db_id"] = flip(j["db_id"]);
  WriteKeyFile(tmp.Sub("s"), j);
  EXPECT_EQ(Store::Open(tmp.Sub("s"), Secret(kPass)).status().code(), Code::kIntegrity);
  j = original;
  j["recovery_wrap"]["ciphertext"] = flip(j["recovery_wrap"]["ciphertext"]);
  WriteKeyFile(tmp.Sub("s"), j);
  EXPECT_EQ(Store::Recover(tmp.Sub("s"), recovery, Secret("a new passphrase"), KdfParams::Fast()).code(),
            Code::kIntegrity);
  WriteKeyFile(tmp.Sub("s"), original);
  EXPECT_EQ(Store::Recover(tmp.Sub("s"), Secret(std::string(64, '0')), Secret("a new passphrase"),
                           KdfParams::Fast())
                .code(),
            Code::kWrongPassphrase);
  EXPECT_TRUE(Store::Open(tmp.Sub("s"), Secret(kPass)).ok()) << "the original still opens";
}

}  // namespace
}  // namespace berth::testing

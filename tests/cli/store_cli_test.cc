// The store commands through the real `berth` program, checked by exit code and by the bytes on disk.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <vector>

#include "support/test_support.h"

namespace berth {
namespace {

using testing::FileContains;
using testing::ListFiles;
using testing::Program;
using testing::ReadFileBytes;
using testing::RunCommand;
using testing::TempDir;
using testing::WriteFileBytes;

class StoreCli : public ::testing::Test {
 protected:
  int Berth(const std::string& args, std::string* out = nullptr,
            const std::string& passphrase = "ward 7 laptop") {
    return RunCommand(
        "BERTH_PASSPHRASE='" + passphrase + "' " + Program("app/berth") + " --store " + store() + " " + args,
        out);
  }
  std::string store() const { return tmp_.path() + "/store"; }
  TempDir tmp_;
};

TEST_F(StoreCli, InitPrintsARecoveryKeyOnceAndWritesNoPlaintext) {
  std::string out;
  ASSERT_EQ(Berth("init", &out), 0) << out;
  EXPECT_NE(out.find("Recovery key"), std::string::npos) << out;
  const std::string marker = "Ann Example PE29";
  const std::string referral = tmp_.path() + "/referral.json";
  const std::string json = R"({"nhs_number":"9434765919","name":")" + marker +
                           R"(","date_of_birth":"1941-03-02","pathway":"P3","category":"nursing",)"
                           R"("postcode":"PE29 6NT","discharge_ready_date":"2026-11-20"})";
  WriteFileBytes(referral, std::vector<uint8_t>(json.begin(), json.end()));
  ASSERT_EQ(Berth("referral add " + referral, &out), 0) << out;
  ASSERT_EQ(Berth("referral list", &out), 0) << out;
  EXPECT_NE(out.find(marker), std::string::npos) << out;
  for (const auto& f : ListFiles(store())) EXPECT_FALSE(FileContains(f, marker)) << f;
  ASSERT_EQ(Berth("verify", &out), 0) << out;
  EXPECT_NE(out.find("ok:"), std::string::npos) << out;
}

TEST_F(StoreCli, WrongPassphraseExitsThreeAndChangesNothing) {
  ASSERT_EQ(Berth("init"), 0);
  std::map<std::string, std::vector<uint8_t>> before;
  for (const auto& f : ListFiles(store())) before[f] = ReadFileBytes(f);
  std::string out;
  EXPECT_EQ(Berth("settings set ui.auto_lock_minutes 5", &out, "wrong"), 3) << out;
  EXPECT_NE(out.find("wrong passphrase"), std::string::npos) << out;
  for (const auto& [f, bytes] : before) EXPECT_EQ(ReadFileBytes(f), bytes) << f;
}

TEST_F(StoreCli, VerifyExitsFourAfterAFlippedByteAndZeroOnAnUntouchedStore) {
  ASSERT_EQ(Berth("init"), 0);
  // Enough audited changes to fill a few pages.
  for (int i = 0; i < 30; ++i) ASSERT_EQ(Berth("settings set match.weight.void " + std::to_string(i + 1)), 0);
  std::string out;
  ASSERT_EQ(Berth("verify", &out), 0) << out;
  auto bytes = ReadFileBytes(store() + "/berth.db");
  ASSERT_GT(bytes.size(), 3 * 4096u);
  bytes[2 * 4096 + 77] ^= 0x40;
  WriteFileBytes(store() + "/berth.db", bytes);
  EXPECT_EQ(Berth("verify", &out), 4) << out;
  EXPECT_NE(out.find("page 3"), std::string::npos) << out;
}

TEST_F(StoreCli, PassphraseChangeRecoverAndRekey) {
  std::string out;
  ASSERT_EQ(Berth("init", &out), 0);
  const auto at = out.find("Recovery key");
  ASSERT_NE(at, std::string::npos);
  // The key is the line of 8 hex groups after the heading.
  std::string key;
  for (size_t i = out.find_first_of("0123456789abcdef", out.find('\n', at)); i < out.size() && out[i] != '\n';
       ++i) {
    key += out[i];
  }
  ASSERT_EQ(key.size(), 71u) << out;
  ASSERT_EQ(Berth("settings set ui.auto_lock_minutes 17"), 0);
  ASSERT_EQ(RunCommand("BERTH_PASSPHRASE='ward 7 laptop' BERTH_NEW_PASSPHRASE='second passphrase' " +
                           Program("app/berth") + " --store " + store() + " passphrase",
                       &out),
            0)
      << out;
  EXPECT_EQ(Berth("settings get ui.auto_lock_minutes", &out), 3);
  ASSERT_EQ(Berth("settings get ui.auto_lock_minutes", &out, "second passphrase"), 0);
  ASSERT_EQ(RunCommand("BERTH_RECOVERY_KEY='" + key + "' BERTH_NEW_PASSPHRASE='third passphrase' " +
                           Program("app/berth") + " --store " + store() + " recover",
                       &out),
            0)
      << out;
  ASSERT_EQ(Berth("rekey", &out, "third passphrase"), 0) << out;
  EXPECT_NE(out.find("New recovery key"), std::string::npos);
  ASSERT_EQ(Berth("settings get ui.auto_lock_minutes", &out, "third passphrase"), 0);
  EXPECT_NE(out.find("17"), std::string::npos);
  EXPECT_EQ(Berth("verify", &out, "third passphrase"), 0) << out;
  // The old recovery key no longer works after a rekey.
  EXPECT_EQ(RunCommand("BERTH_RECOVERY_KEY='" + key + "' BERTH_NEW_PASSPHRASE='another passphrase' " +
                           Program("app/berth") + " --store " + store() + " recover",
                       &out),
            3)
      << out;
}

// Issue 15, finding 7: a passphrase file others can read is refused, and so is a short new passphrase;
// nothing is created or changed either way.
TEST_F(StoreCli, APassphraseFileOthersCanReadAndAShortPassphraseAreRefused) {
  const std::string file = tmp_.path() + "/pass";
  WriteFileBytes(file,
                 {'a', ' ', 'l', 'o', 'n', 'g', ' ', 'p', 'a', 's', 's', 'p', 'h', 'r', 'a', 's', 'e', '\n'});
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  std::string out;
  const std::string berth = Program("app/berth") + " --store " + store() + " --passphrase-file " + file;
  EXPECT_EQ(RunCommand(berth + " init 2>&1", &out), 2) << out;
  EXPECT_NE(out.find("chmod 600"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(store() + "/berth.key"));
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  ASSERT_EQ(RunCommand(berth + " init 2>&1", &out), 0) << out;
  EXPECT_EQ(RunCommand(berth + " info", &out), 0) << out;
  EXPECT_EQ(RunCommand("BERTH_PASSPHRASE='short' " + Program("app/berth") + " --store " + tmp_.path() +
                           "/other init 2>&1",
                       &out),
            2)
      << out;
  EXPECT_NE(out.find("at least 10 characters"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/other/berth.key"));
  const auto key_before = ReadFileBytes(store() + "/berth.key");
  EXPECT_EQ(RunCommand("BERTH_NEW_PASSPHRASE='tiny' " + berth + " passphrase 2>&1", &out), 2) << out;
  EXPECT_EQ(ReadFileBytes(store() + "/berth.key"), key_before);
}

TEST_F(StoreCli, BerthCliHasNoUiLinkedIn) {
  std::string out;
  ASSERT_EQ(RunCommand("nm -C " + Program("app/berth-cli") + " | grep -c -E 'ImGui::|glfw' || true", &out),
            0);
  EXPECT_EQ(std::stoi(out), 0) << "berth-cli links ImGui or GLFW";
  ASSERT_EQ(RunCommand("nm -C " + Program("app/berth") + " | grep -c 'ImGui::' || true", &out), 0);
  EXPECT_GT(std::stoi(out), 0) << "the check above would not see ImGui symbols";
}

}  // namespace
}  // namespace berth

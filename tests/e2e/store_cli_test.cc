// The store commands through the real `berth` program, checked by exit code and by the bytes on disk.
#include <gtest/gtest.h>

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
  const std::string marker = "Ann-Example-PE29-6NT-9434765919";
  ASSERT_EQ(Berth("settings set note '" + marker + "'", &out), 0) << out;
  ASSERT_EQ(Berth("settings get note", &out), 0) << out;
  EXPECT_NE(out.find(marker), std::string::npos);
  for (const auto& f : ListFiles(store())) EXPECT_FALSE(FileContains(f, marker)) << f;
  ASSERT_EQ(Berth("verify", &out), 0) << out;
  EXPECT_NE(out.find("ok:"), std::string::npos) << out;
}

TEST_F(StoreCli, WrongPassphraseExitsThreeAndChangesNothing) {
  ASSERT_EQ(Berth("init"), 0);
  std::map<std::string, std::vector<uint8_t>> before;
  for (const auto& f : ListFiles(store())) before[f] = ReadFileBytes(f);
  std::string out;
  EXPECT_EQ(Berth("settings set a b", &out, "wrong"), 3) << out;
  EXPECT_NE(out.find("wrong passphrase"), std::string::npos) << out;
  for (const auto& [f, bytes] : before) EXPECT_EQ(ReadFileBytes(f), bytes) << f;
}

TEST_F(StoreCli, VerifyExitsFourAfterAFlippedByteAndZeroOnAnUntouchedStore) {
  ASSERT_EQ(Berth("init"), 0);
  for (int i = 0; i < 30; ++i)
    ASSERT_EQ(Berth("settings set k" + std::to_string(i) + " " + std::string(200, 'v')), 0);
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
  ASSERT_EQ(Berth("settings set kept yes"), 0);
  ASSERT_EQ(RunCommand("BERTH_PASSPHRASE='ward 7 laptop' BERTH_NEW_PASSPHRASE='second' " +
                           Program("app/berth") + " --store " + store() + " passphrase",
                       &out),
            0)
      << out;
  EXPECT_EQ(Berth("settings get kept", &out), 3);
  ASSERT_EQ(Berth("settings get kept", &out, "second"), 0);
  ASSERT_EQ(RunCommand("BERTH_RECOVERY_KEY='" + key + "' BERTH_NEW_PASSPHRASE='third' " +
                           Program("app/berth") + " --store " + store() + " recover",
                       &out),
            0)
      << out;
  ASSERT_EQ(Berth("rekey", &out, "third"), 0) << out;
  EXPECT_NE(out.find("New recovery key"), std::string::npos);
  ASSERT_EQ(Berth("settings get kept", &out, "third"), 0);
  EXPECT_NE(out.find("yes"), std::string::npos);
  EXPECT_EQ(Berth("verify", &out, "third"), 0) << out;
  // The old recovery key no longer works after a rekey.
  EXPECT_EQ(RunCommand("BERTH_RECOVERY_KEY='" + key + "' BERTH_NEW_PASSPHRASE='x' " + Program("app/berth") +
                           " --store " + store() + " recover",
                       &out),
            3)
      << out;
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

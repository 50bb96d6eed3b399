// The files outside SQLite (the key file, rekey's side files) on a disk that refuses writes, through the
// Env seam (testing::FailingWriteEnv): the operation fails with kIo, says so, and nothing is lost -- the
// store opens with the passphrase it had and holds all its data. The crash at each of the same file
// operations is fault_test.cc's (CrashEnv).
#include <gtest/gtest.h>

#include "berth/schema/store.h"
#include "support/store_fixture.h"
#include "support/test_support.h"

namespace berth {
namespace {

class EnvFaultTest : public testing::StoreFixture {
 protected:
  void CreateWithData() {
    auto store = CreateStore();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->SetSetting("kept", "all of it").ok());
  }
  // Opens with `pass` and reads the row written at creation; "" when it does not open.
  std::string KeptWith(const Secret& pass) {
    StoreOptions o = options();
    auto store = Store::Open(dir(), pass, o);
    if (!store.ok()) return "";
    auto value = (*store)->GetSetting("kept");
    EXPECT_TRUE(value.ok() && value->has_value());
    return value.ok() && value->has_value() ? **value : "";
  }
};

TEST_P(EnvFaultTest, APassphraseChangeTheDiskRefusesKeepsTheOldPassphrase) {
  CreateWithData();
  const Secret new_passphrase("a new passphrase for the ward");
  testing::FailingWriteEnv env;
  // The key file's temporary copy is refused (1), then its rename over the key file (2).
  for (int64_t nth : {1, 2}) {
    env.FailFrom(nth);
    const Status st = Store::ChangePassphrase(dir(), passphrase(), new_passphrase, KdfParams::Fast(), &env);
    EXPECT_EQ(st.code(), Code::kIo) << "write " << nth << ": " << st.ToString();
    EXPECT_GT(env.failed(), 0);
    EXPECT_EQ(KeptWith(passphrase()), "all of it") << "write " << nth;
    EXPECT_EQ(KeptWith(new_passphrase), "") << "write " << nth << ": the new passphrase must not open it";
    EXPECT_FALSE(Env::Default()->FileExists(dir() + "/berth.key.tmp")) << "no temporary copy is left";
  }
  env.Heal();
  ASSERT_TRUE(Store::ChangePassphrase(dir(), passphrase(), new_passphrase, KdfParams::Fast(), &env).ok());
  EXPECT_EQ(KeptWith(new_passphrase), "all of it");
  EXPECT_EQ(KeptWith(passphrase()), "");
}

TEST_P(EnvFaultTest, ARecoveryTheDiskRefusesChangesNothing) {
  CreateWithData();
  testing::FailingWriteEnv env;
  env.FailFrom(1);
  const Status st =
      Store::Recover(dir(), recovery_key(), Secret("a passphrase set by recovery"), KdfParams::Fast(), &env);
  EXPECT_EQ(st.code(), Code::kIo) << st.ToString();
  EXPECT_EQ(KeptWith(passphrase()), "all of it");
}

// Rekey with the disk refusing its Nth file write or rename, each N in turn until one rekey finishes:
// every refusal is an error (never a crash), and the store still opens with the passphrase, whole.
TEST_P(EnvFaultTest, ARekeyTheDiskRefusesLeavesAWholeStore) {
  CreateWithData();
  testing::FailingWriteEnv env;
  StoreOptions o = options();
  o.env = &env;
  int refused = 0, completed = 0;
  for (int64_t nth = 1; nth < 50 && completed == 0; ++nth) {
    {
      auto store = Store::Open(dir(), passphrase(), o);
      ASSERT_TRUE(store.ok()) << "write " << nth << ": " << store.status().ToString();
      env.FailFrom(nth);
      Secret recovery;
      const Status st = (*store)->Rekey(passphrase(), &recovery);
      env.Heal();
      if (st.ok()) {
        ++completed;
      } else {
        EXPECT_EQ(st.code(), Code::kIo) << "write " << nth << ": " << st.ToString();
        ++refused;
      }
    }
    EXPECT_EQ(KeptWith(passphrase()), "all of it") << "write " << nth;
  }
  EXPECT_EQ(completed, 1) << "the sweep should end with a rekey that finished";
  EXPECT_GT(refused, 0);
}

// A plain store (a test-only mode) has no key to change.
INSTANTIATE_TEST_SUITE_P(Encrypted, EnvFaultTest, ::testing::Values(true), testing::EncryptionName);

}  // namespace
}  // namespace berth

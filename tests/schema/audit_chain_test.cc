// The audit log's hash chain and its recorded end (issue 15, finding 7): removing the last entries, which
// leaves an intact but shorter chain, fails verification, in the store and through `berth verify`.
#include <gtest/gtest.h>

#include "berth/schema/store.h"
#include "support/test_support.h"

namespace berth::testing {
namespace {

class AuditChain : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    Secret recovery;
    auto s = Store::Create(tmp_.Sub("s"), Secret(kPass), &recovery, o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(store_->AuditView("referral", "r" + std::to_string(i)).ok());
  }
  std::vector<std::string> Problems() {
    auto report = store_->Verify();
    EXPECT_TRUE(report.ok());
    return report.ok() ? report->problems : std::vector<std::string>{"verify failed"};
  }
  static constexpr const char* kPass = "correct horse battery staple";
  TempDir tmp_;
  std::unique_ptr<Store> store_;
};

TEST_F(AuditChain, AnIntactLogVerifies) {
  EXPECT_TRUE(Problems().empty());
}

TEST_F(AuditChain, RemovingTheLastEntriesFailsVerify) {
  ASSERT_TRUE(store_->db().Exec("DELETE FROM audit WHERE seq > 3").ok());
  const auto problems = Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("ends at entry 3 but its recorded end is entry 6"), std::string::npos)
      << problems[0];
}

TEST_F(AuditChain, RemovingEveryEntryFailsVerify) {
  ASSERT_TRUE(store_->db().Exec("DELETE FROM audit").ok());
  EXPECT_EQ(Problems().size(), 1u);
}

TEST_F(AuditChain, TheTruncatedChainFailsBerthVerifyWithExitFour) {
  ASSERT_TRUE(store_->db().Exec("DELETE FROM audit WHERE seq > 4").ok());
  store_.reset();
  std::string out;
  const int rc = RunCommand("BERTH_PASSPHRASE='" + std::string(kPass) + "' " + Program("app/berth-cli") +
                                " --store " + tmp_.Sub("s") + " verify 2>&1",
                            &out);
  EXPECT_EQ(rc, 4) << out;
  EXPECT_NE(out.find("recorded end"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth::testing

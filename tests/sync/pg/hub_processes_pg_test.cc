// Several berth-hub processes on one PostgreSQL database (`berth-hub --postgres URL`), as real processes:
// any of them answers any device, a code enrols one device whichever process it is shown to, and a
// revocation made with the CLI holds on every process at once. (Two processes arbitrating one bed:
// DoubleBooking in sync_e2e_test.cc, which this binary runs on PostgreSQL.)
#include <gtest/gtest.h>

#include <filesystem>

#include "hub_harness.h"
#include "pg_server.h"

namespace berth::testing {
namespace {

class PgHubProcesses : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(PgEnvironment::Get(), nullptr) << "no PostgreSQL test server";
    url_ = PgEnvironment::Get()->NewDatabase();
    a_ = std::make_unique<HubProcess>(tmp_.Sub("hub-a"), url_, /*init=*/true);
    b_ = std::make_unique<HubProcess>(tmp_.Sub("hub-b"), url_, /*init=*/false);
    a_->Start();
    b_->Start();
  }
  int Hub(const std::string& args, std::string* out) {
    return RunCommand(Program("sync/hub/berth-hub") + a_->where() + " " + args, out);
  }
  TempDir tmp_;
  std::string url_;
  std::unique_ptr<HubProcess> a_, b_;
};

TEST_F(PgHubProcesses, ACodeEnrolsOnceAndARevocationHoldsWhicheverProcessSeesThem) {
  ASSERT_NE(a_->port(), b_->port());
  const std::string code = a_->MakeCode("Broker laptop", "broker", "Fenland");
  ASSERT_FALSE(code.empty());
  auto first = Device::Create(tmp_.Sub("first"));
  auto second = Device::Create(tmp_.Sub("second"));
  ASSERT_TRUE(sync::Enroll(*first->store, b_->url(), code).ok()) << "hub B enrols with a code made on A";
  EXPECT_EQ(sync::Enroll(*second->store, a_->url(), code).status().code(), Code::kNotAuthorised)
      << "the code was used on B";
  ASSERT_TRUE(second->EnrollAt(a_->url(), *a_, "ward", "Fenland").ok());
  std::string out;
  ASSERT_EQ(Hub("devices", &out), 0) << out;
  EXPECT_NE(out.find(first->store->device_id()), std::string::npos) << out;
  EXPECT_NE(out.find(second->store->device_id()), std::string::npos) << out;
  EXPECT_NE(out.find("ward"), std::string::npos) << out;
  ASSERT_EQ(Hub("codes", &out), 0) << out;
  EXPECT_EQ(out.find("Broker laptop"), std::string::npos) << "a used code is not listed: " << out;
  // Revoked with the CLI: hub B, running since before, refuses the device, which wipes itself.
  ASSERT_EQ(a_->Revoke(first->store->device_id(), &out), 0) << out;
  EXPECT_FALSE(std::filesystem::exists(a_->dir() + "/revocations"))
      << "on PostgreSQL the revocation is the database's row, not a file beside one process";
  auto r = first->Sync(b_->url());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotAuthorised);
  EXPECT_FALSE(Store::Exists(first->dir)) << "the revoked device's key file is gone";
}

// The commands alone, no hub serving.
TEST(PgHubCommands, CommandsNeedOnePlaceAndTheRightPassphrase) {
  ASSERT_NE(PgEnvironment::Get(), nullptr) << "no PostgreSQL test server";
  TempDir tmp;
  HubProcess hub(tmp.Sub("hub"), PgEnvironment::Get()->NewDatabase(), /*init=*/true);
  auto run = [&](const std::string& args, std::string* out) {
    return RunCommand(Program("sync/hub/berth-hub") + hub.where() + " " + args, out);
  };
  std::string out;
  ASSERT_EQ(run("devices", &out), 0) << out;
  EXPECT_EQ(RunCommand(Program("sync/hub/berth-hub") + " devices", &out), 1) << out;
  EXPECT_EQ(
      RunCommand(Program("sync/hub/berth-hub") + " --data " + tmp.Sub("x") + hub.where() + " devices", &out),
      1)
      << "--data and --postgres together: " << out;
  EXPECT_EQ(
      RunCommand("BERTH_HUB_PASSPHRASE=wrong " + Program("sync/hub/berth-hub") + hub.where() + " devices",
                 &out),
      3)
      << out;
  EXPECT_NE(run("init", &out), 0) << "a second init must not replace the hub's keys: " << out;
  EXPECT_NE(RunCommand(Program("sync/hub/berth-hub") +
                           " --postgres 'postgresql://postgres@127.0.0.1:1/none' devices",
                       &out),
            0)
      << out;
}

}  // namespace
}  // namespace berth::testing

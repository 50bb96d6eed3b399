// Security of sync against a real hub: enrollment codes, replayed and tampered requests, revocation (and
// the device wiping itself), role and area scope, and no personal data in clear on the wire or in the hub.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <mutex>

#include "berth/sync/crypto.h"
#include "hub_harness.h"

namespace berth::testing {
namespace {

class SyncSecurity : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(tmp_.Sub("hub"));
    hub_->Start();
  }
  void TearDown() override { hub_->Kill(); }
  // A device whose traffic `wire_` sees (what an eavesdropper on its connections would capture).
  std::unique_ptr<Device> TappedDevice(const std::string& name) {
    auto d = Device::Create(tmp_.Sub(name));
    d->transport = &wire_;
    return d;
  }

  TempDir tmp_;
  std::unique_ptr<HubProcess> hub_;
  RecordingTransport wire_;
};

TEST_F(SyncSecurity, WrongOrReusedCodeIsRefusedAndNothingIsWritten) {
  auto d = Device::Create(tmp_.Sub("d"));
  auto wrong = sync::Enroll(*d->store, hub_->url(), "AAAAA-BBBBB-CCCCC-DDDDD");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), Code::kNotAuthorised);
  EXPECT_FALSE(sync::GetSyncStatus(*d->store)->enrolled);
  auto junk = sync::Enroll(*d->store, hub_->url(), "not a code");
  EXPECT_EQ(junk.status().code(), Code::kBadInput);

  const std::string code = hub_->MakeCode("laptop", "broker", "Fenland");
  ASSERT_TRUE(sync::Enroll(*d->store, hub_->url(), code).ok());
  EXPECT_TRUE(sync::GetSyncStatus(*d->store)->enrolled);
  auto other = Device::Create(tmp_.Sub("other"));
  auto reused = sync::Enroll(*other->store, hub_->url(), code);
  EXPECT_EQ(reused.status().code(), Code::kNotAuthorised) << "a code works once";
  EXPECT_FALSE(sync::GetSyncStatus(*other->store)->enrolled);
  // An enrolled device is not enrolled again.
  EXPECT_EQ(sync::Enroll(*d->store, hub_->url(), hub_->MakeCode("x", "broker", "Fenland")).status().code(),
            Code::kConflict);
}

TEST_F(SyncSecurity, ReplayedAndTamperedRequestsAreRefusedAndChangeNothing) {
  auto d = TappedDevice("d");
  ASSERT_TRUE(d->Enroll(*hub_).ok());
  wire_.Clear();
  const std::string bed = d->Write("bed", "", {{"room", std::string("7")}});
  ASSERT_TRUE(d->Sync().ok());
  const std::vector<WireExchange> seen = wire_.Seen("/v1/sync");
  ASSERT_GE(seen.size(), 2u);  // ping, push, pull...
  const int64_t beds_before = hub_->HubRowCount("bed");
  // Replay every captured request: each is refused (its counter was used).
  for (const auto& e : seen) {
    auto [status, body] = PostRaw(hub_->url(), "/v1/sync", e.request);
    EXPECT_EQ(status, 401);
    EXPECT_EQ(std::string(body.begin(), body.end()), "replay");
  }
  // Tamper with a request's ciphertext (last bytes before the signature): refused as unauthenticated.
  std::vector<uint8_t> tampered = seen[1].request;
  tampered[tampered.size() - 80] ^= 0x01;
  auto [status, body] = PostRaw(hub_->url(), "/v1/sync", tampered);
  EXPECT_EQ(status, 401) << std::string(body.begin(), body.end());
  // Junk is refused as malformed, not crashed on.
  auto [junk_status, junk_body] = PostRaw(hub_->url(), "/v1/sync", {1, 2, 3, 4, 5});
  EXPECT_EQ(junk_status, 400);
  EXPECT_EQ(hub_->HubRowCount("bed"), beds_before);
  EXPECT_EQ(hub_->HubRowCount("bed", bed), 1);
  // The device still syncs fine afterwards.
  EXPECT_TRUE(d->Sync().ok());
  // The counters outlive the hub process: killed (as in a crash) and started again, it still refuses the
  // same requests, which are inside the ten-minute window.
  hub_->Kill();
  hub_->Start();
  for (const auto& e : seen) {
    auto [again, why] = PostRaw(hub_->url(), "/v1/sync", e.request);
    EXPECT_EQ(again, 401);
    EXPECT_EQ(std::string(why.begin(), why.end()), "replay");
  }
}

TEST_F(SyncSecurity, AHubThatDidNotEnrollTheDeviceRefusesIt) {
  auto d = Device::Create(tmp_.Sub("d"));
  ASSERT_TRUE(d->Enroll(*hub_).ok());
  // A second hub never enrolled this device: it cannot open its requests and refuses them.
  HubProcess impostor(tmp_.Sub("impostor"));
  impostor.Start();
  auto r = d->Sync(impostor.url());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotAuthorised);
  impostor.Kill();
}

TEST_F(SyncSecurity, RevokedDeviceIsRefusedAndWipesItself) {
  auto d = Device::Create(tmp_.Sub("d"));
  ASSERT_TRUE(d->Enroll(*hub_).ok());
  ASSERT_TRUE(d->Sync().ok());
  std::string out;
  ASSERT_EQ(hub_->Revoke(d->store->device_id(), &out), 0) << out;
  std::string listing;
  ASSERT_EQ(RunCommand(Program("sync/hub/berth-hub") + hub_->where() + " devices", &listing), 0);
  EXPECT_NE(listing.find("revoked"), std::string::npos) << listing;
  auto r = d->Sync();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotAuthorised);
  EXPECT_TRUE(d->store->locked());
  EXPECT_FALSE(Store::Exists(d->dir)) << "the key file is gone";
  EXPECT_FALSE(std::filesystem::exists(d->dir + "/berth.db"));
  EXPECT_NE(hub_->Revoke("00000000-0000-7000-8000-000000000000"), 0) << "unknown devices are not revoked";
}

TEST_F(SyncSecurity, DevicesReceiveOnlyRowsInTheirRoleAndScope) {
  auto hunts = Device::Create(tmp_.Sub("hunts"));
  auto fenland = Device::Create(tmp_.Sub("fen"));
  auto viewer = Device::Create(tmp_.Sub("viewer"));
  ASSERT_TRUE(hunts->Enroll(*hub_, "broker", "Huntingdonshire").ok());
  ASSERT_TRUE(fenland->Enroll(*hub_, "broker", "Fenland").ok());
  ASSERT_TRUE(viewer->Enroll(*hub_, "viewer", "Huntingdonshire,Fenland").ok());
  const std::string home =
      hunts->Write("provider", "",
                   {{"name", std::string("Huntingdon Home")}, {"district", std::string("Huntingdonshire")}});
  const std::string bed = hunts->Write("bed", "", {{"provider_id", home}});
  const std::string referral = hunts->Write("referral", "", {{"name", std::string("Out Of Scope Person")}});
  const std::string fen_home = fenland->Write(
      "provider", "", {{"name", std::string("Fenland Home")}, {"district", std::string("Fenland")}});
  ASSERT_TRUE(hunts->Sync().ok());
  ASSERT_TRUE(fenland->Sync().ok());
  ASSERT_TRUE(viewer->Sync().ok());
  ASSERT_TRUE(hunts->Sync().ok());
  EXPECT_EQ(Count(*fenland->store, "SELECT count(*) FROM provider WHERE id = '" + home + "'"), 0);
  EXPECT_EQ(Count(*fenland->store, "SELECT count(*) FROM bed"), 0);
  EXPECT_EQ(Count(*fenland->store, "SELECT count(*) FROM referral"), 0);
  EXPECT_EQ(Count(*hunts->store, "SELECT count(*) FROM provider WHERE id = '" + fen_home + "'"), 0);
  EXPECT_EQ(Count(*viewer->store, "SELECT count(*) FROM provider"), 2) << "viewers see supply in their scope";
  EXPECT_EQ(Count(*viewer->store, "SELECT count(*) FROM bed"), 1);
  EXPECT_EQ(Count(*viewer->store, "SELECT count(*) FROM referral"), 0)
      << "viewers never receive personal data";
  // A Fenland device changing a Huntingdonshire bed it has heard of is refused, not applied.
  fenland->Write("bed", bed, {{"room", std::string("stolen")}});
  auto s = fenland->Sync();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->rejected, 1);
  auto conflicts = sync::ListConflicts(*fenland->store);
  ASSERT_EQ(conflicts->size(), 1u);
  EXPECT_EQ((*conflicts)[0].reason_code, "out_of_scope");
  EXPECT_EQ(Count(*fenland->store, "SELECT count(*) FROM bed"), 0) << "rolled back to the hub's answer";
  // The hub kept its own row: a device in scope pulls it unchanged (on either storage).
  ASSERT_TRUE(hunts->Sync().ok());
  EXPECT_EQ(Text(*hunts->store, "SELECT room FROM bed WHERE id = '" + bed + "'"), "");
  // A viewer may push nothing.
  viewer->Write("provider", home, {{"phone", std::string("01480 000000")}});
  auto v = viewer->Sync();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->rejected, 1);
  EXPECT_EQ(sync::ListConflicts(*viewer->store)->at(0).reason_code, "not_permitted");
  ASSERT_TRUE(hunts->Sync().ok());
  EXPECT_EQ(Text(*hunts->store, "SELECT phone FROM provider WHERE id = '" + home + "'"), "");
  (void)referral;
}

TEST_F(SyncSecurity, NoPersonalDataInClearOnTheWireOrInTheHubFiles) {
  const std::string marker = "MARKERZebedee4417";
  const std::string nhs = "9434765919";
  auto a = TappedDevice("a");
  auto b = TappedDevice("b");
  ASSERT_TRUE(a->Enroll(*hub_).ok());
  ASSERT_TRUE(b->Enroll(*hub_).ok());
  const std::string ref =
      a->Write("referral", "", {{"name", marker}, {"nhs_number", nhs}, {"notes", marker + " lives alone"}});
  ASSERT_TRUE(a->Sync().ok());
  ASSERT_TRUE(b->Sync().ok());
  EXPECT_EQ(Text(*b->store, "SELECT name FROM referral WHERE id = '" + ref + "'"), marker)
      << "the data did travel";
  auto contains = [](const std::vector<uint8_t>& hay, const std::string& needle) {
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
  };
  const std::vector<WireExchange> seen = wire_.Seen();
  ASSERT_GE(seen.size(), 4u);
  for (const auto& e : seen) {
    EXPECT_FALSE(contains(e.request, marker) || contains(e.response, marker));
    EXPECT_FALSE(contains(e.request, nhs) || contains(e.response, nhs));
  }
  hub_->Terminate();
  int files = 0;
  for (const auto& f : hub_->DataFiles()) {
    ++files;
    EXPECT_FALSE(FileContains(f, marker)) << f;
    EXPECT_FALSE(FileContains(f, nhs)) << f;
  }
  EXPECT_GT(files, 0);
  const std::string log = hub_->dir() + ".log";
  EXPECT_FALSE(FileContains(log, marker));
  EXPECT_FALSE(FileContains(log, nhs));
}

}  // namespace
}  // namespace berth::testing

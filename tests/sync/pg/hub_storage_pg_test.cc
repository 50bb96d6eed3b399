// The hub's PostgreSQL storage through its interface (hub_storage.h), on a server of the test's own
// (pg_server.h). Two storages opened on one database stand for two hub processes: each has its own
// connections, so what must hold across processes (a code used once, replay counters, revocation) is
// decided by the database, not by a lock in one of them.
#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <thread>

#include "berth/schema/ids.h"
#include "berth/sync/crypto.h"
#include "berth/sync/hub_storage.h"
#include "hub_harness.h"
#include "pg_server.h"

namespace berth::testing {
namespace {

using sync::Bytes;

const auto* const kPgEnvironment = ::testing::AddGlobalTestEnvironment(new PgEnvironment);
// In this binary every HubProcess made from a directory alone (the shared sync tests) is on PostgreSQL.
const bool kHubsOnPostgres = [] {
  HubDatabaseMaker() = [] { return PgEnvironment::Get()->NewDatabase(); };
  HubDatabaseCopies() = [](const std::string& url) { return PgEnvironment::Get()->Copies(url); };
  return true;
}();

std::string Hex(const uint8_t* p, size_t n) {
  std::string hex(n * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), p, n);
  hex.pop_back();
  return hex;
}

constexpr const char* kPass = "hub passphrase for the postgres tests";

class PgHub : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(PgEnvironment::Get(), nullptr) << "no PostgreSQL test server";
    url_ = PgEnvironment::Get()->NewDatabase();
    const Status made = sync::InitPostgresHub(url_, Secret(kPass));
    ASSERT_TRUE(made.ok()) << made.ToString();
    a_ = Open();
    b_ = Open();
  }
  std::unique_ptr<sync::HubStorage> Open(const char* pass = kPass) {
    auto s = sync::OpenPostgresHubStorage(url_, Secret(pass));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // A code made on hub A; its id.
  Bytes AddCode(const std::string& name = "Broker laptop", int64_t expires_ms = 0) {
    const std::string code = *sync::NormaliseCode(sync::NewEnrollmentCode());
    const Bytes id = sync::CodeId(code);
    const int64_t expires = expires_ms != 0 ? expires_ms : Env::Default()->NowMs() + 3600000;
    EXPECT_TRUE(
        a_->AddCode(id, sync::CodeKeysFromCode(code).verifier, name, "broker", "Fenland", expires).ok());
    return id;
  }
  std::string Enrolled() {
    const std::string device = NewUuidV7();
    const auto keys = sync::KeyPairs::Generate();
    EXPECT_TRUE(a_->EnrollDevice(AddCode(), device, keys.sign_pk, keys.kx_pk, Env::Default()->NowMs()).ok());
    return device;
  }
  std::string url_;
  std::unique_ptr<sync::HubStorage> a_, b_;
};

TEST_F(PgHub, EveryProcessUnlocksTheSameKeysWithThePassphraseAndOnlyWithIt) {
  auto ka = a_->HubKeys(), kb = b_->HubKeys();
  ASSERT_TRUE(ka.ok() && kb.ok());
  EXPECT_EQ(ka->sign_pk, kb->sign_pk);
  EXPECT_EQ(ka->kx_pk, kb->kx_pk);
  EXPECT_EQ(sync::OpenPostgresHubStorage(url_, Secret("not the passphrase")).status().code(),
            Code::kWrongPassphrase);
  EXPECT_EQ(sync::InitPostgresHub(url_, Secret(kPass)).code(), Code::kConflict)
      << "a second init must not replace the keys devices trust";
  auto again = Open();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->HubKeys()->sign_pk, ka->sign_pk);
  // The secret halves are nowhere in a dump of the database.
  std::string dump;
  ASSERT_EQ(PgEnvironment::Get()->Client("pg_dump", url_.substr(url_.rfind('/') + 1), &dump), 0) << dump;
  ASSERT_NE(dump.find("hub_keys"), std::string::npos);
  const Secret blob = ka->SecretBlob();
  const std::string hex = Hex(blob.data(), 32);
  EXPECT_EQ(dump.find(hex), std::string::npos) << "the hub's signing key lies in clear";
}

TEST_F(PgHub, ADatabaseWithoutAHubOrFromANewerBerthIsRefused) {
  const std::string empty = PgEnvironment::Get()->NewDatabase();
  EXPECT_EQ(sync::OpenPostgresHubStorage(empty, Secret(kPass)).status().code(), Code::kNotFound);
  std::string out;
  const std::string db = url_.substr(url_.rfind('/') + 1);
  ASSERT_EQ(PgEnvironment::Get()->Client(
                "psql", "-tA -d " + db + " -c 'SELECT max(version) FROM schema_version'", &out),
            0);
  EXPECT_EQ(std::stoi(out), 2) << "one row per migration applied, opening twice applies none again";
  ASSERT_EQ(
      PgEnvironment::Get()->Client("psql", "-d " + db + " -c 'INSERT INTO schema_version VALUES (99)'", &out),
      0)
      << out;
  EXPECT_EQ(sync::OpenPostgresHubStorage(url_, Secret(kPass)).status().code(), Code::kConflict);
}

TEST_F(PgHub, ACodeEnrolsOneDeviceWhenProcessesRaceForIt) {
  const Bytes id = AddCode();
  ASSERT_TRUE(b_->CodeVerifier(id, Env::Default()->NowMs()).ok()) << "hub B sees the code hub A made";
  std::atomic<int> won{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto& hub = i % 2 == 0 ? a_ : b_;
      const auto keys = sync::KeyPairs::Generate();
      auto r = hub->EnrollDevice(id, NewUuidV7(), keys.sign_pk, keys.kx_pk, Env::Default()->NowMs());
      if (r.ok()) ++won;
      if (!r.ok() && r.status().code() == Code::kNotAuthorised) ++refused;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(refused.load(), 7);
  EXPECT_EQ(a_->CodeVerifier(id, Env::Default()->NowMs()).status().code(), Code::kNotAuthorised);
  EXPECT_EQ(b_->ListDevices()->size(), 1u);
}

TEST_F(PgHub, ExpiredAndCancelledCodesEnrolNothing) {
  const Bytes old = AddCode("old", Env::Default()->NowMs() - 1);
  const auto keys = sync::KeyPairs::Generate();
  EXPECT_EQ(
      b_->EnrollDevice(old, NewUuidV7(), keys.sign_pk, keys.kx_pk, Env::Default()->NowMs()).status().code(),
      Code::kNotAuthorised);
  const Bytes id = AddCode("Ward 7 laptop");
  auto codes = b_->ListCodes();
  ASSERT_TRUE(codes.ok());
  ASSERT_EQ(codes->size(), 2u) << "unused codes, expired ones included";
  EXPECT_EQ(codes->front().name, "Ward 7 laptop") << "newest first";
  EXPECT_EQ(b_->CancelCode("zz12").code(), Code::kUsage);
  EXPECT_EQ(b_->CancelCode("abc").code(), Code::kUsage) << "at least 4 hex digits";
  const std::string hex = codes->front().id;
  ASSERT_TRUE(b_->CancelCode(hex.substr(0, 8)).ok());
  EXPECT_EQ(a_->CancelCode(hex.substr(0, 8)).code(), Code::kNotFound);
  EXPECT_EQ(
      a_->EnrollDevice(id, NewUuidV7(), keys.sign_pk, keys.kx_pk, Env::Default()->NowMs()).status().code(),
      Code::kNotAuthorised);
  EXPECT_EQ(a_->ListCodes()->size(), 1u);
}

TEST_F(PgHub, ReplayCountersHoldAcrossProcesses) {
  const std::string d = Enrolled();
  const int64_t now = Env::Default()->NowMs();
  ASSERT_TRUE(a_->AdvanceCounter(d, 5, now).ok());
  EXPECT_EQ(b_->AdvanceCounter(d, 5, now).code(), Code::kNotAuthorised) << "the same request replayed on B";
  EXPECT_EQ(b_->AdvanceCounter(d, 4, now).code(), Code::kNotAuthorised);
  EXPECT_TRUE(b_->AdvanceCounter(d, 6, now).ok());
  EXPECT_EQ(b_->GetDevice(d)->last_counter, 6u);
  // One request sent to both processes at once is accepted once.
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      if ((i % 2 == 0 ? a_ : b_)->AdvanceCounter(d, 7, now).ok()) ++accepted;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1);
  EXPECT_EQ(a_->AdvanceCounter("no-such-device", 100, now).code(), Code::kNotAuthorised);
}

TEST_F(PgHub, ARevocationOnOneProcessHoldsOnEvery) {
  const std::string d = Enrolled();
  EXPECT_FALSE(b_->GetDevice(d)->revoked);
  ASSERT_TRUE(a_->Revoke(d).ok());
  EXPECT_TRUE(b_->GetDevice(d)->revoked);
  EXPECT_EQ(b_->Revoke(NewUuidV7()).code(), Code::kNotFound);
  EXPECT_EQ(b_->GetDevice(NewUuidV7()).status().code(), Code::kNotFound);
}

TEST_F(PgHub, ADeviceIsEnrolledOnceAndNeedsAUuid) {
  const std::string d = Enrolled();
  const auto keys = sync::KeyPairs::Generate();
  EXPECT_EQ(b_->EnrollDevice(AddCode(), d, keys.sign_pk, keys.kx_pk, Env::Default()->NowMs()).status().code(),
            Code::kConflict);
  EXPECT_EQ(b_->EnrollDevice(AddCode(), "laptop", keys.sign_pk, keys.kx_pk, Env::Default()->NowMs())
                .status()
                .code(),
            Code::kBadInput);
  auto devices = a_->ListDevices();
  ASSERT_TRUE(devices.ok());
  ASSERT_EQ(devices->size(), 1u) << "the refused enrolments wrote nothing";
  EXPECT_EQ(devices->front().role, "broker");
  EXPECT_EQ(devices->front().scope, std::vector<std::string>{"Fenland"});
}

TEST_F(PgHub, ANewCourierKeyReplacesTheOldAndRestartsItsCounter) {
  const std::string d = Enrolled();
  EXPECT_EQ(b_->GetCourier(d).status().code(), Code::kNotFound);
  const auto first = sync::KeyPairs::Generate(), second = sync::KeyPairs::Generate();
  ASSERT_TRUE(a_->SetCourierKey(d, first.sign_pk, first.kx_pk, 1000).ok());
  ASSERT_TRUE(b_->AdvanceCourierCounter(d, first.sign_pk, 3).ok());
  EXPECT_EQ(a_->AdvanceCourierCounter(d, first.sign_pk, 3).code(), Code::kNotAuthorised);
  ASSERT_TRUE(b_->SetCourierKey(d, second.sign_pk, second.kx_pk, 2000).ok());
  auto c = a_->GetCourier(d);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->sign_pk, second.sign_pk);
  EXPECT_EQ(c->registered_ms, 2000);
  EXPECT_EQ(c->last_counter, 0u);
  EXPECT_EQ(a_->AdvanceCourierCounter(d, first.sign_pk, 9).code(), Code::kNotAuthorised) << "the old key";
  EXPECT_TRUE(a_->AdvanceCourierCounter(d, second.sign_pk, 1).ok());
}

}  // namespace
}  // namespace berth::testing

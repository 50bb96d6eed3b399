// The hub's PostgreSQL storage through its interface (hub_storage.h), on a server of the test's own
// (pg_server.h). Two storages opened on one database stand for two hub processes: each has its own
// connections, so what must hold across processes (a code used once, replay counters, revocation) is
// decided by the database, not by a lock in one of them.
#include <gtest/gtest.h>
#include <sodium.h>

#include <atomic>
#include <map>
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

TEST_F(PgHub, APassphraseChangeSealsTheSameKeysAgainAndTheOldOneStopsOpeningThem) {
  const auto before = a_->HubKeys();
  ASSERT_TRUE(before.ok());
  constexpr const char* kNewPass = "the hub's next passphrase, for the postgres tests";
  EXPECT_EQ(sync::ChangePostgresHubPassphrase(url_, Secret("not the passphrase"), Secret(kNewPass)).code(),
            Code::kWrongPassphrase);
  ASSERT_NE(Open(kPass), nullptr) << "a refused change left the passphrase as it was";

  const Status changed = sync::ChangePostgresHubPassphrase(url_, Secret(kPass), Secret(kNewPass));
  ASSERT_TRUE(changed.ok()) << changed.ToString();
  EXPECT_EQ(sync::OpenPostgresHubStorage(url_, Secret(kPass)).status().code(), Code::kWrongPassphrase);
  auto reopened = Open(kNewPass);
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->HubKeys()->sign_pk, before->sign_pk) << "devices pin the hub's keys: they stay";
  EXPECT_EQ(reopened->HubKeys()->kx_pk, before->kx_pk);
  // A process already running keeps serving with the keys it unlocked.
  EXPECT_TRUE(b_->GetDevice(Enrolled()).ok());
  // A second change made with the old passphrase (another administrator, late) is refused.
  EXPECT_EQ(sync::ChangePostgresHubPassphrase(url_, Secret(kPass), Secret("yet another passphrase")).code(),
            Code::kWrongPassphrase);
}

TEST_F(PgHub, ADatabaseWithoutAHubOrFromANewerBerthIsRefused) {
  const std::string empty = PgEnvironment::Get()->NewDatabase();
  EXPECT_EQ(sync::OpenPostgresHubStorage(empty, Secret(kPass)).status().code(), Code::kNotFound);
  std::string out;
  const std::string db = url_.substr(url_.rfind('/') + 1);
  ASSERT_EQ(PgEnvironment::Get()->Client(
                "psql", "-tA -d " + db + " -c 'SELECT max(version) FROM schema_version'", &out),
            0);
  EXPECT_EQ(std::stoi(out), 3) << "one row per migration applied, opening twice applies none again";
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

// Two processes confirming one bed at the same moment: the bed's row lock decides, exactly one placement
// stands and the other push is told bed_taken. Several beds, so that some pushes do overlap.
TEST_F(PgHub, TwoProcessesConfirmingOneBedAtOnceGiveOneWinner) {
  const std::string da = Enrolled(), db = Enrolled();
  auto dev_a = a_->GetDevice(da), dev_b = b_->GetDevice(db);
  ASSERT_TRUE(dev_a.ok() && dev_b.ok());
  uint32_t tick = 0;
  uint64_t seq_a = 0, seq_b = 0;
  auto entry = [&](const std::string& device, uint64_t* seq, const std::string& entity,
                   std::map<std::string, Value> f, MutationKind kind = MutationKind::kUpsert,
                   const std::string& claim = "") {
    sync::OutboxEntry e;
    e.seq = ++*seq;
    e.mutation.mutation_id = NewUuidV7();
    e.mutation.kind = kind;
    e.mutation.entity = entity;
    e.mutation.row_id = NewUuidV7();
    e.mutation.hlc = Hlc{Env::Default()->NowMs(), ++tick}.ToString();
    e.mutation.origin_device = device;
    e.mutation.fields = std::move(f);
    e.mutation.claim = claim;
    return e;
  };
  constexpr int kBeds = 6;
  sync::PushRequest supply;
  supply.entries.push_back(entry(da, &seq_a, "provider", {{"district", std::string("Fenland")}}));
  const std::string provider = supply.entries.back().mutation.row_id;
  std::vector<std::string> beds;
  for (int i = 0; i < kBeds; ++i) {
    supply.entries.push_back(
        entry(da, &seq_a, "bed", {{"provider_id", provider}, {"status", std::string("vacant")}}));
    beds.push_back(supply.entries.back().mutation.row_id);
  }
  sync::PushStats stats;
  auto seeded = a_->Push(*dev_a, supply, Env::Default()->NowMs(), &stats);
  ASSERT_TRUE(seeded.ok()) << seeded.status().ToString();
  ASSERT_EQ(stats.applied, kBeds + 1);
  auto confirm = [&](const std::string& device, uint64_t* seq, const std::string& bed) {
    sync::PushRequest r;
    r.entries.push_back(entry(device, seq, "placement",
                              {{"referral_id", NewUuidV7()},
                               {"bed_id", bed},
                               {"provider_id", provider},
                               {"kind", std::string("care_home")},
                               {"status", std::string("active")}},
                              MutationKind::kClaim, "bed_confirm"));
    return r;
  };
  int won_a = 0, won_b = 0, taken = 0;
  for (const auto& bed : beds) {
    const sync::PushRequest ra = confirm(da, &seq_a, bed), rb = confirm(db, &seq_b, bed);
    Result<sync::PushResponse> pa = InternalError("not run"), pb = InternalError("not run");
    sync::PushStats sa, sb;
    std::thread ta([&] { pa = a_->Push(*dev_a, ra, Env::Default()->NowMs(), &sa); });
    std::thread tb([&] { pb = b_->Push(*dev_b, rb, Env::Default()->NowMs(), &sb); });
    ta.join();
    tb.join();
    ASSERT_TRUE(pa.ok()) << pa.status().ToString();
    ASSERT_TRUE(pb.ok()) << pb.status().ToString();
    EXPECT_EQ(sa.applied + sb.applied, 1) << "exactly one placement stands on bed " << bed;
    won_a += static_cast<int>(sa.applied);
    won_b += static_cast<int>(sb.applied);
    for (const auto* p : {&*pa, &*pb}) {
      if (p->results.at(0).outcome == static_cast<uint8_t>(sync::Outcome::kRejected)) {
        EXPECT_EQ(p->results[0].reason_code, "bed_taken");
        ++taken;
      }
    }
  }
  EXPECT_EQ(won_a + won_b, kBeds);
  EXPECT_EQ(taken, kBeds);
  // Both devices pull the same change log, numbered without gaps in commit order.
  sync::PullRequest pull;
  auto from_a = a_->Pull(*dev_a, pull), from_b = b_->Pull(*dev_b, pull);
  ASSERT_TRUE(from_a.ok() && from_b.ok());
  EXPECT_EQ(from_a->next_cursor, from_b->next_cursor);
  EXPECT_EQ(from_a->next_cursor, static_cast<uint64_t>(1 + 2 * kBeds))
      << "provider, beds, one placement each";
}

}  // namespace
}  // namespace berth::testing

namespace berth::testing {
namespace {

// The provider portal's state (PROTOCOL.md section 14) is the database's: an invite used on one process
// cannot be used on another, failed sign-ins on both count towards one lockout, and a session made on one
// is seen, and ended by a revocation, on the other.
TEST_F(PgHub, PortalAccountsLockoutAndSessionsHoldAcrossProcesses) {
  auto invited = sync::InviteProvider(*a_, "1-300000001", "Manager@Home.example", 1000);
  ASSERT_TRUE(invited.ok()) << invited.status().ToString();
  EXPECT_EQ(invited->account.email, "manager@home.example");
  EXPECT_EQ(sync::InviteProvider(*b_, "1-300000002", "manager@home.example", 1000).status().code(),
            Code::kConflict);
  const std::string id = invited->account.account_id;
  // The account's hub device exists and is a provider's: no keys, never a sync.
  auto device = b_->GetDevice("portal-" + id);
  ASSERT_TRUE(device.ok());
  EXPECT_EQ(device->role, "provider");
  EXPECT_TRUE(device->sign_pk.empty());

  const sync::Bytes invite_id(16, 7);  // an invite of a known id, to use it from both processes
  sync::ProviderAccount second;
  second.account_id = std::string(32, 'b');
  second.cqc_location_id = "1-300000003";
  second.email = "other@home.example";
  second.created_ms = 1000;
  second.invite_expires_ms = 5000;
  ASSERT_TRUE(a_->AddProviderAccount(second, invite_id).ok());
  EXPECT_EQ(b_->ProviderAccountByInvite(invite_id, 6000).status().code(), Code::kNotAuthorised) << "expired";
  ASSERT_TRUE(b_->ProviderAccountByInvite(invite_id, 2000).ok());
  ASSERT_TRUE(b_->SetProviderPassword(invite_id, "$argon2id$hash", 2000).ok());
  EXPECT_EQ(a_->SetProviderPassword(invite_id, "$argon2id$other", 2000).code(), Code::kNotAuthorised);
  EXPECT_EQ(a_->GetProviderAccount(second.account_id)->password_hash, "$argon2id$hash");

  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE((i % 2 ? a_ : b_)->RecordSignInFailure(second.account_id, 10000, 5, 900).ok());
  EXPECT_EQ(a_->GetProviderAccount(second.account_id)->locked_until_ms, 0);
  ASSERT_TRUE(b_->RecordSignInFailure(second.account_id, 10000, 5, 900).ok());
  EXPECT_EQ(a_->GetProviderAccount(second.account_id)->locked_until_ms, 10900);

  const sync::Bytes session(32, 9);
  ASSERT_TRUE(a_->AddPortalSession(session, {second.account_id, "csrf-token", 20000}).ok());
  auto seen = b_->GetPortalSession(session, 15000);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->csrf, "csrf-token");
  EXPECT_EQ(b_->GetPortalSession(session, 20001).status().code(), Code::kNotAuthorised) << "expired";
  ASSERT_TRUE(b_->RevokeProviderAccount("bbbb").ok());
  EXPECT_EQ(a_->GetPortalSession(session, 15000).status().code(), Code::kNotAuthorised);
  EXPECT_TRUE(a_->GetDevice("portal-" + second.account_id)->revoked);
  ASSERT_TRUE(a_->AuditPortal(15000, second.account_id, "view", "/offers").ok());
}

}  // namespace
}  // namespace berth::testing

// A device whose role may write nothing has its push refused before a byte of it is decoded (issue 15,
// finding 6): the hub's handler, with its real store, is given a push whose body is junk (and one that
// declares far more entries than the cap). A viewer is answered not_permitted, which it can only be if the
// role was checked first; a broker sending the same bytes is answered bad_message, which shows the bytes
// really are undecodable.
#include <gtest/gtest.h>

#include <cstring>

#include "berth/schema/ids.h"
#include "berth/schema/store.h"
#include "berth/sync/crypto.h"
#include "berth/sync/hub.h"
#include "berth/sync/hub_storage.h"
#include "berth/sync/version.h"
#include "berth/sync/wire.h"
#include "support/test_support.h"

namespace berth::sync {
namespace {

Bytes Random(size_t n) {
  const Secret s = Secret::Random(n);
  return Bytes(s.data(), s.data() + s.size());
}

class HubPushRole : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    Secret recovery;
    auto store = Store::Create(tmp_.Sub("hub"), Secret("hub passphrase for tests"), &recovery, o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE(InitHubStore(**store).ok());
    hub_ = std::make_unique<Hub>(MakeSqliteHubStorage(std::move(store).value()));
    ASSERT_TRUE(hub_->Start().ok());
    auto keys = hub_->storage().HubKeys();
    ASSERT_TRUE(keys.ok());
    hub_public_ = PublicKeys{keys->sign_pk, keys->kx_pk};
  }

  struct Enrolled {
    std::string id;
    KeyPairs keys = KeyPairs::Generate();
  };
  Enrolled Enrol(const std::string& role) {
    Enrolled d;
    d.id = NewUuidV7();
    const Bytes code_id = Random(16);
    EXPECT_TRUE(
        hub_->storage().AddCode(code_id, Random(32), role, role, "Huntingdonshire", NowMs() + 3600000).ok());
    EXPECT_TRUE(hub_->storage().EnrollDevice(code_id, d.id, d.keys.sign_pk, d.keys.kx_pk, NowMs()).ok());
    return d;
  }

  // Sends a push whose body is `body` (already a PushRequest's bytes, or not) and returns the hub's answer.
  Response Push(const Enrolled& d, const Bytes& body) {
    const Bytes payload =
        Compress(Encode(Request{kProtocolVersion, static_cast<uint8_t>(MessageType::kPush), body}));
    auto sealed =
        SealRequest(d.keys, hub_public_, d.id, static_cast<uint64_t>(NowMs()) * 1000 + ++counter_, payload);
    EXPECT_TRUE(sealed.ok());
    const HttpAnswer answer = hub_->HandleSync(sealed->envelope);
    EXPECT_EQ(answer.status, 200);
    auto opened = OpenResponse(*sealed, hub_public_, answer.body);
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    auto plain = Decompress(*opened);
    EXPECT_TRUE(plain.ok());
    auto response = DecodeResponse(*plain);
    EXPECT_TRUE(response.ok());
    return response.ok() ? *response : Response{};
  }

  testing::TempDir tmp_;
  std::unique_ptr<Hub> hub_;
  PublicKeys hub_public_;
  uint64_t counter_ = 0;
};

TEST_F(HubPushRole, AViewersPushIsRefusedBeforeItIsDecoded) {
  const Enrolled viewer = Enrol("viewer");
  const Enrolled broker = Enrol("broker");
  // Junk: no PushRequest at all.
  const Bytes junk(4096, 0xA5);
  // A cursor, then a count of a billion entries, then nothing: refused by the decoder's cap.
  Bytes huge(64, 0);
  const uint64_t declared = 1000000000;
  std::memcpy(huge.data() + 8, &declared, sizeof declared);
  for (const Bytes& body : {junk, huge}) {
    const Response to_viewer = Push(viewer, body);
    EXPECT_EQ(to_viewer.error, static_cast<uint8_t>(WireError::kNotPermitted)) << to_viewer.message;
    EXPECT_TRUE(to_viewer.body.empty()) << "nothing of the push was read, so nothing is answered per entry";
    const Response to_broker = Push(broker, body);
    EXPECT_EQ(to_broker.error, static_cast<uint8_t>(WireError::kBadMessage))
        << "the same bytes from a broker are decoded, and refused as malformed";
  }
}

}  // namespace
}  // namespace berth::sync

// A device whose role may write nothing has its push refused before a byte of it is decoded (issue 15,
// finding 6), live or spooled: the hub's handlers, with their real store, are given a push whose body is
// junk (and one that declares far more entries than the cap). A viewer is answered not_permitted, which it
// can only be if the role was checked first; a broker sending the same bytes is answered bad_message, which
// shows the bytes really are undecodable.
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
  Response Push(const Enrolled& d, const Bytes& body) { return Send(d.keys, d.id, MessageType::kPush, body); }

  // One sealed request of `type` on /v1/sync (direction 1, the device's keys) or, for the courier's
  // types, on /v1/courier (direction 3, the courier's keys), and the hub's answer.
  Response Send(const KeyPairs& keys, const std::string& device_id, MessageType type, const Bytes& body) {
    const bool courier = type == MessageType::kSpoolUpload || type == MessageType::kSpoolPull;
    const Bytes payload = Compress(Encode(Request{kProtocolVersion, static_cast<uint8_t>(type), body}));
    auto sealed = SealRequest(keys, hub_public_, device_id,
                              static_cast<uint64_t>(NowMs()) * 1000 + ++counter_, payload, courier ? 3 : 1);
    EXPECT_TRUE(sealed.ok());
    const HttpAnswer answer =
        courier ? hub_->HandleCourier(sealed->envelope) : hub_->HandleSync(sealed->envelope);
    EXPECT_EQ(answer.status, 200) << std::string(answer.body.begin(), answer.body.end());
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

// The same on the courier's path (sync while locked, PROTOCOL.md section 11): a viewer's spooled batch is
// refused before its box is opened or its contents decompressed; a broker's box of the same junk is
// opened, decoded and refused as malformed.
TEST_F(HubPushRole, AViewersSpooledBatchIsRefusedBeforeItIsOpened) {
  const Enrolled viewer = Enrol("viewer");
  const Enrolled broker = Enrol("broker");
  for (const Enrolled* d : {&viewer, &broker}) {
    const KeyPairs courier = KeyPairs::Generate();
    const Response registered = Send(d->keys, d->id, MessageType::kCourierKey,
                                     Encode(CourierKeyRequest{courier.sign_pk, courier.kx_pk}));
    ASSERT_EQ(registered.error, static_cast<uint8_t>(WireError::kOk)) << registered.message;
    // Sealed by the device itself, as a real spooled batch is: only its contents are junk.
    auto box =
        SealBox(d->keys, hub_public_.kx_pk, BoxPurpose::kSpooledPush, d->id, Compress(Bytes(4096, 0xA5)));
    ASSERT_TRUE(box.ok());
    const Response answer = Send(courier, d->id, MessageType::kSpoolUpload, *box);
    if (d == &viewer) {
      EXPECT_EQ(answer.error, static_cast<uint8_t>(WireError::kNotPermitted)) << answer.message;
      EXPECT_TRUE(answer.body.empty());
    } else {
      EXPECT_EQ(answer.error, static_cast<uint8_t>(WireError::kBadMessage)) << answer.message;
      EXPECT_EQ(answer.message, "malformed spooled batch");
    }
  }
}

}  // namespace
}  // namespace berth::sync

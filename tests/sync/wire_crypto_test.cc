// The wire format and the sealed envelope without a network: round trips, junk refused without crashing,
// tampered or misdirected answers refused by the device.
#include <gtest/gtest.h>

#include <random>

#include "berth/schema/ids.h"
#include "berth/sync/crypto.h"
#include "berth/sync/version.h"
#include "berth/sync/wire.h"
#include "fuzz/fuzz_sync_decoder.cc"  // NOLINT: the fuzz entry point, run here under GCC's sanitizers

namespace berth::sync {
namespace {

PushRequest SamplePush() {
  PushRequest p;
  for (int i = 0; i < 50; ++i) {
    OutboxEntry e;
    e.seq = static_cast<uint64_t>(i + 1);
    e.mutation.mutation_id = NewUuidV7();
    e.mutation.kind = i % 7 == 0 ? MutationKind::kClaim : MutationKind::kUpsert;
    e.mutation.entity = "bed";
    e.mutation.row_id = NewUuidV7();
    e.mutation.hlc = Hlc{NowMs(), static_cast<uint32_t>(i)}.ToString();
    e.mutation.origin_device = "0193a000-0000-7000-8000-000000000001";
    e.mutation.fields = {
        {"room", std::string("12")}, {"en_suite", int64_t{1}}, {"rate", 812.5}, {"note", Value()}};
    e.mutation.claim = i % 7 == 0 ? "bed_hold" : "";
    p.entries.push_back(e);
  }
  return p;
}

TEST(Wire, PushRequestRoundTripsThroughCompression) {
  const PushRequest p = SamplePush();
  const Bytes encoded = Encode(p);
  const Bytes payload = Compress(encoded);
  EXPECT_EQ(payload[0], 1) << "a batch of mutations compresses";
  EXPECT_LT(payload.size(), encoded.size());
  auto back = Decompress(payload);
  ASSERT_TRUE(back.ok());
  auto decoded = DecodePushRequest(*back);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->entries.size(), p.entries.size());
  EXPECT_EQ(decoded->entries[7].mutation.claim, "bed_hold");
  EXPECT_EQ(decoded->entries[3].mutation.fields, p.entries[3].mutation.fields);
}

TEST(Wire, JunkTruncationAndLyingLengthsAreRefusedNotCrashedOn) {
  const Bytes good = Encode(SamplePush());
  for (size_t cut = 0; cut < good.size(); cut += 37) {
    auto r = DecodePushRequest(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut)));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kBadInput);
  }
  Bytes lying = good;
  for (int i = 8; i < 16; ++i) lying[static_cast<size_t>(i)] = 0xff;  // entry count 2^64-1 (after the cursor)
  EXPECT_EQ(DecodePushRequest(lying).status().code(), Code::kBadInput);
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(DecodePushRequest(trailing).status().code(), Code::kBadInput);
  EXPECT_EQ(Decompress({1, 0x28, 0xb5, 0x2f, 0xfd}).status().code(), Code::kBadInput);
  EXPECT_EQ(Decompress({9}).status().code(), Code::kBadInput);
}

TEST(Wire, FuzzEntryPointSurvivesMutatedValidMessages) {
  std::mt19937 rng(7);
  const std::vector<Bytes> seeds = {Encode(SamplePush()), Compress(Encode(SamplePush())),
                                    Encode(PullResponse{}), Encode(Request{kProtocolVersion, 2, {1, 2, 3}})};
  for (int i = 0; i < 3000; ++i) {
    Bytes b = seeds[static_cast<size_t>(i) % seeds.size()];
    const int flips = 1 + static_cast<int>(rng() % 8);
    for (int f = 0; f < flips && !b.empty(); ++f) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    if (rng() % 4 == 0 && !b.empty()) b.resize(rng() % b.size());
    ASSERT_EQ(LLVMFuzzerTestOneInput(b.data(), b.size()), 0);
  }
}

class Envelopes : public ::testing::Test {
 protected:
  KeyPairs device_ = KeyPairs::Generate();
  KeyPairs hub_ = KeyPairs::Generate();
  PublicKeys hub_pub_{hub_.sign_pk, hub_.kx_pk};
  PublicKeys device_pub_{device_.sign_pk, device_.kx_pk};
  const std::string id_ = "0193a000-0000-7000-8000-000000000001";
};

TEST_F(Envelopes, RequestAndAnswerOpenOnlyForTheirPeers) {
  const Bytes payload = {1, 2, 3, 4};
  auto sealed = SealRequest(device_, hub_pub_, id_, 42, payload);
  ASSERT_TRUE(sealed.ok());
  auto env = DecodeEnvelope(sealed->envelope);
  ASSERT_TRUE(env.ok());
  SessionKeys keys;
  auto opened = OpenRequest(hub_, device_pub_, *env, &keys);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, payload);
  // Another device's keys do not open it.
  KeyPairs other = KeyPairs::Generate();
  SessionKeys k2;
  EXPECT_EQ(OpenRequest(hub_, PublicKeys{other.sign_pk, other.kx_pk}, *env, &k2).status().code(),
            Code::kNotAuthorised);
  const Bytes answer = SealResponse(hub_, env->header, keys, {9, 9});
  auto back = OpenResponse(*sealed, hub_pub_, answer);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, (Bytes{9, 9}));
  // Tampered answer: refused.
  Bytes tampered = answer;
  tampered[tampered.size() - 70] ^= 0x40;
  EXPECT_EQ(OpenResponse(*sealed, hub_pub_, tampered).status().code(), Code::kIntegrity);
  // An answer signed by another hub: refused (the device pins its hub's key).
  KeyPairs impostor = KeyPairs::Generate();
  const Bytes forged = SealResponse(impostor, env->header, keys, {9, 9});
  EXPECT_EQ(OpenResponse(*sealed, hub_pub_, forged).status().code(), Code::kIntegrity);
  // The answer to one request does not pass for the answer to another (replayed answer).
  auto second = SealRequest(device_, hub_pub_, id_, 43, payload);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(OpenResponse(*second, hub_pub_, answer).status().code(), Code::kIntegrity);
}

TEST_F(Envelopes, ACourierEnvelopeIsNotADevicesAndItsAnswerEchoesTheDirection) {
  KeyPairs courier = KeyPairs::Generate();
  auto sealed = SealRequest(courier, hub_pub_, id_, 7, {1}, /*direction=*/3);
  ASSERT_TRUE(sealed.ok());
  auto env = DecodeEnvelope(sealed->envelope);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->header.direction, 3);
  SessionKeys keys;
  // Checked against the device's keys (what /v1/sync does), the courier's envelope fails.
  EXPECT_EQ(OpenRequest(hub_, device_pub_, *env, &keys).status().code(), Code::kNotAuthorised);
  ASSERT_TRUE(OpenRequest(hub_, PublicKeys{courier.sign_pk, courier.kx_pk}, *env, &keys).ok());
  const Bytes answer = SealResponse(hub_, env->header, keys, {2});
  EXPECT_EQ(DecodeEnvelope(answer)->header.direction, 4);
  EXPECT_TRUE(OpenResponse(*sealed, hub_pub_, answer).ok());
  EXPECT_FALSE(SealRequest(courier, hub_pub_, id_, 8, {1}, /*direction=*/2).ok());
}

TEST_F(Envelopes, ABoxOpensOnlyForItsRecipientFromItsSenderAsItsKind) {
  const Bytes payload = {4, 5, 6};
  auto box = SealBox(device_, hub_.kx_pk, BoxPurpose::kSpooledPush, id_, payload);
  ASSERT_TRUE(box.ok());
  auto opened = OpenBox(hub_, device_pub_, BoxPurpose::kSpooledPush, id_, *box);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, payload);
  KeyPairs other = KeyPairs::Generate();
  // Another recipient (even one that knows the sender's public keys) cannot open it.
  EXPECT_EQ(OpenBox(other, device_pub_, BoxPurpose::kSpooledPush, id_, *box).status().code(),
            Code::kIntegrity);
  // Another sender's signature is not the device's.
  auto forged = SealBox(other, hub_.kx_pk, BoxPurpose::kSpooledPush, id_, payload);
  ASSERT_TRUE(forged.ok());
  EXPECT_EQ(OpenBox(hub_, device_pub_, BoxPurpose::kSpooledPush, id_, *forged).status().code(),
            Code::kIntegrity);
  // Not as another kind of box, nor for another device.
  EXPECT_EQ(OpenBox(hub_, device_pub_, BoxPurpose::kPullPage, id_, *box).status().code(), Code::kIntegrity);
  EXPECT_EQ(OpenBox(hub_, device_pub_, BoxPurpose::kSpooledPush, "0193a000-0000-7000-8000-000000000002", *box)
                .status()
                .code(),
            Code::kIntegrity);
  // Tampered anywhere: refused.
  for (size_t at : {box->size() / 2, box->size() - 70, size_t{20}}) {
    Bytes tampered = *box;
    tampered[at] ^= 0x01;
    EXPECT_FALSE(OpenBox(hub_, device_pub_, BoxPurpose::kSpooledPush, id_, tampered).ok()) << at;
  }
}

TEST_F(Envelopes, EnrollmentEnvelopeNeedsTheCode) {
  const std::string code = *NormaliseCode(NewEnrollmentCode());
  const CodeKeys keys = CodeKeysFromCode(code);
  const Secret key = EnrollKeyFromVerifier(keys.verifier);
  const Bytes sealed = SealEnroll(key, CodeId(code), {5, 6, 7}, false, &keys.signing_key);
  EXPECT_EQ(*EnrollEnvelopeCodeId(sealed), CodeId(code));
  EXPECT_EQ(*OpenEnroll(key, sealed, false, &keys.verifier), (Bytes{5, 6, 7}));
  EXPECT_FALSE(OpenEnroll(key, sealed, true, &keys.verifier).ok()) << "a request cannot pass for an answer";
  const std::string other = *NormaliseCode(NewEnrollmentCode());
  const CodeKeys other_keys = CodeKeysFromCode(other);
  EXPECT_FALSE(
      OpenEnroll(EnrollKeyFromVerifier(other_keys.verifier), sealed, false, &other_keys.verifier).ok());
  EXPECT_EQ(NormaliseCode("abcde fghij-klmno-pqrst").value(), "ABCDEFGHIJKLMNOPQRST");
  EXPECT_FALSE(NormaliseCode("ABCDE-FGHIJ-KLMNO-PQRS1").ok());
  EXPECT_NE(Fingerprint(hub_.sign_pk, hub_.kx_pk), Fingerprint(device_.sign_pk, device_.kx_pk));
}

// What the hub keeps of a code (its verifier) checks a request but cannot make one: whoever reads the
// hub's store learns no code and can enrol no device (protocol 4; PROTOCOL.md section 3).
TEST_F(Envelopes, TheHubsVerifierCannotEnrolADevice) {
  const std::string code = *NormaliseCode(NewEnrollmentCode());
  const CodeKeys keys = CodeKeysFromCode(code);
  const Secret key = EnrollKeyFromVerifier(keys.verifier);
  // Everything the verifier gives: the envelope key. Without the code's signing key the request is
  // unsigned, or signed by some other key, and refused.
  const Bytes unsigned_request = SealEnroll(key, CodeId(code), {1, 2, 3}, false, nullptr);
  EXPECT_EQ(OpenEnroll(key, unsigned_request, false, &keys.verifier).status().code(), Code::kNotAuthorised);
  const CodeKeys forger = CodeKeysFromCode(*NormaliseCode(NewEnrollmentCode()));
  const Bytes forged = SealEnroll(key, CodeId(code), {1, 2, 3}, false, &forger.signing_key);
  EXPECT_EQ(OpenEnroll(key, forged, false, &keys.verifier).status().code(), Code::kNotAuthorised);
  // A signed request whose ciphertext is swapped for another fails the signature too.
  Bytes tampered = SealEnroll(key, CodeId(code), {1, 2, 3}, false, &keys.signing_key);
  tampered[tampered.size() - 80] ^= 1;
  EXPECT_FALSE(OpenEnroll(key, tampered, false, &keys.verifier).ok());
}

TEST_F(Envelopes, KeysSurviveTheirStoredForm) {
  const Secret blob = device_.SecretBlob();
  auto back = KeyPairs::FromSecretBlob(Bytes(blob.data(), blob.data() + blob.size()));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->sign_pk, device_.sign_pk);
  EXPECT_EQ(back->kx_pk, device_.kx_pk);
  EXPECT_FALSE(KeyPairs::FromSecretBlob(Bytes(10)).ok());
}

}  // namespace
}  // namespace berth::sync

// Keys and the sealed envelope of the sync protocol (sync/PROTOCOL.md, sections 3 and 4): Ed25519
// signatures, X25519 key agreement with a fresh ephemeral key per request, XChaCha20-Poly1305 bodies.
#pragma once

#include <cstdint>
#include <string>

#include "berth/schema/env.h"
#include "berth/schema/secret.h"
#include "berth/schema/status.h"
#include "berth/sync/wire.h"

namespace berth::sync {

// One party's long-term keys. Secret halves live in sodium_malloc memory.
struct KeyPairs {
  Bytes sign_pk;   // Ed25519, 32 bytes
  Secret sign_sk;  // 64 bytes
  Bytes kx_pk;     // X25519, 32 bytes
  Secret kx_sk;    // 32 bytes

  static KeyPairs Generate();
  // sign_sk || kx_sk, and back (for keeping them in an encrypted store).
  Secret SecretBlob() const;
  static Result<KeyPairs> FromSecretBlob(const Bytes& secret_blob);
};

struct PublicKeys {
  Bytes sign_pk;
  Bytes kx_pk;
};

// "a1b2 c3d4 ..." : the first 16 bytes of BLAKE2b-256(sign_pk || kx_pk) in 8 groups of 4 hex digits.
std::string Fingerprint(const Bytes& sign_pk, const Bytes& kx_pk);

// One-time enrollment codes: 100 random bits as "XXXXX-XXXXX-XXXXX-XXXXX" (RFC 4648 base32).
std::string NewEnrollmentCode();
// Normalises the user's typing (case, spaces, dashes); kBadInput if it cannot be a code.
Result<std::string> NormaliseCode(const std::string& typed);
Bytes CodeId(const std::string& normalised_code);

// --- the enrollment envelope (PROTOCOL.md section 3, protocol 3) -----------------------------------------
// From the code, the device derives an Ed25519 key pair (seed = BLAKE2b-256(code || "berth-enroll-v3")).
// The hub keeps only its public half, the code's *verifier*, beside the code id: enough to check that a
// request was signed by someone holding the code, not enough to make one. The envelope's encryption key
// is derived from the verifier, so only the code's holder and the hub can read either direction.
struct CodeKeys {
  Bytes verifier;      // Ed25519 public key, 32 bytes: what the hub stores
  Secret signing_key;  // Ed25519 secret key, 64 bytes: the device signs its request with it
};
CodeKeys CodeKeysFromCode(const std::string& normalised_code);
// The envelope key both sides derive from the verifier: BLAKE2b-256("berth-enroll-v3-key" || verifier).
Secret EnrollKeyFromVerifier(const Bytes& verifier);
// A request is signed with the code's key (`signing_key`); an answer is not (pass nullptr).
Bytes SealEnroll(const Secret& key, const Bytes& code_id, const Bytes& plain, bool response,
                 const Secret* signing_key);
// The code id an enrollment envelope names (for the hub to look its verifier up) without opening it.
Result<Bytes> EnrollEnvelopeCodeId(const Bytes& envelope);
// Opens an envelope; a request must carry a valid signature by the code's key (`verifier`), an answer
// none (pass nullptr).
Result<Bytes> OpenEnroll(const Secret& key, const Bytes& envelope, bool response, const Bytes* verifier);

// --- the sync envelope ---------------------------------------------------------------------------------
struct EnvelopeHeader {
  uint32_t version = 0;
  uint8_t direction = 0;  // 1 request, 2 answer
  std::string device_id;
  uint64_t counter = 0;
  int64_t sent_ms = 0;
  Bytes ephemeral_pk;
  Bytes nonce;
  template <class A>
  void serialize(A& ar) {
    ar(version, direction, device_id, counter, sent_ms, ephemeral_pk, nonce);
  }
};

struct Envelope {
  EnvelopeHeader header;
  Bytes ciphertext;
  Bytes signature;
  template <class A>
  void serialize(A& ar) {
    ar(header, ciphertext, signature);
  }
};

Bytes EncodeEnvelope(const Envelope& e);
Result<Envelope> DecodeEnvelope(const Bytes& bytes);

// The symmetric keys of one exchange.
struct SessionKeys {
  Secret request_key;
  Secret response_key;
};

// Device side: makes an ephemeral key, derives the session, seals and signs the request.
struct SealedRequest {
  Bytes envelope;
  SessionKeys keys;
  EnvelopeHeader header;
};
// `direction` 1 for a device's request on /v1/sync, 3 for a courier's on /v1/courier (its own keys as
// `device`). The header's send time is `env`'s clock (null: Env::Default()).
Result<SealedRequest> SealRequest(const KeyPairs& device, const PublicKeys& hub, const std::string& device_id,
                                  uint64_t counter, const Bytes& payload, uint8_t direction = 1,
                                  Env* env = nullptr);
// Device side: checks the hub's signature, that the answer echoes the request, and opens it.
Result<Bytes> OpenResponse(const SealedRequest& request, const PublicKeys& hub, const Bytes& envelope);

// Hub side: checks the device's signature and opens the request (replay checks are the caller's, it
// knows the stored counter). kNotAuthorised (bad signature) or kIntegrity (bad tag).
Result<Bytes> OpenRequest(const KeyPairs& hub, const PublicKeys& device, const Envelope& envelope,
                          SessionKeys* keys);
// The answer's send time is `env`'s clock (null: Env::Default()).
Bytes SealResponse(const KeyPairs& hub, const EnvelopeHeader& request, const SessionKeys& keys,
                   const Bytes& payload, Env* env = nullptr);

// --- boxes: sealed to a party's long-term key, for the spool (PROTOCOL.md section 11) ---------------------
enum class BoxPurpose : uint8_t { kSpooledPush = 1, kPushAnswer = 2, kPullPage = 3 };

struct BoxHeader {
  uint32_t version = 0;
  uint8_t purpose = 0;
  std::string device_id;
  Bytes ephemeral_pk;
  Bytes nonce;
  template <class A>
  void serialize(A& ar) {
    ar(version, purpose, device_id, ephemeral_pk, nonce);
  }
};

struct Box {
  BoxHeader header;
  Bytes ciphertext;
  Bytes signature;
  template <class A>
  void serialize(A& ar) {
    ar(header, ciphertext, signature);
  }
};

Result<Box> DecodeBox(const Bytes& bytes);

// Seals `payload` so that only the holder of `recipient_kx_pk`'s secret can open it, signed by `sender`.
Result<Bytes> SealBox(const KeyPairs& sender, const Bytes& recipient_kx_pk, BoxPurpose purpose,
                      const std::string& device_id, const Bytes& payload);
// Checks the sender's signature, that the box is of `purpose` for `device_id`, and opens it.
// kIntegrity when any of that fails (tampered, wrong sender, wrong recipient, or another kind of box).
Result<Bytes> OpenBox(const KeyPairs& recipient, const PublicKeys& sender, BoxPurpose purpose,
                      const std::string& device_id, const Bytes& box);

}  // namespace berth::sync

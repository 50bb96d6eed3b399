// Sealed envelopes (crypto.h, PROTOCOL.md "Envelopes"): signing, key exchange and XChaCha20-Poly1305
// sealing of every request and answer between a device and the hub.

#include "berth/sync/crypto.h"

#include <sodium.h>

#include <cereal/archives/binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstring>
#include <sstream>

#include "berth/schema/binary_encoding.h"
#include "berth/sync/version.h"
#include "bounded_archive.h"

namespace berth::sync {

namespace {

constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;

void Append(Bytes& out, const void* data, size_t n) {
  if (n == 0) return;
  const size_t old = out.size();
  out.resize(old + n);
  std::memcpy(out.data() + old, data, n);
}
void Append(Bytes& out, std::string_view s) {
  Append(out, s.data(), s.size());
}

Bytes RandomBytes(size_t n) {
  Bytes b(n);
  randombytes_buf(b.data(), n);
  return b;
}

// BLAKE2b-256 over the concatenation of parts, into a Secret.
Secret Hash32(std::initializer_list<std::span<const uint8_t>> parts) {
  Secret out(32);
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 32);
  for (auto p : parts) crypto_generichash_update(&st, p.data(), p.size());
  crypto_generichash_final(&st, out.data(), 32);
  return out;
}

std::span<const uint8_t> Span(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Result<Bytes> AeadSeal(const Secret& key, const Bytes& nonce, const Bytes& ad, const Bytes& plain) {
  Bytes out(plain.size() + kTag);
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &n, plain.data(), plain.size(), ad.data(), ad.size(),
                                             nullptr, nonce.data(), key.data());
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<Bytes> AeadOpen(const Secret& key, const Bytes& nonce, const Bytes& ad, const Bytes& cipher) {
  if (cipher.size() < kTag || nonce.size() != kNonce || key.size() != 32)
    return IntegrityError("sealed body too short");
  Bytes out(cipher.size() - kTag);
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.data(), &n, nullptr, cipher.data(), cipher.size(),
                                                 ad.data(), ad.size(), nonce.data(), key.data()) != 0) {
    return IntegrityError("sealed body failed authentication (tampered, or the wrong key)");
  }
  out.resize(static_cast<size_t>(n));
  return out;
}

// The enrollment envelope: version, code id, nonce, ciphertext, and (requests) the code key's signature.
struct EnrollEnvelope {
  uint32_t version = 0;
  Bytes code_id;
  Bytes nonce;
  Bytes ciphertext;
  Bytes signature;
  template <class A>
  void serialize(A& ar) {
    ar(version, code_id, nonce, ciphertext, signature);
  }
};

Result<EnrollEnvelope> DecodeEnrollEnvelope(const Bytes& bytes) {
  EnrollEnvelope e;
  try {
    internal::BoundedInputArchive ar(bytes.data(), bytes.size());
    ar(e);
    if (ar.remaining() != 0) return BadInput("malformed enrollment envelope: trailing bytes");
  } catch (const std::exception& ex) {
    return BadInput(std::string("malformed enrollment envelope: ") + ex.what());
  }
  BERTH_RETURN_IF_ERROR(CheckProtocolVersion(e.version));
  if (e.code_id.size() != 16 || e.nonce.size() != kNonce ||
      (!e.signature.empty() && e.signature.size() != crypto_sign_BYTES)) {
    return BadInput("malformed enrollment envelope");
  }
  return e;
}

// What the code's key signs: the envelope minus the signature.
Bytes EnrollSigned(const EnrollEnvelope& e) {
  Bytes m;
  Append(m, "berth-enroll-sig-v3");
  Append(m, &e.version, sizeof e.version);
  Append(m, e.code_id.data(), e.code_id.size());
  Append(m, e.nonce.data(), e.nonce.size());
  Append(m, e.ciphertext.data(), e.ciphertext.size());
  return m;
}

Bytes EnrollAd(const EnrollEnvelope& e, bool response) {
  Bytes ad;
  Append(ad, "berth-enroll");
  Append(ad, &e.version, sizeof e.version);
  Append(ad, e.code_id.data(), e.code_id.size());
  if (response) Append(ad, "resp");
  return ad;
}

Bytes SignedBytes(const Bytes& header, const Bytes& cipher) {
  Bytes m;
  Append(m, "berth-sig-v1");
  Append(m, header.data(), header.size());
  Append(m, cipher.data(), cipher.size());
  return m;
}

Result<SessionKeys> DeriveSession(const uint8_t* my_sk_a, const uint8_t* their_pk_a, const uint8_t* my_sk_b,
                                  const uint8_t* their_pk_b, const Bytes& eph_pk, const Bytes& device_kx_pk,
                                  const Bytes& hub_kx_pk) {
  Secret dh1(32), dh2(32);
  if (crypto_scalarmult(dh1.data(), my_sk_a, their_pk_a) != 0 ||
      crypto_scalarmult(dh2.data(), my_sk_b, their_pk_b) != 0) {
    return NotAuthorised("key agreement failed (a degenerate public key)");
  }
  Secret k = Hash32({Span("berth-sync-v1"), dh1.bytes(), dh2.bytes(), eph_pk, device_kx_pk, hub_kx_pk});
  SessionKeys keys;
  keys.request_key = Hash32({k.bytes(), Span("req")});
  keys.response_key = Hash32({k.bytes(), Span("resp")});
  return keys;
}

}  // namespace

KeyPairs KeyPairs::Generate() {
  KeyPairs k;
  k.sign_pk.resize(crypto_sign_PUBLICKEYBYTES);
  k.sign_sk = Secret(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(k.sign_pk.data(), k.sign_sk.data());
  k.kx_pk.resize(crypto_scalarmult_BYTES);
  k.kx_sk = Secret::Random(crypto_scalarmult_SCALARBYTES);
  crypto_scalarmult_base(k.kx_pk.data(), k.kx_sk.data());
  return k;
}

Secret KeyPairs::SecretBlob() const {
  Secret out(sign_sk.size() + kx_sk.size());
  std::memcpy(out.data(), sign_sk.data(), sign_sk.size());
  std::memcpy(out.data() + sign_sk.size(), kx_sk.data(), kx_sk.size());
  return out;
}

Result<KeyPairs> KeyPairs::FromSecretBlob(const Bytes& blob) {
  if (blob.size() != crypto_sign_SECRETKEYBYTES + crypto_scalarmult_SCALARBYTES) {
    return IntegrityError("stored sync keys have the wrong length");
  }
  KeyPairs k;
  k.sign_sk = Secret(crypto_sign_SECRETKEYBYTES);
  std::memcpy(k.sign_sk.data(), blob.data(), crypto_sign_SECRETKEYBYTES);
  k.kx_sk = Secret(crypto_scalarmult_SCALARBYTES);
  std::memcpy(k.kx_sk.data(), blob.data() + crypto_sign_SECRETKEYBYTES, crypto_scalarmult_SCALARBYTES);
  k.sign_pk.resize(crypto_sign_PUBLICKEYBYTES);
  crypto_sign_ed25519_sk_to_pk(k.sign_pk.data(), k.sign_sk.data());
  k.kx_pk.resize(crypto_scalarmult_BYTES);
  crypto_scalarmult_base(k.kx_pk.data(), k.kx_sk.data());
  return k;
}

std::string Fingerprint(const Bytes& sign_pk, const Bytes& kx_pk) {
  Secret h = Hash32({sign_pk, kx_pk});
  std::string out;
  static const char* hex = "0123456789abcdef";
  for (size_t i = 0; i < 16; ++i) {
    if (i > 0 && i % 2 == 0) out += ' ';
    out += hex[h.data()[i] >> 4];
    out += hex[h.data()[i] & 15];
  }
  return out;
}

namespace {
constexpr const char* kBase32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
}

std::string NewEnrollmentCode() {
  std::string code;
  for (int i = 0; i < 20; ++i) {
    if (i > 0 && i % 5 == 0) code += '-';
    code += kBase32[randombytes_uniform(32)];
  }
  return code;
}

Result<std::string> NormaliseCode(const std::string& typed) {
  std::string plain;
  for (char c : typed) {
    if (c == '-' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (std::strchr(kBase32, c) == nullptr || c == '\0')
      return BadInput("an enrollment code has only letters A-Z and digits 2-7");
    plain += c;
  }
  if (plain.size() != 20) return BadInput("an enrollment code has 20 characters (XXXXX-XXXXX-XXXXX-XXXXX)");
  return plain;
}

Bytes CodeId(const std::string& code) {
  Bytes id(16);
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, 16);
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(code.data()), code.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>("id"), 2);
  crypto_generichash_final(&st, id.data(), 16);
  return id;
}

CodeKeys CodeKeysFromCode(const std::string& code) {
  const Secret seed = Hash32({Span(code), Span("berth-enroll-v3")});
  CodeKeys keys;
  keys.verifier.resize(crypto_sign_PUBLICKEYBYTES);
  keys.signing_key = Secret(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(keys.verifier.data(), keys.signing_key.data(), seed.data());
  return keys;
}

Secret EnrollKeyFromVerifier(const Bytes& verifier) {
  return Hash32({Span("berth-enroll-v3-key"), verifier});
}

Bytes SealEnroll(const Secret& key, const Bytes& code_id, const Bytes& plain, bool response,
                 const Secret* signing_key) {
  EnrollEnvelope e;
  e.version = kProtocolVersion;
  e.code_id = code_id;
  e.nonce = RandomBytes(kNonce);
  e.ciphertext = AeadSeal(key, e.nonce, EnrollAd(e, response), plain).value();
  if (signing_key != nullptr) {
    const Bytes signed_bytes = EnrollSigned(e);
    e.signature.resize(crypto_sign_BYTES);
    crypto_sign_detached(e.signature.data(), nullptr, signed_bytes.data(), signed_bytes.size(),
                         signing_key->data());
  }
  return EncodeBinary(e);
}

Result<Bytes> EnrollEnvelopeCodeId(const Bytes& envelope) {
  BERTH_ASSIGN_OR_RETURN(EnrollEnvelope e, DecodeEnrollEnvelope(envelope));
  return e.code_id;
}

Result<Bytes> OpenEnroll(const Secret& key, const Bytes& envelope, bool response, const Bytes* verifier) {
  BERTH_ASSIGN_OR_RETURN(EnrollEnvelope e, DecodeEnrollEnvelope(envelope));
  if (verifier != nullptr) {
    // A request: signed by the key only the code's holder can derive.
    const Bytes signed_bytes = EnrollSigned(e);
    if (verifier->size() != crypto_sign_PUBLICKEYBYTES || e.signature.size() != crypto_sign_BYTES ||
        crypto_sign_verify_detached(e.signature.data(), signed_bytes.data(), signed_bytes.size(),
                                    verifier->data()) != 0) {
      return NotAuthorised("bad_code");
    }
  } else if (!e.signature.empty()) {
    return BadInput("malformed enrollment answer");
  }
  return AeadOpen(key, e.nonce, EnrollAd(e, response), e.ciphertext);
}

Bytes EncodeEnvelope(const Envelope& e) {
  return EncodeBinary(e);
}

Result<Envelope> DecodeEnvelope(const Bytes& bytes) {
  Envelope e;
  try {
    internal::BoundedInputArchive ar(bytes.data(), bytes.size());
    ar(e);
    if (ar.remaining() != 0) return BadInput("malformed envelope: trailing bytes");
  } catch (const std::exception& ex) {
    return BadInput(std::string("malformed envelope: ") + ex.what());
  }
  BERTH_RETURN_IF_ERROR(CheckProtocolVersion(e.header.version));
  if (e.header.direction < 1 || e.header.direction > 4) return BadInput("malformed envelope: direction");
  if (e.header.ephemeral_pk.size() != crypto_scalarmult_BYTES || e.header.nonce.size() != kNonce ||
      e.signature.size() != crypto_sign_BYTES || e.header.device_id.size() > 64) {
    return BadInput("malformed envelope: field sizes");
  }
  return e;
}

Result<SealedRequest> SealRequest(const KeyPairs& device, const PublicKeys& hub, const std::string& device_id,
                                  uint64_t counter, const Bytes& payload, uint8_t direction, Env* env) {
  if (direction != 1 && direction != 3) return InternalError("a request's direction is 1 or 3");
  if (hub.kx_pk.size() != crypto_scalarmult_BYTES || hub.sign_pk.size() != crypto_sign_PUBLICKEYBYTES) {
    return IntegrityError("the pinned hub key is malformed");
  }
  Bytes eph_pk(crypto_scalarmult_BYTES);
  Secret eph_sk = Secret::Random(crypto_scalarmult_SCALARBYTES);
  crypto_scalarmult_base(eph_pk.data(), eph_sk.data());
  SealedRequest out;
  BERTH_ASSIGN_OR_RETURN(out.keys, DeriveSession(eph_sk.data(), hub.kx_pk.data(), device.kx_sk.data(),
                                                 hub.kx_pk.data(), eph_pk, device.kx_pk, hub.kx_pk));
  Envelope e;
  e.header.version = kProtocolVersion;
  e.header.direction = direction;
  e.header.device_id = device_id;
  e.header.counter = counter;
  e.header.sent_ms = (env != nullptr ? env : Env::Default())->NowMs();
  e.header.ephemeral_pk = eph_pk;
  e.header.nonce = RandomBytes(kNonce);
  const Bytes header = EncodeBinary(e.header);
  BERTH_ASSIGN_OR_RETURN(e.ciphertext, AeadSeal(out.keys.request_key, e.header.nonce, header, payload));
  const Bytes signed_bytes = SignedBytes(header, e.ciphertext);
  e.signature.resize(crypto_sign_BYTES);
  crypto_sign_detached(e.signature.data(), nullptr, signed_bytes.data(), signed_bytes.size(),
                       device.sign_sk.data());
  out.header = e.header;
  out.envelope = EncodeBinary(e);
  return out;
}

Result<Bytes> OpenResponse(const SealedRequest& request, const PublicKeys& hub, const Bytes& envelope) {
  auto decoded = DecodeEnvelope(envelope);
  if (!decoded.ok()) return IntegrityError("the hub's answer is malformed: " + decoded.status().message());
  const Envelope& e = *decoded;
  if (e.header.direction != request.header.direction + 1 || e.header.device_id != request.header.device_id ||
      e.header.counter != request.header.counter || e.header.ephemeral_pk != request.header.ephemeral_pk) {
    return IntegrityError("the hub's answer does not belong to this request (replayed or misdirected)");
  }
  const Bytes header = EncodeBinary(e.header);
  const Bytes signed_bytes = SignedBytes(header, e.ciphertext);
  if (crypto_sign_verify_detached(e.signature.data(), signed_bytes.data(), signed_bytes.size(),
                                  hub.sign_pk.data()) != 0) {
    return IntegrityError("the hub's answer is not signed by the pinned hub key");
  }
  return AeadOpen(request.keys.response_key, e.header.nonce, header, e.ciphertext);
}

Result<Bytes> OpenRequest(const KeyPairs& hub, const PublicKeys& device, const Envelope& e,
                          SessionKeys* keys) {
  if (device.sign_pk.size() != crypto_sign_PUBLICKEYBYTES || device.kx_pk.size() != crypto_scalarmult_BYTES) {
    return NotAuthorised("bad_key");
  }
  const Bytes header = EncodeBinary(e.header);
  const Bytes signed_bytes = SignedBytes(header, e.ciphertext);
  if (crypto_sign_verify_detached(e.signature.data(), signed_bytes.data(), signed_bytes.size(),
                                  device.sign_pk.data()) != 0) {
    return NotAuthorised("bad_signature");
  }
  BERTH_ASSIGN_OR_RETURN(*keys,
                         DeriveSession(hub.kx_sk.data(), e.header.ephemeral_pk.data(), hub.kx_sk.data(),
                                       device.kx_pk.data(), e.header.ephemeral_pk, device.kx_pk, hub.kx_pk));
  auto plain = AeadOpen(keys->request_key, e.header.nonce, header, e.ciphertext);
  if (!plain.ok()) return NotAuthorised("bad_tag");
  return plain;
}

Bytes SealResponse(const KeyPairs& hub, const EnvelopeHeader& request, const SessionKeys& keys,
                   const Bytes& payload, Env* env) {
  Envelope e;
  e.header = request;
  e.header.direction = static_cast<uint8_t>(request.direction + 1);
  e.header.sent_ms = (env != nullptr ? env : Env::Default())->NowMs();
  e.header.nonce = RandomBytes(kNonce);
  const Bytes header = EncodeBinary(e.header);
  e.ciphertext = AeadSeal(keys.response_key, e.header.nonce, header, payload).value();
  const Bytes signed_bytes = SignedBytes(header, e.ciphertext);
  e.signature.resize(crypto_sign_BYTES);
  crypto_sign_detached(e.signature.data(), nullptr, signed_bytes.data(), signed_bytes.size(),
                       hub.sign_sk.data());
  return EncodeBinary(e);
}

// --- boxes ---------------------------------------------------------------------------------------------

namespace {

Result<Secret> BoxKey(const uint8_t* my_sk_a, const uint8_t* their_pk_a, const uint8_t* my_sk_b,
                      const uint8_t* their_pk_b, const Bytes& eph_pk, const Bytes& sender_kx_pk,
                      const Bytes& recipient_kx_pk) {
  Secret dh1(32), dh2(32);
  if (crypto_scalarmult(dh1.data(), my_sk_a, their_pk_a) != 0 ||
      crypto_scalarmult(dh2.data(), my_sk_b, their_pk_b) != 0) {
    return IntegrityError("key agreement failed (a degenerate public key)");
  }
  return Hash32({Span("berth-box-v1"), dh1.bytes(), dh2.bytes(), eph_pk, sender_kx_pk, recipient_kx_pk});
}

Bytes BoxSignedBytes(const Bytes& header, const Bytes& cipher) {
  Bytes m;
  Append(m, "berth-box-v1");
  Append(m, header.data(), header.size());
  Append(m, cipher.data(), cipher.size());
  return m;
}

}  // namespace

Result<Box> DecodeBox(const Bytes& bytes) {
  Box b;
  try {
    internal::BoundedInputArchive ar(bytes.data(), bytes.size());
    ar(b);
    if (ar.remaining() != 0) return BadInput("malformed box: trailing bytes");
  } catch (const std::exception& ex) {
    return BadInput(std::string("malformed box: ") + ex.what());
  }
  BERTH_RETURN_IF_ERROR(CheckProtocolVersion(b.header.version));
  if (b.header.purpose < 1 || b.header.purpose > 3 ||
      b.header.ephemeral_pk.size() != crypto_scalarmult_BYTES || b.header.nonce.size() != kNonce ||
      b.signature.size() != crypto_sign_BYTES || b.header.device_id.size() > 64) {
    return BadInput("malformed box: field sizes");
  }
  return b;
}

Result<Bytes> SealBox(const KeyPairs& sender, const Bytes& recipient_kx_pk, BoxPurpose purpose,
                      const std::string& device_id, const Bytes& payload) {
  if (recipient_kx_pk.size() != crypto_scalarmult_BYTES)
    return IntegrityError("the recipient's key is malformed");
  Box b;
  b.header.version = kProtocolVersion;
  b.header.purpose = static_cast<uint8_t>(purpose);
  b.header.device_id = device_id;
  b.header.ephemeral_pk.resize(crypto_scalarmult_BYTES);
  Secret eph_sk = Secret::Random(crypto_scalarmult_SCALARBYTES);
  crypto_scalarmult_base(b.header.ephemeral_pk.data(), eph_sk.data());
  b.header.nonce = RandomBytes(kNonce);
  BERTH_ASSIGN_OR_RETURN(
      Secret key, BoxKey(eph_sk.data(), recipient_kx_pk.data(), sender.kx_sk.data(), recipient_kx_pk.data(),
                         b.header.ephemeral_pk, sender.kx_pk, recipient_kx_pk));
  const Bytes header = EncodeBinary(b.header);
  BERTH_ASSIGN_OR_RETURN(b.ciphertext, AeadSeal(key, b.header.nonce, header, payload));
  const Bytes signed_bytes = BoxSignedBytes(header, b.ciphertext);
  b.signature.resize(crypto_sign_BYTES);
  crypto_sign_detached(b.signature.data(), nullptr, signed_bytes.data(), signed_bytes.size(),
                       sender.sign_sk.data());
  return EncodeBinary(b);
}

Result<Bytes> OpenBox(const KeyPairs& recipient, const PublicKeys& sender, BoxPurpose purpose,
                      const std::string& device_id, const Bytes& bytes) {
  auto decoded = DecodeBox(bytes);
  if (!decoded.ok()) return IntegrityError("a sealed box is malformed: " + decoded.status().message());
  const Box& b = *decoded;
  if (b.header.purpose != static_cast<uint8_t>(purpose) || b.header.device_id != device_id) {
    return IntegrityError("a sealed box is of another kind or for another device");
  }
  if (sender.sign_pk.size() != crypto_sign_PUBLICKEYBYTES || sender.kx_pk.size() != crypto_scalarmult_BYTES) {
    return IntegrityError("the sender's key is malformed");
  }
  const Bytes header = EncodeBinary(b.header);
  const Bytes signed_bytes = BoxSignedBytes(header, b.ciphertext);
  if (crypto_sign_verify_detached(b.signature.data(), signed_bytes.data(), signed_bytes.size(),
                                  sender.sign_pk.data()) != 0) {
    return IntegrityError("a sealed box is not signed by its sender's key");
  }
  BERTH_ASSIGN_OR_RETURN(Secret key,
                         BoxKey(recipient.kx_sk.data(), b.header.ephemeral_pk.data(), recipient.kx_sk.data(),
                                sender.kx_pk.data(), b.header.ephemeral_pk, sender.kx_pk, recipient.kx_pk));
  return AeadOpen(key, b.header.nonce, header, b.ciphertext);
}

}  // namespace berth::sync

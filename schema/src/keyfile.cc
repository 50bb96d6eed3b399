// The store's key file (keyfile.h, FORMAT.md "Key hierarchy"): the data key wrapped by a key derived
// from the passphrase and by the recovery key.

#include "keyfile.h"

#include <sodium.h>

#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

namespace berth {
namespace {

constexpr size_t kKeyBytes = crypto_aead_xchacha20poly1305_ietf_KEYBYTES;
constexpr const char* kFormat = "berth-key";

std::string Hex(const uint8_t* p, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.pop_back();
  return out;
}

bool Unhex(const std::string& hex, std::vector<uint8_t>& out) {
  out.assign(hex.size() / 2, 0);
  size_t len = 0;
  if (sodium_hex2bin(out.data(), out.size(), hex.c_str(), hex.size(), nullptr, &len, nullptr) != 0)
    return false;
  out.resize(len);
  return len * 2 == hex.size();
}

// Associated data binds a wrap to its store and its purpose, so wraps cannot be swapped between stores.
// The passphrase wrap also binds the KDF parameters, so weakening them in the file is detected.
std::string WrapAd(const KeyFile& kf, const char* purpose) {
  std::string ad = std::string("berth-key/v1/") + purpose + "/" + Hex(kf.db_id.data(), kf.db_id.size());
  if (std::string_view(purpose) == "passphrase") {
    ad += "/" + std::to_string(kf.kdf.opslimit) + "/" + std::to_string(kf.kdf.memlimit);
    if (kf.kdf.test_only) ad += "/test-only";
  }
  return ad;
}

// The key check value of a wrapping key (Wrap::check).
std::string CheckValue(const Secret& kek) {
  static constexpr char kLabel[] = "berth-key-check/v1";
  uint8_t out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const uint8_t*>(kLabel), sizeof kLabel - 1, kek.data(),
                     kek.size());
  return Hex(out, sizeof out);
}

Status Seal(const Secret& kek, const Secret& data_key, const std::string& ad, Wrap& wrap) {
  uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES];
  randombytes_buf(nonce, sizeof nonce);
  std::vector<uint8_t> ct(data_key.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long ct_len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(ct.data(), &ct_len, data_key.data(), data_key.size(),
                                             reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), nullptr,
                                             nonce, kek.data());
  wrap.nonce = Hex(nonce, sizeof nonce);
  wrap.ciphertext = Hex(ct.data(), ct_len);
  wrap.check = CheckValue(kek);
  return Status::Ok();
}

Result<Secret> Unseal(const Secret& kek, const Wrap& wrap, const std::string& ad, const char* wrong) {
  std::vector<uint8_t> nonce, ct;
  if (!Unhex(wrap.nonce, nonce) || nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
      !Unhex(wrap.ciphertext, ct) || ct.size() != kKeyBytes + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return IntegrityError("the key file is damaged");
  }
  // A check value that does not match means another key: the passphrase (or recovery key) is wrong, or
  // the salt or KDF cost was edited, which no one can tell apart without the right key.
  const bool key_confirmed = !wrap.check.empty();
  if (key_confirmed && wrap.check.size() != 64) return IntegrityError("the key file is damaged");
  if (key_confirmed && sodium_memcmp(CheckValue(kek).data(), wrap.check.data(), 64) != 0) {
    return WrongPassphrase(wrong);
  }
  Secret key(kKeyBytes);
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(key.data(), &len, nullptr, ct.data(), ct.size(),
                                                 reinterpret_cast<const uint8_t*>(ad.data()), ad.size(),
                                                 nonce.data(), kek.data()) != 0) {
    // The right key and still no unwrap: the wrap or what it is bound to (database id, KDF cost, the
    // test-only mark) was altered.
    if (key_confirmed) return IntegrityError("the key file has been altered (its wrapped key does not open)");
    return WrongPassphrase(wrong);
  }
  return key;
}

Result<Secret> PassphraseKek(const Secret& passphrase, const std::string& salt_hex, const KdfParams& kdf) {
  std::vector<uint8_t> salt;
  if (!Unhex(salt_hex, salt) || salt.size() != crypto_pwhash_SALTBYTES)
    return IntegrityError("the key file is damaged");
  if (kdf.opslimit < crypto_pwhash_OPSLIMIT_MIN || kdf.memlimit < crypto_pwhash_MEMLIMIT_MIN ||
      kdf.memlimit > (uint64_t{1} << 32)) {
    return IntegrityError("the key file's KDF parameters are out of range");
  }
  Secret kek(kKeyBytes);
  if (crypto_pwhash(kek.data(), kek.size(), reinterpret_cast<const char*>(passphrase.data()),
                    passphrase.size(), salt.data(), kdf.opslimit, static_cast<size_t>(kdf.memlimit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return InternalError("Argon2id ran out of memory");
  }
  return kek;
}

// The recovery key is 32 random bytes shown as 8 groups of 8 hex digits. It is high-entropy, so a fast
// keyed BLAKE2b (with the store's salt) is enough to derive its wrapping key.
Result<Secret> RecoveryKek(const Secret& recovery_key, const std::string& salt_hex) {
  std::string digits;
  for (char c : recovery_key.view()) {
    if (c == '-' || c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return WrongPassphrase("that is not a recovery key");
    digits.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  std::vector<uint8_t> raw, salt;
  const bool ok = Unhex(digits, raw) && raw.size() == kKeyBytes;
  WipeString(digits);
  if (!ok) return WrongPassphrase("that is not a recovery key (64 hex digits expected)");
  if (!Unhex(salt_hex, salt)) return IntegrityError("the key file is damaged");
  Secret kek(kKeyBytes);
  crypto_generichash(kek.data(), kek.size(), salt.data(), salt.size(), raw.data(), raw.size());
  sodium_memzero(raw.data(), raw.size());
  return kek;
}

}  // namespace

Result<KeyFile> NewKeyFile(const Secret& data_key, const DbId& db_id, const Secret& passphrase,
                           const KdfParams& kdf, Secret* recovery_key) {
  KeyFile kf;
  kf.db_id = db_id;
  BERTH_RETURN_IF_ERROR(RewrapPassphrase(kf, data_key, passphrase, kdf));
  Secret raw = Secret::Random(kKeyBytes);
  std::string display;
  for (size_t i = 0; i < raw.size(); i += 4) {
    if (i != 0) display += '-';
    display += Hex(raw.data() + i, 4);
  }
  Secret shown(display);
  WipeString(display);
  uint8_t salt[16];
  randombytes_buf(salt, sizeof salt);
  kf.recovery.salt = Hex(salt, sizeof salt);
  BERTH_ASSIGN_OR_RETURN(Secret kek, RecoveryKek(shown, kf.recovery.salt));
  BERTH_RETURN_IF_ERROR(Seal(kek, data_key, WrapAd(kf, "recovery"), kf.recovery));
  if (recovery_key != nullptr) *recovery_key = std::move(shown);
  return kf;
}

Status RewrapPassphrase(KeyFile& kf, const Secret& data_key, const Secret& passphrase, const KdfParams& kdf) {
  if (passphrase.empty()) return BadInput("the passphrase must not be empty");
  BERTH_RETURN_IF_ERROR(kdf.CheckAccepted());
  uint8_t salt[crypto_pwhash_SALTBYTES];
  randombytes_buf(salt, sizeof salt);
  KeyFile next = kf;
  next.kdf = kdf;
  next.passphrase.salt = Hex(salt, sizeof salt);
  BERTH_ASSIGN_OR_RETURN(Secret kek, PassphraseKek(passphrase, next.passphrase.salt, kdf));
  BERTH_RETURN_IF_ERROR(Seal(kek, data_key, WrapAd(next, "passphrase"), next.passphrase));
  kf = std::move(next);
  return Status::Ok();
}

Result<Secret> UnwrapWithPassphrase(const KeyFile& kf, const Secret& passphrase) {
  BERTH_ASSIGN_OR_RETURN(Secret kek, PassphraseKek(passphrase, kf.passphrase.salt, kf.kdf));
  return Unseal(kek, kf.passphrase, WrapAd(kf, "passphrase"), "wrong passphrase");
}

Result<Secret> UnwrapWithRecoveryKey(const KeyFile& kf, const Secret& recovery_key) {
  BERTH_ASSIGN_OR_RETURN(Secret kek, RecoveryKek(recovery_key, kf.recovery.salt));
  return Unseal(kek, kf.recovery, WrapAd(kf, "recovery"), "wrong recovery key");
}

Result<KeyFile> ReadKeyFile(Env& env, const std::string& path) {
  auto text = env.ReadFile(path);
  if (!text.ok() && text.status().code() == Code::kNotFound) return NotFound("no key file at " + path);
  if (!text.ok()) return text.status();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kFormat) {
    return IntegrityError("the key file " + path + " is damaged or not a Berth key file");
  }
  try {
    KeyFile kf;
    kf.version = j.at("version").get<int>();
    if (kf.version != 1)
      return IntegrityError("key file version " + std::to_string(kf.version) + " is not supported");
    std::vector<uint8_t> id;
    if (!Unhex(j.at("db_id").get<std::string>(), id) || id.size() != kDbIdBytes) {
      return IntegrityError("the key file's database id is damaged");
    }
    std::copy(id.begin(), id.end(), kf.db_id.begin());
    const auto& kdf = j.at("kdf");
    if (kdf.at("alg").get<std::string>() != "argon2id13")
      return IntegrityError("unknown KDF in the key file");
    kf.kdf.opslimit = kdf.at("opslimit").get<uint64_t>();
    kf.kdf.memlimit = kdf.at("memlimit").get<uint64_t>();
    kf.kdf.test_only = kdf.value("test_only", false);
    for (auto [wrap, name] :
         {std::pair{&kf.passphrase, "passphrase_wrap"}, std::pair{&kf.recovery, "recovery_wrap"}}) {
      const auto& w = j.at(name);
      wrap->salt = w.at("salt").get<std::string>();
      wrap->nonce = w.at("nonce").get<std::string>();
      wrap->ciphertext = w.at("ciphertext").get<std::string>();
      wrap->check = w.value("check", std::string());
    }
    return kf;
  } catch (const nlohmann::json::exception&) {
    return IntegrityError("the key file " + path + " is missing fields");
  }
}

Status WriteKeyFile(Env& env, const std::string& path, const KeyFile& kf) {
  nlohmann::json j;
  j["format"] = kFormat;
  j["version"] = kf.version;
  j["db_id"] = Hex(kf.db_id.data(), kf.db_id.size());
  j["kdf"] = {{"alg", "argon2id13"}, {"opslimit", kf.kdf.opslimit}, {"memlimit", kf.kdf.memlimit}};
  if (kf.kdf.test_only) j["kdf"]["test_only"] = true;
  for (auto [wrap, name] :
       {std::pair{&kf.passphrase, "passphrase_wrap"}, std::pair{&kf.recovery, "recovery_wrap"}}) {
    j[name] = {{"salt", wrap->salt}, {"nonce", wrap->nonce}, {"ciphertext", wrap->ciphertext}};
    if (!wrap->check.empty()) j[name]["check"] = wrap->check;
  }
  return WriteFileAtomically(env, path, j.dump(2) + "\n");
}

}  // namespace berth

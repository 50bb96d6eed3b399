// The provider portal's account rules (portal_accounts.h): tokens, password hashing, the lockout policy.
#include "portal_accounts.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "berth/schema/store.h"
#include "hub_rules.h"

namespace berth::sync::internal {

std::string PortalDeviceId(const std::string& account_id) {
  return "portal-" + account_id;
}

Result<std::string> PickAccount(const std::vector<ProviderAccount>& accounts, const std::string& id_prefix) {
  if (id_prefix.size() < 4) return UsageError("give at least 4 hex digits of the account's id");
  std::vector<std::string> matches;
  for (const auto& a : accounts) {
    if (a.account_id.rfind(id_prefix, 0) == 0) matches.push_back(a.account_id);
  }
  if (matches.empty()) return NotFound("no provider account with an id starting " + id_prefix);
  if (matches.size() > 1)
    return UsageError("more than one account's id starts " + id_prefix + ": give more digits");
  return matches[0];
}

namespace {
Bytes InviteIdOf(const std::string& normalised) {
  const std::string input = normalised + "berth-portal-invite";
  Bytes id(16);
  crypto_generichash(id.data(), id.size(), reinterpret_cast<const uint8_t*>(input.data()), input.size(),
                     nullptr, 0);
  return id;
}

std::string RandomHex(size_t bytes) {
  Bytes b(bytes);
  randombytes_buf(b.data(), b.size());
  return HexOf(b);
}
}  // namespace

Invite NewInvite() {
  std::string code = NewEnrollmentCode();
  code.erase(std::remove(code.begin(), code.end(), '-'), code.end());
  auto normalised = NormaliseCode(code);
  return Invite{code, InviteIdOf(normalised.ok() ? *normalised : code)};
}

Result<Bytes> InviteId(const std::string& token) {
  BERTH_ASSIGN_OR_RETURN(std::string normalised, NormaliseCode(token));
  return InviteIdOf(normalised);
}

std::string NewAccountId() {
  return RandomHex(16);
}

std::string NewToken() {
  return RandomHex(32);
}

Bytes SessionHash(const std::string& token) {
  Bytes h(32);
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const uint8_t*>(token.data()), token.size(),
                     nullptr, 0);
  return h;
}

bool TokensEqual(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status CheckNewPassword(const std::string& password) {
  if (password.size() < kMinPasswordLength)
    return BadInput("the password must be at least " + std::to_string(kMinPasswordLength) + " characters");
  if (password.size() > kMaxPasswordLength)
    return BadInput("the password must be at most " + std::to_string(kMaxPasswordLength) + " characters");
  return Status::Ok();
}

namespace {
std::mutex& HashMutex() {
  static std::mutex mu;
  return mu;
}
}  // namespace

Result<std::string> HashPassword(const std::string& password) {
  const KdfParams kdf = KdfParams::ForNewKeys();
  const uint64_t ops = kdf.test_only ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
  const size_t mem = kdf.test_only ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
  char out[crypto_pwhash_STRBYTES];
  std::lock_guard<std::mutex> lock(HashMutex());
  if (crypto_pwhash_str(out, password.data(), password.size(), ops, mem) != 0)
    return InternalError("Argon2id ran out of memory");
  return std::string(out);
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  std::lock_guard<std::mutex> lock(HashMutex());
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace berth::sync::internal

namespace berth::sync {

Result<ProviderInvitation> InviteProvider(HubStorage& storage, const std::string& cqc_location_id,
                                          const std::string& email_as_given, int64_t now_ms) {
  std::string email = email_as_given;
  for (char& c : email) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (cqc_location_id.empty()) return UsageError("the CQC location id is empty");
  if (email.find('@') == std::string::npos || email.size() > 254) return UsageError("not an email address");
  if (auto existing = storage.ProviderAccountByEmail(email); existing.ok() && !existing->revoked)
    return ConflictError("an account with this email address exists: revoke it first");
  const internal::Invite invite = internal::NewInvite();
  ProviderInvitation out;
  out.account.account_id = internal::NewAccountId();
  out.account.cqc_location_id = cqc_location_id;
  out.account.email = email;
  out.account.created_ms = now_ms;
  out.account.invite_expires_ms = now_ms + internal::kInviteValidMs;
  BERTH_RETURN_IF_ERROR(storage.AddProviderAccount(out.account, invite.id));
  out.token = invite.token;
  return out;
}

}  // namespace berth::sync

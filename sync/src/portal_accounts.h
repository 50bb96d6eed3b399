// The provider portal's account rules (PROTOCOL.md section 14), the same for every storage: invite tokens
// (as strong as enrolment codes, valid as long), passwords hashed with Argon2id, the lockout policy,
// session and CSRF tokens. Private to berth_sync.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/sync/hub_storage.h"

namespace berth::sync::internal {

constexpr int64_t kInviteValidMs = 7LL * 24 * 3600 * 1000;  // as an enrolment code
constexpr int kMaxSignInFailures = 5;                       // then the account locks
constexpr int64_t kLockoutMs = 15LL * 60 * 1000;
constexpr int64_t kSessionMs = 8LL * 3600 * 1000;  // a working day; then sign in again
constexpr size_t kMinPasswordLength = 12;
constexpr size_t kMaxPasswordLength = 128;

// The hub device a provider account's changes are pushed as.
std::string PortalDeviceId(const std::string& account_id);
// The one account whose id starts with `id_prefix` (at least 4 hex digits): kNotFound / kUsage otherwise.
Result<std::string> PickAccount(const std::vector<ProviderAccount>& accounts, const std::string& id_prefix);

struct Invite {
  std::string token;  // 100 random bits, base32 without dashes: goes in the link, never stored
  Bytes id;           // BLAKE2b-128(token || "berth-portal-invite"): what the hub keeps
};
Invite NewInvite();
// The id of a token as typed in a link (case and dashes ignored); kBadInput if it cannot be one.
Result<Bytes> InviteId(const std::string& token);

// A new random account id (32 hex digits), session token and CSRF token (64 hex digits each).
std::string NewAccountId();
std::string NewToken();
// What the storage keeps of a session token: BLAKE2b-256 of it.
Bytes SessionHash(const std::string& token);
// Whether two tokens are equal, in time independent of where they differ.
bool TokensEqual(const std::string& a, const std::string& b);

// kBadInput naming the rule a new password breaks (length), else Ok.
Status CheckNewPassword(const std::string& password);
// crypto_pwhash_str (Argon2id): interactive limits (2 passes, 64 MiB) in a release build, libsodium's
// minimum in a test build run with BERTH_TEST_ONLY_FAST_KDF=1 (as a store's KDF, schema/FORMAT.md).
// One hash at a time per process, so sign-ins cannot make the hub hold more than one 64 MiB buffer.
Result<std::string> HashPassword(const std::string& password);
bool VerifyPassword(const std::string& hash, const std::string& password);

}  // namespace berth::sync::internal

// The hub's state behind one interface (sync/PROTOCOL.md, section 10): enrolled devices and codes, the
// replay counters, push arbitration and the change log that pulls read. SqliteHubStorage keeps it all in
// an encrypted berth::Store; PostgresHubStorage in a PostgreSQL database that several hub processes share.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "berth/schema/status.h"
#include "berth/schema/store.h"
#include "berth/sync/crypto.h"
#include "berth/sync/wire.h"

namespace berth::sync {

struct DeviceRecord {
  std::string device_id;
  std::string name;
  std::string role;                // broker | ward | viewer
  std::vector<std::string> scope;  // areas; "*" = all
  Bytes sign_pk;
  Bytes kx_pk;
  int64_t enrolled_ms = 0;
  bool revoked = false;
  uint64_t last_counter = 0;
  uint64_t acked_seq = 0;
  int64_t last_seen_ms = 0;
};

struct CodeRecord {
  std::string id;  // hex of the code id (never the code)
  std::string name;
  std::string role;
  std::string scope;
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
};

// A device's courier key (PROTOCOL.md section 11).
struct CourierRecord {
  std::string device_id;
  Bytes sign_pk;
  Bytes kx_pk;
  int64_t registered_ms = 0;
  uint64_t last_counter = 0;
};

// A provider's account on the portal (PROTOCOL.md section 14): one CQC location, made by a one-time invite.
struct ProviderAccount {
  std::string account_id;  // 32 hex digits; its hub device (for the changes it makes) is "portal-" + this
  std::string cqc_location_id;
  std::string email;
  std::string password_hash;      // crypto_pwhash_str (Argon2id); "" until the invite is used
  int64_t invite_expires_ms = 0;  // 0 once the invite is used
  int64_t created_ms = 0;
  bool revoked = false;
  int failed_sign_ins = 0;      // since the last successful one
  int64_t locked_until_ms = 0;  // sign-in refused until then
};

// A signed-in provider. The cookie's token is not kept: the storage holds its BLAKE2b-256.
struct PortalSession {
  std::string account_id;
  std::string csrf;  // every form of the session carries it
  int64_t expires_ms = 0;
};

struct PushStats {
  int64_t applied = 0;
  int64_t duplicates = 0;
  int64_t rejected = 0;
};

class HubStorage {
 public:
  virtual ~HubStorage() = default;

  virtual Result<KeyPairs> HubKeys() = 0;

  // Enrollment codes: only the code id and the code's verifier are kept (PROTOCOL.md section 3).
  virtual Status AddCode(const Bytes& code_id, const Bytes& verifier, const std::string& name,
                         const std::string& role, const std::string& scope, int64_t expires_ms) = 0;
  // The verifier of an unused, unexpired code; kNotAuthorised otherwise.
  virtual Result<Bytes> CodeVerifier(const Bytes& code_id, int64_t now_ms) = 0;
  // Codes not yet used (nor cancelled), expired ones included, newest first.
  virtual Result<std::vector<CodeRecord>> ListCodes() = 0;
  // Cancels the unused code whose id (hex, as ListCodes shows it) starts with `id_prefix`: kNotFound if
  // none, kUsage if the prefix names more than one.
  virtual Status CancelCode(const std::string& id_prefix) = 0;
  // Uses the code (once) and records the device. kNotAuthorised if the code was used meanwhile.
  virtual Result<DeviceRecord> EnrollDevice(const Bytes& code_id, const std::string& device_id,
                                            const Bytes& sign_pk, const Bytes& kx_pk, int64_t now_ms) = 0;

  virtual Result<DeviceRecord> GetDevice(const std::string& device_id) = 0;
  virtual Result<std::vector<DeviceRecord>> ListDevices() = 0;
  virtual Status Revoke(const std::string& device_id) = 0;
  // Accepts `counter` only if greater than the stored one (replay protection); kNotAuthorised otherwise.
  virtual Status AdvanceCounter(const std::string& device_id, uint64_t counter, int64_t now_ms) = 0;

  // The device's courier key: registering one replaces the previous key and restarts the counter.
  virtual Status SetCourierKey(const std::string& device_id, const Bytes& sign_pk, const Bytes& kx_pk,
                               int64_t now_ms) = 0;
  // kNotFound when the device has registered none.
  virtual Result<CourierRecord> GetCourier(const std::string& device_id) = 0;
  // As AdvanceCounter, for the courier key whose signing key is `sign_pk`; kNotAuthorised otherwise.
  virtual Status AdvanceCourierCounter(const std::string& device_id, const Bytes& sign_pk,
                                       uint64_t counter) = 0;

  virtual Result<PushResponse> Push(const DeviceRecord& device, const PushRequest& request, int64_t now_ms,
                                    PushStats* stats) = 0;
  virtual Result<PullResponse> Pull(const DeviceRecord& device, const PullRequest& request) = 0;
  // Forgets tombstones whose last change is older than `before_ms`; devices behind them re-snapshot.
  virtual Result<int64_t> PurgeTombstones(int64_t before_ms) = 0;

  // --- The provider portal (PROTOCOL.md section 14) ---
  // Records a new account and its invite (by id: BLAKE2b-128 of the token), and the hub device its
  // changes are pushed as (role "provider", no keys: it can never sync over the wire).
  virtual Status AddProviderAccount(const ProviderAccount& account, const Bytes& invite_id) = 0;
  // The account of an unused, unexpired invite of an account not revoked; kNotAuthorised otherwise.
  virtual Result<ProviderAccount> ProviderAccountByInvite(const Bytes& invite_id, int64_t now_ms) = 0;
  // Uses the invite (once: kNotAuthorised if used, expired or revoked meanwhile) and sets the password.
  virtual Status SetProviderPassword(const Bytes& invite_id, const std::string& password_hash,
                                     int64_t now_ms) = 0;
  // kNotFound when no account has this e-mail address (compared as given, lower-cased by the caller).
  virtual Result<ProviderAccount> ProviderAccountByEmail(const std::string& email) = 0;
  virtual Result<ProviderAccount> GetProviderAccount(const std::string& account_id) = 0;
  virtual Result<std::vector<ProviderAccount>> ListProviderAccounts() = 0;
  // Revokes the account whose id starts with `id_prefix` (kNotFound / kUsage as CancelCode), ends its
  // sessions and revokes its hub device.
  virtual Status RevokeProviderAccount(const std::string& id_prefix) = 0;
  // Counts a failed sign-in in one statement (several hub processes count together); at `max_failures`
  // the account is locked until now_ms + lock_ms and the count starts again.
  virtual Status RecordSignInFailure(const std::string& account_id, int64_t now_ms, int max_failures,
                                     int64_t lock_ms) = 0;
  virtual Status ClearSignInFailures(const std::string& account_id) = 0;
  virtual Status AddPortalSession(const Bytes& session_hash, const PortalSession& session) = 0;
  // kNotAuthorised when there is none or it has expired.
  virtual Result<PortalSession> GetPortalSession(const Bytes& session_hash, int64_t now_ms) = 0;
  virtual Status EndPortalSession(const Bytes& session_hash) = 0;
  // The portal's audit: who did what to which row (ids only, never a row's values).
  virtual Status AuditPortal(int64_t now_ms, const std::string& account_id, const std::string& action,
                             const std::string& object) = 0;
  // Rows of `entity` (not deleted) whose `field` is one of `values`, as the hub holds them, for the
  // portal's pages; each row's "hlc" is the latest clock of any of its fields. Reads every row of the table
  // on PostgreSQL (rows are sealed there).
  virtual Result<std::vector<std::map<std::string, Value>>> RowsWhere(
      const std::string& entity, const std::string& field, const std::vector<std::string>& values) = 0;
};

// Makes a provider account for a CQC location (berth-hub provider invite): its invite is valid 7 days, once.
// Returns the account and the invite's token (for the link; the hub keeps only its id). kConflict when an
// account not revoked has this email address; kUsage for an empty location or an address without '@'.
struct ProviderInvitation {
  ProviderAccount account;
  std::string token;
};
Result<ProviderInvitation> InviteProvider(HubStorage& storage, const std::string& cqc_location_id,
                                          const std::string& email, int64_t now_ms);

// Creates the hub's keys in a freshly created store (berth-hub init).
Status InitHubStore(Store& store);
std::unique_ptr<HubStorage> MakeSqliteHubStorage(std::unique_ptr<Store> store);

// The hub on PostgreSQL (PROTOCOL.md section 10), for several hub processes on one database. `url` is a
// libpq connection string or URI. Init migrates the schema and stores new hub keys sealed under a key
// derived (Argon2id) from `passphrase`; kConflict if the database already holds a hub. Open migrates and
// unlocks those keys: kWrongPassphrase if `passphrase` does not open them, kNotFound if there are none.
Status InitPostgresHub(const std::string& url, const Secret& passphrase);
Result<std::unique_ptr<HubStorage>> OpenPostgresHubStorage(const std::string& url, const Secret& passphrase);
// Seals the hub's keys again under `new_passphrase` (a fresh salt and nonce): kWrongPassphrase if
// `old_passphrase` does not open them; kConflict if another process changed them meanwhile (the database
// then holds that change, untouched). Running processes keep their unlocked keys; each process started
// afterwards needs the new passphrase. The keys themselves do not change (devices pin them).
Status ChangePostgresHubPassphrase(const std::string& url, const Secret& old_passphrase,
                                   const Secret& new_passphrase);

// Names of the tables a role may read and write (PROTOCOL.md section 6).
bool RoleMayRead(const std::string& role, const std::string& entity);
bool RoleMayWrite(const std::string& role, const std::string& entity);
bool RoleMayWriteAny(const std::string& role);
bool ValidRole(const std::string& role);

}  // namespace berth::sync

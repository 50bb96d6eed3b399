// PostgresHubStorage (hub_storage_pg.h): the database's migrations and the hub's own keys. See
// sync/PROTOCOL.md section 10.
//
// The hub's keys (signing, key exchange) are shared by its processes without lying in clear: the one row
// of hub_keys holds them sealed (XChaCha20-Poly1305) under a key derived with Argon2id from the hub
// passphrase, with the salt and cost beside them. Each process unlocks them at start with the passphrase
// it is given (--passphrase-file or $BERTH_HUB_PASSPHRASE, as the SQLite hub).
#include "hub_storage_pg.h"

#include <sodium.h>

#include <array>
#include <cstring>

#include "berth/schema/store.h"

namespace berth::sync {
namespace internal {
namespace {

// Migration N (1-based) is kMigrations[N - 1]. Append only: a released migration never changes.
const std::array<const char*, 3> kMigrations = {
    // 1: the registry (codes, devices with their replay counters, couriers) and the sealed keys.
    "CREATE TABLE hub_keys ("
    "  id integer PRIMARY KEY CHECK (id = 1),"
    "  sign_pk bytea NOT NULL, kx_pk bytea NOT NULL,"
    "  salt bytea NOT NULL, opslimit bigint NOT NULL, memlimit bigint NOT NULL, test_only boolean NOT NULL,"
    "  nonce bytea NOT NULL, sealed bytea NOT NULL);"
    "CREATE TABLE hub_code ("
    "  code_id bytea PRIMARY KEY, verifier bytea NOT NULL, name text NOT NULL, role text NOT NULL,"
    "  scope text NOT NULL, created_ms bigint NOT NULL, expires_ms bigint NOT NULL,"
    "  used_by text NOT NULL DEFAULT '');"
    "CREATE TABLE hub_device ("
    "  device_id text PRIMARY KEY, name text NOT NULL, role text NOT NULL, scope text NOT NULL,"
    "  sign_pk bytea NOT NULL, kx_pk bytea NOT NULL, enrolled_ms bigint NOT NULL,"
    "  revoked boolean NOT NULL DEFAULT false, last_counter bigint NOT NULL DEFAULT 0,"
    "  acked_seq bigint NOT NULL DEFAULT 0, last_seen_ms bigint NOT NULL DEFAULT 0);"
    "CREATE TABLE hub_courier ("
    "  device_id text PRIMARY KEY, sign_pk bytea NOT NULL, kx_pk bytea NOT NULL,"
    "  registered_ms bigint NOT NULL, last_counter bigint NOT NULL DEFAULT 0);",
    // 2: rows, sealed whole, with the claim facts arbitration queries in clear; the change log, numbered
    // from the one counter row at the end of each push (hub_storage_pg_rows.cc); rejections; the horizon.
    "CREATE TABLE hub_row ("
    "  entity text NOT NULL, row_id text NOT NULL, sealed bytea NOT NULL,"
    "  bed_id text NOT NULL DEFAULT '', homecare_capacity_id text NOT NULL DEFAULT '',"
    "  status text NOT NULL DEFAULT '', start_date text NOT NULL DEFAULT '', end_date text NOT NULL DEFAULT "
    "'',"
    "  hours_per_week double precision NOT NULL DEFAULT 0, deleted integer NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (entity, row_id));"
    "CREATE INDEX hub_row_placement_by_bed ON hub_row (bed_id) WHERE entity = 'placement';"
    "CREATE INDEX hub_row_placement_by_capacity ON hub_row (homecare_capacity_id) WHERE entity = 'placement';"
    "CREATE TABLE hub_change ("
    "  entity text NOT NULL, row_id text NOT NULL, seq bigint UNIQUE, area text NOT NULL,"
    "  deleted integer NOT NULL, changed_ms bigint NOT NULL, writer text NOT NULL, echo_ok boolean NOT NULL,"
    "  PRIMARY KEY (entity, row_id));"
    "CREATE TABLE hub_seq (id integer PRIMARY KEY CHECK (id = 1), last bigint NOT NULL);"
    "INSERT INTO hub_seq (id, last) VALUES (1, 0);"
    "CREATE TABLE hub_rejection ("
    "  device_id text NOT NULL, seq bigint NOT NULL, mutation_id text NOT NULL, reason_code text NOT NULL,"
    "  reason text NOT NULL, PRIMARY KEY (device_id, seq));"
    "CREATE TABLE hub_state (key text PRIMARY KEY, value bigint NOT NULL);",
    // 3: the provider portal (PROTOCOL.md section 14): accounts with their invites (by id) and lockout,
    // sessions (by the hash of their cookie) with their CSRF tokens, the portal's audit. Shared, so a
    // lockout or a sign-out holds on every hub process.
    "CREATE TABLE hub_provider_account ("
    "  account_id text PRIMARY KEY, cqc_location_id text NOT NULL, email text NOT NULL,"
    "  password_hash text NOT NULL DEFAULT '', invite_id bytea NOT NULL, invite_expires_ms bigint NOT NULL,"
    "  created_ms bigint NOT NULL, revoked boolean NOT NULL DEFAULT false,"
    "  failed_sign_ins integer NOT NULL DEFAULT 0, locked_until_ms bigint NOT NULL DEFAULT 0);"
    "CREATE TABLE hub_portal_session ("
    "  session_hash bytea PRIMARY KEY, account_id text NOT NULL, csrf text NOT NULL,"
    "  expires_ms bigint NOT NULL);"
    "CREATE TABLE hub_portal_audit ("
    "  at_ms bigint NOT NULL, account_id text NOT NULL, action text NOT NULL, object text NOT NULL);",
};

// Any fixed number: the advisory lock that makes concurrent starts migrate one at a time.
constexpr int64_t kMigrationLock = 0x6265727468;  // "berth"
constexpr char kKeysAd[] = "berth-hub-keys-v1";

struct SealedKeys {
  KdfParams kdf;
  Bytes salt, nonce, sealed;
};

Result<Secret> KeysKek(const Secret& passphrase, const Bytes& salt, const KdfParams& kdf) {
  if (salt.size() != crypto_pwhash_SALTBYTES || kdf.opslimit < crypto_pwhash_OPSLIMIT_MIN ||
      kdf.memlimit < crypto_pwhash_MEMLIMIT_MIN || kdf.memlimit > (uint64_t{1} << 32)) {
    return IntegrityError("the hub's sealed keys are damaged (KDF parameters out of range)");
  }
  Secret kek(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  if (crypto_pwhash(kek.data(), kek.size(), reinterpret_cast<const char*>(passphrase.data()),
                    passphrase.size(), salt.data(), kdf.opslimit, static_cast<size_t>(kdf.memlimit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return InternalError("Argon2id ran out of memory");
  }
  return kek;
}

// The sealed keys' associated data binds the public halves and the cost's test marking to them.
Bytes KeysAd(const Bytes& sign_pk, const Bytes& kx_pk, bool test_only) {
  // Sized once and filled with memcpy: GCC 12's -O2 -Warray-bounds misreads insert() growing a small vector.
  const size_t prefix = sizeof(kKeysAd) - 1;
  Bytes ad(prefix + sign_pk.size() + kx_pk.size() + 1);
  std::memcpy(ad.data(), kKeysAd, prefix);
  if (!sign_pk.empty()) std::memcpy(ad.data() + prefix, sign_pk.data(), sign_pk.size());
  if (!kx_pk.empty()) std::memcpy(ad.data() + prefix + sign_pk.size(), kx_pk.data(), kx_pk.size());
  ad.back() = test_only ? 1 : 0;
  return ad;
}

Result<KeyPairs> UnlockKeys(PgConn& c, const Secret& passphrase) {
  BERTH_ASSIGN_OR_RETURN(PgResult r, c.Exec("SELECT sign_pk, kx_pk, salt, opslimit, memlimit, test_only,"
                                            " nonce, sealed FROM hub_keys WHERE id = 1"));
  if (r.rows() != 1) return NotFound("this database holds no hub (run berth-hub init --postgres URL)");
  const Bytes sign_pk = r.Blob(0, 0), kx_pk = r.Blob(0, 1), salt = r.Blob(0, 2);
  KdfParams kdf{static_cast<uint64_t>(r.Int(0, 3)), static_cast<uint64_t>(r.Int(0, 4)), r.Bool(0, 5)};
  const Bytes nonce = r.Blob(0, 6), sealed = r.Blob(0, 7);
  BERTH_RETURN_IF_ERROR(kdf.CheckAccepted());
  if (nonce.size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
      sealed.size() < crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return IntegrityError("the hub's sealed keys are damaged");
  }
  BERTH_ASSIGN_OR_RETURN(Secret kek, KeysKek(passphrase, salt, kdf));
  const Bytes ad = KeysAd(sign_pk, kx_pk, kdf.test_only);
  Secret blob(sealed.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(blob.data(), &n, nullptr, sealed.data(), sealed.size(),
                                                 ad.data(), ad.size(), nonce.data(), kek.data()) != 0) {
    return WrongPassphrase("the hub passphrase does not open the hub's keys");
  }
  BERTH_ASSIGN_OR_RETURN(KeyPairs keys, KeyPairs::FromSecretBlob(Bytes(blob.data(), blob.data() + n)));
  if (keys.sign_pk != sign_pk || keys.kx_pk != kx_pk)
    return IntegrityError("the hub's sealed keys are damaged");
  return keys;
}

// The hub's secret keys sealed under a key derived (Argon2id, a fresh salt) from `passphrase`.
Result<SealedKeys> SealKeys(const KeyPairs& keys, const Secret& passphrase) {
  SealedKeys out;
  out.kdf = KdfParams::ForNewKeys();
  out.salt.resize(crypto_pwhash_SALTBYTES);
  randombytes_buf(out.salt.data(), out.salt.size());
  out.nonce.resize(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  randombytes_buf(out.nonce.data(), out.nonce.size());
  BERTH_ASSIGN_OR_RETURN(Secret kek, KeysKek(passphrase, out.salt, out.kdf));
  const Secret blob = keys.SecretBlob();
  const Bytes ad = KeysAd(keys.sign_pk, keys.kx_pk, out.kdf.test_only);
  out.sealed.resize(blob.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.sealed.data(), &n, blob.data(), blob.size(), ad.data(),
                                             ad.size(), nullptr, out.nonce.data(), kek.data());
  out.sealed.resize(n);
  return out;
}

}  // namespace

int PostgresSchemaVersion() {
  return static_cast<int>(kMigrations.size());
}

Status MigratePostgres(PgConn& c) {
  return c.Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(c.Run("SELECT pg_advisory_xact_lock($1)", {kMigrationLock}));
    BERTH_RETURN_IF_ERROR(c.Run("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)"));
    BERTH_ASSIGN_OR_RETURN(PgResult r, c.Exec("SELECT coalesce(max(version), 0) FROM schema_version"));
    const int64_t have = r.Int(0, 0);
    if (have > PostgresSchemaVersion()) {
      return ConflictError("the database's hub schema (version " + std::to_string(have) +
                           ") is newer than this berth-hub knows (" +
                           std::to_string(PostgresSchemaVersion()) + "): run the newer berth-hub");
    }
    for (int64_t v = have + 1; v <= PostgresSchemaVersion(); ++v) {
      BERTH_RETURN_IF_ERROR(c.Script(kMigrations[static_cast<size_t>(v - 1)]));
      BERTH_RETURN_IF_ERROR(c.Run("INSERT INTO schema_version (version) VALUES ($1)", {v}));
    }
    return Status::Ok();
  });
}

Result<KeyPairs> PostgresHubStorage::HubKeys() {
  KeyPairs k;
  k.sign_pk = keys_.sign_pk;
  k.kx_pk = keys_.kx_pk;
  k.sign_sk = keys_.sign_sk.Clone();
  k.kx_sk = keys_.kx_sk.Clone();
  return k;
}

}  // namespace internal

Status InitPostgresHub(const std::string& url, const Secret& passphrase) {
  BERTH_ASSIGN_OR_RETURN(auto c, internal::PgConn::Connect(url));
  BERTH_RETURN_IF_ERROR(internal::MigratePostgres(*c));
  KeyPairs keys = KeyPairs::Generate();
  BERTH_ASSIGN_OR_RETURN(internal::SealedKeys sealed, internal::SealKeys(keys, passphrase));
  // The primary key (id = 1) makes a second init fail rather than replace the keys devices trust.
  Status st = c->Run(
      "INSERT INTO hub_keys (id, sign_pk, kx_pk, salt, opslimit, memlimit, test_only, nonce, sealed)"
      " VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8)",
      {keys.sign_pk, keys.kx_pk, sealed.salt, static_cast<int64_t>(sealed.kdf.opslimit),
       static_cast<int64_t>(sealed.kdf.memlimit), sealed.kdf.test_only, sealed.nonce, sealed.sealed});
  if (st.code() == Code::kConflict) return ConflictError("this database already holds a hub");
  return st;
}

Status ChangePostgresHubPassphrase(const std::string& url, const Secret& old_passphrase,
                                   const Secret& new_passphrase) {
  BERTH_ASSIGN_OR_RETURN(auto c, internal::PgConn::Connect(url));
  BERTH_RETURN_IF_ERROR(internal::MigratePostgres(*c));
  BERTH_ASSIGN_OR_RETURN(internal::PgResult before, c->Exec("SELECT nonce FROM hub_keys WHERE id = 1"));
  if (before.rows() != 1) return NotFound("this database holds no hub (run berth-hub init --postgres URL)");
  const Bytes old_nonce = before.Blob(0, 0);
  BERTH_ASSIGN_OR_RETURN(KeyPairs keys, internal::UnlockKeys(*c, old_passphrase));
  BERTH_ASSIGN_OR_RETURN(internal::SealedKeys sealed, internal::SealKeys(keys, new_passphrase));
  // Compare-and-set on the nonce the old passphrase opened: two changes at once cannot both win, and
  // neither leaves keys sealed under a passphrase nobody was told.
  BERTH_ASSIGN_OR_RETURN(
      internal::PgResult changed,
      c->Exec(
          "UPDATE hub_keys SET salt = $1, opslimit = $2, memlimit = $3, test_only = $4, nonce = $5,"
          " sealed = $6 WHERE id = 1 AND nonce = $7 RETURNING id",
          {sealed.salt, static_cast<int64_t>(sealed.kdf.opslimit), static_cast<int64_t>(sealed.kdf.memlimit),
           sealed.kdf.test_only, sealed.nonce, sealed.sealed, old_nonce}));
  if (changed.rows() != 1) return ConflictError("the hub's keys were changed by another process meanwhile");
  return Status::Ok();
}

Result<std::unique_ptr<HubStorage>> OpenPostgresHubStorage(const std::string& url, const Secret& passphrase) {
  BERTH_ASSIGN_OR_RETURN(auto c, internal::PgConn::Connect(url));
  BERTH_RETURN_IF_ERROR(internal::MigratePostgres(*c));
  BERTH_ASSIGN_OR_RETURN(KeyPairs keys, internal::UnlockKeys(*c, passphrase));
  return std::unique_ptr<HubStorage>(std::make_unique<internal::PostgresHubStorage>(url, std::move(keys)));
}

}  // namespace berth::sync

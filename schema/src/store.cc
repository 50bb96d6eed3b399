// The encrypted local store (store.h, FORMAT.md): open and migrate, rekey, the per-row write with field
// clocks, outbox and audit, the merge of remote rows, settings and verify.

#include "berth/schema/store.h"

#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "berth/schema/binary_encoding.h"
#include "berth/schema/crypt_vfs.h"
#include "berth/schema/settings.h"
#include "keyfile.h"
#include "migrations.h"

namespace berth {
namespace fs = std::filesystem;

namespace {

constexpr const char* kRekeyDbSuffix = "-rekey";
constexpr const char* kRekeyKeySuffix = "-rekey";

std::string Join(const std::string& dir, const char* name) {
  return (fs::path(dir) / name).string();
}

// Percent-encodes a path for a SQLite URI filename.
std::string UriPath(const std::string& path) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out = "file:";
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

DbId RandomDbId() {
  DbId id;
  randombytes_buf(id.data(), id.size());
  return id;
}

// meta 'audit_end' (defined with the audit log below).
std::string AuditEnd(int64_t seq, const std::vector<uint8_t>& hash);

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

// ---- KdfParams
// ---------------------------------------------------------------------------------------------

KdfParams KdfParams::Default() {
  // Argon2id, 3 passes over 128 MiB: about 0.6 s to unlock on the 2-core reference machine (FORMAT.md).
  return {3, 128ull << 20, false};
}
KdfParams KdfParams::Floor() {
  return {2, 64ull << 20, false};
}
KdfParams KdfParams::Fast() {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN, true};
}
KdfParams KdfParams::ForNewKeys() {
  if (!TestOnlyKdfBuild()) return Default();  // a release build never asks the environment
  const char* fast = std::getenv("BERTH_TEST_ONLY_FAST_KDF");
  return fast != nullptr && std::string_view(fast) == "1" ? Fast() : Default();
}
Status KdfParams::CheckAccepted(bool allow_below_floor) const {
  if (test_only && !TestOnlyKdfBuild()) {
    return IntegrityError(
        "this store was made by a test build of Berth with its test-only KDF; a release build refuses it");
  }
  const KdfParams floor = Floor();
  if (!allow_below_floor && !test_only && !TestOnlyKdfBuild() &&
      (opslimit < floor.opslimit || memlimit < floor.memlimit)) {
    return IntegrityError("the store's passphrase KDF (" + std::to_string(opslimit) + " passes over " +
                          std::to_string(memlimit >> 10) + " KiB) is below this build's floor (" +
                          std::to_string(floor.opslimit) + " passes over " +
                          std::to_string(floor.memlimit >> 10) +
                          " KiB): change the passphrase (`berth passphrase`) to strengthen it");
  }
  return Status::Ok();
}

// A synced setting row must carry a value its schema accepts, and a preference never syncs (settings.h).
// Keys the schema does not know are free-form local notes: the hub refuses them, so they never travel.
namespace {

Status CheckSettingMutation(const Mutation& m) {
  if (m.entity != "setting") return Status::Ok();
  const SettingSpec* spec = FindSetting(m.row_id);
  if (spec == nullptr) return Status::Ok();
  if (!spec->syncs) {
    return BadInput(spec->key + " is a preference kept on each device; it does not sync");
  }
  if (m.kind == MutationKind::kDelete) return Status::Ok();
  auto it = m.fields.find("value");
  if (it == m.fields.end()) return Status::Ok();
  const auto* text = std::get_if<std::string>(&it->second);
  if (text == nullptr) return BadInput(spec->key + " must be stored as text");
  return ValidateSetting(spec->key, *text);
}

}  // namespace

// ---- Store internals
// ---------------------------------------------------------------------------------------

struct Store::Impl {
  Env* env = Env::Default();
  Db db;
  Secret data_key;
  DbId db_id{};
  std::string key_handle;  // the VFS registry handle; empty for plain stores
  std::string base_vfs;
  // Shared by every connection Connect() makes from the same unlocked store.
  struct SharedClock {
    std::mutex mu;
    HlcClock clock;
  };
  std::shared_ptr<SharedClock> clock = std::make_shared<SharedClock>();
  StoreOptions options;  // what Connect() opens a second connection with
  // entity -> its columns, for syncable tables (those with id, hlc, origin and deleted columns).
  std::map<std::string, std::set<std::string>> columns;
  std::vector<uint8_t> last_audit_hash;
  // An open Store::Batch: what it saves once, at its end, instead of once per row.
  struct BatchState {
    bool active = false;
    Status failed;                    // the first error inside the batch: it rolls back
    bool audit_loaded = false;        // the chain's head, read once inside the batch's transaction
    int64_t audit_seq = 0;            // the last entry's seq (0: none)
    std::vector<uint8_t> audit_hash;  // the last entry's hash
    bool audit_appended = false;      // 'audit_end' to save
    std::string hlc;                  // 'hlc' to save (empty: nothing)
  };
  BatchState batch;

  ~Impl() { Close(); }
  void Close() {
    db.Close();
    if (!key_handle.empty()) UnregisterKey(key_handle);
    key_handle.clear();
    data_key.Wipe();
  }
  // Turns an integrity failure from SQLite into one that names the page, using what the VFS recorded.
  Status Explain(Status st) const {
    if (st.code() != Code::kIntegrity || key_handle.empty()) return st;
    const std::string detail = LastCryptError(key_handle);
    return detail.empty() ? st : IntegrityError(detail);
  }
};

Store::Store() : impl_(std::make_unique<Impl>()) {}
Store::~Store() = default;

bool Store::Exists(const std::string& dir) {
  return FileExists(Join(dir, kKeyFile));
}

namespace {

Result<Db> OpenDatabase(const std::string& path, const Secret& data_key, const DbId& db_id,
                        const StoreOptions& options, bool create, std::string* key_handle) {
  if (!options.encrypted)
    return Db::Open(path, options.base_vfs.empty() ? nullptr : options.base_vfs.c_str(), create, false);
  BERTH_ASSIGN_OR_RETURN(std::string vfs, CryptVfsName(options.base_vfs));
  *key_handle = RegisterKey(data_key, db_id);
  auto db = Db::Open(UriPath(path) + "?bk=" + *key_handle, vfs.c_str(), create, true);
  if (!db.ok()) {
    const std::string detail = LastCryptError(*key_handle);
    UnregisterKey(*key_handle);
    key_handle->clear();
    if (!detail.empty()) return Status(db.status().code(), detail);
  }
  return db;
}

// Settings every connection needs. Temp storage stays in memory (the VFS refuses temp files on disk);
// mmap stays off (it would bypass the VFS).
Status ConfigureConnection(Db& db, bool fresh, bool encrypted) {
  if (fresh && encrypted) {
    int reserve = kReserveBytes;
    if (sqlite3_file_control(db.raw(), "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve) != SQLITE_OK) {
      return InternalError("could not reserve page space for encryption");
    }
  }
  return db.Exec(
      "PRAGMA temp_store=MEMORY; PRAGMA mmap_size=0; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
      // 64 MiB of page cache: a county's store stays in memory, so pages are decrypted once, not per read.
      "PRAGMA cache_size=-65536;"
      "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000; PRAGMA cell_size_check=ON;"
      // Checkpoint every 8,000 WAL pages (32 MiB), not SQLite's 1,000: a page rewritten by several
      // transactions between checkpoints is copied into the database once (FORMAT.md, "Migrations").
      "PRAGMA wal_autocheckpoint=8000;");
}

Status CheckReserve(Db& db, bool encrypted) {
  if (!encrypted) return Status::Ok();
  int reserve = -1;
  sqlite3_file_control(db.raw(), "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
  if (reserve != kReserveBytes) return IntegrityError("the database does not carry Berth's page reserve");
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Create(const std::string& dir, const Secret& passphrase,
                                             Secret* recovery_key, const StoreOptions& options) {
  if (sodium_init() < 0) return InternalError("libsodium failed to initialise");
  if (passphrase.empty()) return BadInput("the passphrase must not be empty");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError("cannot create the store directory " + dir + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (Exists(dir) || FileExists(Join(dir, kDatabaseFile)))
    return ConflictError(dir + " already holds a store");

  Secret data_key = Secret::Random(32);
  const DbId db_id = RandomDbId();
  BERTH_ASSIGN_OR_RETURN(KeyFile kf, NewKeyFile(data_key, db_id, passphrase, options.kdf, recovery_key));

  // The database first, the key file last: a store directory without a key file is not a store, so a
  // crash in between leaves nothing that looks like one (Create can simply run again).
  auto store = std::unique_ptr<Store>(new Store());
  store->dir_ = dir;
  store->encrypted_ = options.encrypted;
  store->impl_->data_key = data_key.Clone();
  store->impl_->db_id = db_id;
  store->impl_->base_vfs = options.base_vfs;
  if (options.env != nullptr) store->impl_->env = options.env;
  const std::string path = Join(dir, kDatabaseFile);
  for (const char* leftover : {"", "-wal", "-shm", "-journal"})
    BERTH_RETURN_IF_ERROR(store->impl_->env->RemoveFile(path + leftover));
  BERTH_ASSIGN_OR_RETURN(store->impl_->db,
                         OpenDatabase(path, data_key, db_id, options, true, &store->impl_->key_handle));
  BERTH_RETURN_IF_ERROR(
      store->impl_->Explain(ConfigureConnection(store->impl_->db, true, options.encrypted)));
  BERTH_RETURN_IF_ERROR(store->Init(options));
  BERTH_RETURN_IF_ERROR(WriteKeyFile(*store->impl_->env, Join(dir, kKeyFile), kf));
  return store;
}

namespace {

// Finishes or undoes a rekey interrupted by a crash (see FORMAT.md, "Rekey"): the database file's page 1
// carries its database id in clear, which tells which key file belongs to it.
Status RecoverInterruptedRekey(Env& env, const std::string& dir) {
  const std::string key_path = Join(dir, kKeyFile);
  const std::string new_key_path = key_path + kRekeyKeySuffix;
  const std::string db_path = Join(dir, kDatabaseFile);
  const std::string new_db_path = db_path + kRekeyDbSuffix;
  if (!env.FileExists(new_key_path)) {
    return env.RemoveFile(new_db_path);  // rekey had not reached its first commit point
  }
  auto next = ReadKeyFile(env, new_key_path);
  DbId on_disk{};
  bool have_id = false;
  if (FILE* f = std::fopen(db_path.c_str(), "rb")) {
    have_id = std::fread(on_disk.data(), 1, on_disk.size(), f) == on_disk.size();
    std::fclose(f);
  }
  if (next.ok() && have_id && on_disk == next->db_id) {
    return env.RenameFile(new_key_path, key_path);  // the new database is in place: adopt its key file
  }
  BERTH_RETURN_IF_ERROR(env.RemoveFile(new_key_path));
  return env.RemoveFile(new_db_path);
}

// Authenticates every page of the database file directly, without SQLite: names the first bad pages
// even when SQLite cannot open the file at all.
std::vector<std::string> ScanDatabaseFile(const std::string& path, const Secret& key, const DbId& db_id,
                                          int64_t* pages_checked) {
  std::vector<std::string> problems;
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return {"cannot read " + path};
  uint8_t header[100];
  const size_t got = std::fread(header, 1, sizeof header, f);
  const int raw_size = got == sizeof header ? ((header[16] << 8) | header[17]) : 0;
  const int p = raw_size == 1 ? 65536 : raw_size;
  if (got == sizeof header && header[20] != kReserveBytes) {
    problems.push_back(std::string(kDatabaseFile) + " is not a Berth store (its page reserve is " +
                       std::to_string(header[20]) + " bytes, expected " + std::to_string(kReserveBytes) +
                       ")");
  } else if (got == sizeof header && std::memcmp(header, db_id.data(), db_id.size()) != 0) {
    problems.push_back(std::string(kDatabaseFile) +
                       " belongs to another store (its database id differs from the key file's)");
  } else if (p < 512 || (p & (p - 1)) != 0) {
    problems.push_back("page 1 of " + std::string(kDatabaseFile) + " is damaged (no valid page size)");
  } else {
    std::fseek(f, 0, SEEK_END);
    const long size = std::ftell(f);
    std::fseek(f, 0, SEEK_SET);
    std::vector<uint8_t> sealed(static_cast<size_t>(p)), plain(static_cast<size_t>(p));
    const long pages = size / p;
    uint32_t header_pages = 0;
    for (long pg = 0; pg < pages && problems.size() < 10; ++pg) {
      if (std::fread(sealed.data(), 1, sealed.size(), f) != sealed.size()) break;
      const auto pgno = static_cast<uint32_t>(pg + 1);
      if (!OpenPage(key, db_id, pgno, sealed.data(), plain.data(), p)) {
        problems.push_back("page " + std::to_string(pgno) + " of " + kDatabaseFile +
                           " failed authentication");
      } else if (pgno == 1) {
        header_pages = (uint32_t{plain[28]} << 24) | (uint32_t{plain[29]} << 16) |
                       (uint32_t{plain[30]} << 8) | plain[31];
      }
      if (pages_checked != nullptr) ++*pages_checked;
    }
    sodium_memzero(plain.data(), plain.size());
    if (size % p != 0) {
      problems.push_back("page " + std::to_string(pages + 1) + " of " + kDatabaseFile + " is truncated");
    } else if (header_pages > static_cast<uint32_t>(pages)) {
      problems.push_back(std::string(kDatabaseFile) + " is truncated: the header counts " +
                         std::to_string(header_pages) + " pages, the file holds " + std::to_string(pages) +
                         " (page " + std::to_string(pages + 1) + " onwards missing)");
    }
  }
  std::fclose(f);
  return problems;
}

std::string JoinProblems(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += (out.empty() ? "" : "; ") + p;
  return out;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const Secret& passphrase,
                                           const StoreOptions& options) {
  if (sodium_init() < 0) return InternalError("libsodium failed to initialise");
  if (!Exists(dir)) return NotFound("no Berth store in " + dir + " (run `berth init` to make one)");
  Env& env = options.env != nullptr ? *options.env : *Env::Default();
  BERTH_RETURN_IF_ERROR(RecoverInterruptedRekey(env, dir));
  BERTH_ASSIGN_OR_RETURN(KeyFile kf, ReadKeyFile(env, Join(dir, kKeyFile)));
  BERTH_RETURN_IF_ERROR(kf.kdf.CheckAccepted());
  BERTH_ASSIGN_OR_RETURN(Secret data_key, UnwrapWithPassphrase(kf, passphrase));
  auto store = std::unique_ptr<Store>(new Store());
  store->impl_->env = &env;
  store->dir_ = dir;
  store->encrypted_ = options.encrypted;
  store->impl_->data_key = std::move(data_key);
  store->impl_->db_id = kf.db_id;
  store->impl_->base_vfs = options.base_vfs;
  const std::string path = Join(dir, kDatabaseFile);
  if (!FileExists(path)) return IntegrityError("the store's database file is missing");
  Status st = [&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(store->impl_->db, OpenDatabase(path, store->impl_->data_key, kf.db_id, options,
                                                          false, &store->impl_->key_handle));
    BERTH_RETURN_IF_ERROR(
        store->impl_->Explain(ConfigureConnection(store->impl_->db, false, options.encrypted)));
    BERTH_RETURN_IF_ERROR(CheckReserve(store->impl_->db, options.encrypted));
    return store->Init(options);
  }();
  if (st.code() == Code::kIntegrity && options.encrypted) {
    // SQLite's own words ("disk I/O error", "malformed") do not say where; the page scan does.
    store->impl_->db.Close();
    const auto problems = ScanDatabaseFile(path, store->impl_->data_key, kf.db_id, nullptr);
    if (!problems.empty()) return IntegrityError(JoinProblems(problems));
  }
  if (!st.ok()) return st;
  return store;
}

Status Store::Init(const StoreOptions& options) {
  impl_->options = options;
  Db& db = impl_->db;
  actor_ = options.actor;
  Status st = db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
      " applied_ms INTEGER NOT NULL)");
  if (!st.ok()) return impl_->Explain(st).Context("opening the store");
  BERTH_ASSIGN_OR_RETURN(int64_t current,
                         db.QueryInt("SELECT coalesce(max(version), 0) FROM schema_migrations"));
  const auto& all = Migrations();
  const int newest = all.empty() ? 0 : all.back().version;
  if (current > newest) {
    return ConflictError("the store was written by a newer Berth (schema " + std::to_string(current) +
                         ", this build knows " + std::to_string(newest) + ")");
  }
  for (const Migration& m : all) {
    if (m.version <= current) continue;
    if (options.migrate_to != 0 && m.version > options.migrate_to) break;
    st = db.Transaction([&]() -> Status {
      BERTH_RETURN_IF_ERROR(db.Exec(m.sql));
      BERTH_ASSIGN_OR_RETURN(
          Statement ins,
          db.Prepare("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)"));
      ins.Bind(1, m.version).Bind(2, m.name).Bind(3, impl_->env->NowMs());
      return ins.Run();
    });
    if (!st.ok())
      return impl_->Explain(st).Context("applying migration " + std::to_string(m.version) + "_" + m.name);
    current = m.version;
  }
  schema_version_ = static_cast<int>(current);

  // Device identity and the clock survive restarts in meta.
  st = db.Transaction([&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(Statement q,
                           db.Prepare("SELECT key, value FROM meta WHERE key IN ('device_id', 'hlc')"));
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      if (q.Text(0) == "device_id") device_id_ = q.Text(1);
      if (q.Text(0) == "hlc") {
        auto h = Hlc::Parse(q.Text(1));
        std::lock_guard<std::mutex> lock(impl_->clock->mu);
        if (h.ok() && impl_->clock->clock.last() < *h) impl_->clock->clock.Restore(*h);
      }
    }
    if (device_id_.empty()) {
      device_id_ = NewUuidV7(impl_->env);
      BERTH_ASSIGN_OR_RETURN(Statement ins,
                             db.Prepare("INSERT INTO meta (key, value) VALUES ('device_id', ?)"));
      ins.Bind(1, device_id_);
      BERTH_RETURN_IF_ERROR(ins.Run());
    }
    return Status::Ok();
  });
  if (!st.ok()) return impl_->Explain(st);

  BERTH_ASSIGN_OR_RETURN(auto tables, SyncableTables(db));
  for (auto& [name, cols] : tables) impl_->columns[name] = std::set<std::string>(cols.begin(), cols.end());
  BERTH_ASSIGN_OR_RETURN(Statement last, db.Prepare("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1"));
  BERTH_ASSIGN_OR_RETURN(bool has_audit, last.Step());
  impl_->last_audit_hash = has_audit ? last.Blob(0) : std::vector<uint8_t>(crypto_generichash_BYTES, 0);
  return Status::Ok();
}

Result<std::unique_ptr<Store>> Store::Connect() {
  if (locked()) return NotAuthorised("the store is locked");
  auto store = std::unique_ptr<Store>(new Store());
  store->dir_ = dir_;
  store->encrypted_ = encrypted_;
  store->impl_->env = impl_->env;
  store->impl_->data_key = impl_->data_key.Clone();
  store->impl_->db_id = impl_->db_id;
  store->impl_->base_vfs = impl_->base_vfs;
  store->impl_->clock = impl_->clock;
  const StoreOptions& options = impl_->options;
  BERTH_ASSIGN_OR_RETURN(
      store->impl_->db, OpenDatabase(Join(dir_, kDatabaseFile), store->impl_->data_key, impl_->db_id, options,
                                     false, &store->impl_->key_handle));
  BERTH_RETURN_IF_ERROR(
      store->impl_->Explain(ConfigureConnection(store->impl_->db, false, options.encrypted)));
  BERTH_RETURN_IF_ERROR(CheckReserve(store->impl_->db, options.encrypted));
  BERTH_RETURN_IF_ERROR(store->Init(options));
  return store;
}

Status Store::Wipe(const std::string& dir, Env* env) {
  Env& e = env != nullptr ? *env : *Env::Default();
  const std::string key = Join(dir, kKeyFile);
  const std::string db = Join(dir, kDatabaseFile);
  // Every copy of the wrapped data key first, overwritten in place (Env::OverwriteFile: on the file's own
  // blocks, so they do not survive in an unlinked inode): without it the database is noise. A failure is
  // reported, but the rest of the store is still removed.
  Status first_error;
  auto note = [&](Status st) {
    if (!st.ok() && first_error.ok()) first_error = st;
  };
  for (const std::string& k : {key, key + kRekeyKeySuffix}) note(e.OverwriteFile(k));
  for (const std::string& f : {db, db + "-wal", db + "-shm", db + "-journal", db + kRekeyDbSuffix, key,
                               key + kRekeyKeySuffix, key + ".tmp"}) {
    note(e.RemoveFile(f));
  }
  return first_error;
}

void Store::Lock() {
  impl_->Close();
}
bool Store::locked() const {
  return !impl_->db.is_open();
}
Db& Store::db() {
  return impl_->db;
}
Env& Store::env() const {
  return *impl_->env;
}
Hlc Store::Tick() {
  const int64_t now_ms = impl_->env->NowMs();
  std::lock_guard<std::mutex> lock(impl_->clock->mu);
  return impl_->clock->clock.Tick(now_ms);
}

Status Store::ObserveClock(const std::string& hlc) {
  if (locked()) return NotAuthorised("the store is locked");
  BERTH_ASSIGN_OR_RETURN(Hlc remote, Hlc::Parse(hlc));
  Hlc now;
  const int64_t now_ms = impl_->env->NowMs();
  {
    std::lock_guard<std::mutex> lock(impl_->clock->mu);
    if (!(impl_->clock->clock.last() < remote)) return Status::Ok();
    now = impl_->clock->clock.Observe(remote, now_ms);
  }
  return impl_->Explain(SaveClock(now.ToString()));
}

Status Store::SaveClock(const std::string& hlc) {
  if (impl_->batch.active) {
    impl_->batch.hlc = std::max(impl_->batch.hlc, hlc);
    return Status::Ok();
  }
  BERTH_ASSIGN_OR_RETURN(Statement meta,
                         impl_->db.Cached("INSERT INTO meta (key, value) VALUES ('hlc', ?)"
                                          " ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
  meta.Bind(1, hlc);
  return meta.Run();
}

Result<std::map<std::string, std::vector<std::string>>> SyncableTables(Db& db) {
  BERTH_ASSIGN_OR_RETURN(
      Statement tables,
      db.Prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"));
  std::vector<std::string> names;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, tables.Step());
    if (!row) break;
    names.push_back(tables.Text(0));
  }
  std::map<std::string, std::vector<std::string>> out;
  BERTH_ASSIGN_OR_RETURN(Statement info, db.Prepare("SELECT name FROM pragma_table_info(?) ORDER BY cid"));
  for (const auto& name : names) {
    info.Reset();
    info.Bind(1, name);
    std::vector<std::string> cols;
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool row, info.Step());
      if (!row) break;
      cols.push_back(info.Text(0));
    }
    const std::set<std::string> set(cols.begin(), cols.end());
    if (set.count("id") && set.count("hlc") && set.count("origin") && set.count("deleted"))
      out[name] = std::move(cols);
  }
  return out;
}

// ---- passphrase, recovery, rekey
// ---------------------------------------------------------------------------

Status Store::ChangePassphrase(const std::string& dir, const Secret& old_passphrase,
                               const Secret& new_passphrase, const KdfParams& kdf, Env* env_in) {
  if (!Exists(dir)) return NotFound("no Berth store in " + dir);
  Env& env = env_in != nullptr ? *env_in : *Env::Default();
  BERTH_RETURN_IF_ERROR(RecoverInterruptedRekey(env, dir));
  BERTH_ASSIGN_OR_RETURN(KeyFile kf, ReadKeyFile(env, Join(dir, kKeyFile)));
  // A store below the floor may still change its passphrase: that is how it is strengthened.
  BERTH_RETURN_IF_ERROR(kf.kdf.CheckAccepted(/*allow_below_floor=*/true));
  BERTH_ASSIGN_OR_RETURN(Secret data_key, UnwrapWithPassphrase(kf, old_passphrase));
  BERTH_RETURN_IF_ERROR(RewrapPassphrase(kf, data_key, new_passphrase, kdf));
  return WriteKeyFile(env, Join(dir, kKeyFile), kf);
}

Status Store::Recover(const std::string& dir, const Secret& recovery_key, const Secret& new_passphrase,
                      const KdfParams& kdf, Env* env_in) {
  if (!Exists(dir)) return NotFound("no Berth store in " + dir);
  Env& env = env_in != nullptr ? *env_in : *Env::Default();
  BERTH_RETURN_IF_ERROR(RecoverInterruptedRekey(env, dir));
  BERTH_ASSIGN_OR_RETURN(KeyFile kf, ReadKeyFile(env, Join(dir, kKeyFile)));
  BERTH_RETURN_IF_ERROR(kf.kdf.CheckAccepted(/*allow_below_floor=*/true));
  BERTH_ASSIGN_OR_RETURN(Secret data_key, UnwrapWithRecoveryKey(kf, recovery_key));
  BERTH_RETURN_IF_ERROR(RewrapPassphrase(kf, data_key, new_passphrase, kdf));
  return WriteKeyFile(env, Join(dir, kKeyFile), kf);
}

Status Store::Rekey(const Secret& passphrase, Secret* new_recovery_key) {
  if (locked()) return NotAuthorised("the store is locked");
  if (!encrypted_) return UsageError("a plain store has no key to change");
  Env& env = *impl_->env;
  BERTH_ASSIGN_OR_RETURN(KeyFile current, ReadKeyFile(env, Join(dir_, kKeyFile)));
  BERTH_ASSIGN_OR_RETURN(Secret check, UnwrapWithPassphrase(current, passphrase));
  (void)check;
  Db& db = impl_->db;
  // 1. Everything committed goes into the main file, and the WAL is emptied.
  BERTH_RETURN_IF_ERROR(impl_->Explain(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")));
  // 2. A complete copy under the new key, in a side file.
  Secret new_key = Secret::Random(32);
  const DbId new_id = RandomDbId();
  const std::string db_path = Join(dir_, kDatabaseFile);
  const std::string new_db_path = db_path + kRekeyDbSuffix;
  const std::string new_key_path = Join(dir_, kKeyFile) + kRekeyKeySuffix;
  BERTH_RETURN_IF_ERROR(env.RemoveFile(new_db_path));
  const std::string handle = RegisterKey(new_key, new_id);
  BERTH_ASSIGN_OR_RETURN(Statement vacuum, db.Prepare("VACUUM INTO ?"));
  vacuum.Bind(1, UriPath(new_db_path) + "?bk=" + handle);
  Status st = vacuum.Run();
  UnregisterKey(handle);
  if (!st.ok()) {
    (void)env.RemoveFile(new_db_path);
    return impl_->Explain(st).Context("rekey: copying the database");
  }
  // 3. Its key file, written beside the current one. Commit point 1: both side files exist.
  BERTH_ASSIGN_OR_RETURN(KeyFile next,
                         NewKeyFile(new_key, new_id, passphrase, current.kdf, new_recovery_key));
  BERTH_RETURN_IF_ERROR(WriteKeyFile(env, new_key_path, next));
  // 4. Swap the database (commit point 2: page 1 now carries the new id), then the key file.
  impl_->Close();
  for (const char* leftover : {"-wal", "-shm"}) BERTH_RETURN_IF_ERROR(env.RemoveFile(db_path + leftover));
  BERTH_RETURN_IF_ERROR(env.RenameFile(new_db_path, db_path));
  BERTH_RETURN_IF_ERROR(env.RenameFile(new_key_path, Join(dir_, kKeyFile)));
  // 5. Reopen under the new key.
  StoreOptions options;
  options.actor = actor_;
  options.base_vfs = impl_->base_vfs;
  options.env = &env;
  BERTH_ASSIGN_OR_RETURN(auto reopened, Open(dir_, passphrase, options));
  impl_ = std::move(reopened->impl_);
  return AppendAudit("rekey", "store", device_id_, "data key replaced");
}

// ---- rows that sync
// ----------------------------------------------------------------------------------------

namespace {

struct Clock {
  std::string hlc;
  std::string origin;
  bool operator<(const Clock& o) const { return std::tie(hlc, origin) < std::tie(o.hlc, o.origin); }
};

}  // namespace

Status Store::CheckLocal(Mutation& m) const {
  auto table = impl_->columns.find(m.entity);
  if (table == impl_->columns.end()) return BadInput("'" + m.entity + "' is not a table that syncs");
  if (m.row_id.empty()) m.row_id = NewUuidV7(impl_->env);
  for (const auto& [field, value] : m.fields) {
    if (field == "id" || field == "hlc" || field == "origin" || field == "deleted" ||
        !table->second.count(field)) {
      return BadInput("'" + m.entity + "' has no field '" + field + "'");
    }
  }
  if (m.kind != MutationKind::kDelete && m.fields.empty())
    return BadInput("a change must set at least one field");
  return CheckSettingMutation(m);
}

Status Store::CheckRemote(const Mutation& m) const {
  if (!impl_->columns.count(m.entity)) return BadInput("'" + m.entity + "' is not a table that syncs");
  return CheckSettingMutation(m);
}

Status Store::Noted(Status st) {
  if (!st.ok() && impl_->batch.active && impl_->batch.failed.ok()) impl_->batch.failed = st;
  return impl_->Explain(st);
}

Status Store::Write(Mutation m) {
  if (locked()) return NotAuthorised("the store is locked");
  BERTH_RETURN_IF_ERROR(Noted(CheckLocal(m)));
  m.mutation_id = NewUuidV7(impl_->env);
  m.origin_device = device_id_;
  // In a batch the batch's transaction holds the row: no savepoint of its own (Batch rolls back on error).
  if (impl_->batch.active) return Noted(WriteInTransaction(m));
  return impl_->Explain(impl_->db.Transaction([&]() -> Status { return WriteInTransaction(m); }));
}

Status Store::WriteInTransaction(Mutation& m) {
  Db& db = impl_->db;
  m.hlc = Tick().ToString();
  BERTH_RETURN_IF_ERROR(ApplyInTransaction(m));
  BERTH_ASSIGN_OR_RETURN(Statement out,
                         db.Cached("INSERT INTO outbox (mutation_id, kind, entity, row_id, hlc, payload,"
                                   " created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"));
  const std::vector<uint8_t> payload = EncodeBinary(m);
  out.Bind(1, m.mutation_id)
      .Bind(2, static_cast<int64_t>(m.kind))
      .Bind(3, m.entity)
      .Bind(4, m.row_id)
      .Bind(5, m.hlc)
      .BindBlob(6, payload)
      .Bind(7, impl_->env->NowMs());
  BERTH_RETURN_IF_ERROR(out.Run());
  BERTH_RETURN_IF_ERROR(SaveClock(m.hlc));
  std::string detail;
  for (const auto& kv : m.fields) detail += (detail.empty() ? "" : ",") + kv.first;
  const char* action = m.kind == MutationKind::kDelete  ? "delete"
                       : m.kind == MutationKind::kClaim ? "claim"
                                                        : "write";
  return AppendAuditInTransaction(m.claim.empty() ? action : std::string(action) + ":" + m.claim, m.entity,
                                  m.row_id, detail);
}

Status Store::ApplyRemote(const Mutation& m) {
  if (locked()) return NotAuthorised("the store is locked");
  BERTH_RETURN_IF_ERROR(Noted(CheckRemote(m)));
  if (impl_->batch.active) return Noted(ApplyInTransaction(m));
  return impl_->Explain(impl_->db.Transaction([&]() -> Status { return ApplyInTransaction(m); }));
}

bool Store::in_batch() const {
  return impl_->batch.active;
}

Status Store::Batch(const std::function<Status()>& body) {
  if (locked()) return NotAuthorised("the store is locked");
  // Joins the enclosing batch, which its error (even one ignored) rolls back.
  if (impl_->batch.active) return Noted(body());
  Db& db = impl_->db;
  const std::vector<uint8_t> audit_hash_before = impl_->last_audit_hash;
  Status st = db.Transaction([&]() -> Status {
    impl_->batch = Impl::BatchState{};
    impl_->batch.active = true;
    Status run = body();
    if (run.ok()) run = impl_->batch.failed;
    Impl::BatchState done = std::move(impl_->batch);
    impl_->batch = Impl::BatchState{};
    BERTH_RETURN_IF_ERROR(run);
    // What every row would have saved, saved once: the newest clock and the audit chain's end.
    if (!done.hlc.empty()) BERTH_RETURN_IF_ERROR(SaveClock(done.hlc));
    if (done.audit_appended) {
      BERTH_ASSIGN_OR_RETURN(Statement end,
                             db.Cached("INSERT INTO meta (key, value) VALUES ('audit_end', ?)"
                                       " ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
      end.Bind(1, AuditEnd(done.audit_seq, done.audit_hash));
      BERTH_RETURN_IF_ERROR(end.Run());
    }
    return Status::Ok();
  });
  if (!st.ok()) impl_->last_audit_hash = audit_hash_before;
  return impl_->Explain(st);
}

Status Store::WriteBatch(std::vector<Mutation> mutations) {
  if (locked()) return NotAuthorised("the store is locked");
  for (size_t i = 0; i < mutations.size(); ++i) {
    const Status st = CheckLocal(mutations[i]);
    if (!st.ok()) return st.Context("change " + std::to_string(i + 1) + " of the batch");
  }
  return Batch([&]() -> Status {
    for (Mutation& m : mutations) BERTH_RETURN_IF_ERROR(Write(std::move(m)));
    return Status::Ok();
  });
}

Status Store::ApplyRemoteBatch(std::span<const Mutation> mutations) {
  if (locked()) return NotAuthorised("the store is locked");
  for (size_t i = 0; i < mutations.size(); ++i) {
    const Status st = CheckRemote(mutations[i]);
    if (!st.ok()) return st.Context("change " + std::to_string(i + 1) + " of the batch");
  }
  return Batch([&]() -> Status {
    for (const Mutation& m : mutations) BERTH_RETURN_IF_ERROR(ApplyRemote(m));
    return Status::Ok();
  });
}

Status Store::ApplyInTransaction(const Mutation& m) {
  auto table = impl_->columns.find(m.entity);
  if (table == impl_->columns.end()) return BadInput("'" + m.entity + "' is not a table that syncs");
  BERTH_RETURN_IF_ERROR(ObserveClock(m.hlc));
  return MergeLww(impl_->db, table->second, m);
}

Status MergeLww(Db& db, const std::set<std::string>& columns, const Mutation& m, const KnownRow* known,
                bool* all_won) {
  if (all_won != nullptr) *all_won = false;
  const Clock incoming{m.hlc, m.origin_device};
  bool exists = false;
  Clock row_clock;
  if (known != nullptr) {
    exists = known->exists;
    if (exists) row_clock = Clock{known->hlc, known->origin};
  } else {
    BERTH_ASSIGN_OR_RETURN(Statement row,
                           db.Cached("SELECT hlc, origin FROM \"" + m.entity + "\" WHERE id = ?"));
    row.Bind(1, m.row_id);
    BERTH_ASSIGN_OR_RETURN(exists, row.Step());
    if (exists) row_clock = Clock{row.Text(0), row.Text(1)};
  }

  // Which fields does this mutation win? A field's clock is its field_clock entry, else its row's.
  std::map<std::string, Clock> field_clocks;
  if (exists) {
    BERTH_ASSIGN_OR_RETURN(
        Statement fc,
        db.Cached("SELECT field, hlc, origin FROM field_clock WHERE entity = ? AND row_id = ?"));
    fc.Bind(1, m.entity).Bind(2, m.row_id);
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool r, fc.Step());
      if (!r) break;
      field_clocks[fc.Text(0)] = Clock{fc.Text(1), fc.Text(2)};
    }
  }
  auto clock_of = [&](const std::string& field) {
    auto it = field_clocks.find(field);
    return it == field_clocks.end() ? row_clock : it->second;
  };

  std::vector<std::pair<std::string, const Value*>> winners;
  if (m.kind == MutationKind::kDelete) {
    if (exists && clock_of("deleted") < incoming) winners.emplace_back("deleted", nullptr);
  } else {
    for (const auto& [field, value] : m.fields) {
      if (!columns.count(field)) return BadInput("'" + m.entity + "' has no field '" + field + "'");
      if (!exists || clock_of(field) < incoming) winners.emplace_back(field, &value);
    }
  }
  if (all_won != nullptr) {
    *all_won = m.kind == MutationKind::kDelete ? winners.size() == 1 : winners.size() == m.fields.size();
  }
  if (winners.empty()) return Status::Ok();

  if (!exists) {
    std::string cols = "id, hlc, origin", params = "?, ?, ?";
    for (const auto& w : winners) {
      cols += ", \"" + w.first + "\"";
      params += ", ?";
    }
    BERTH_ASSIGN_OR_RETURN(
        Statement ins, db.Cached("INSERT INTO \"" + m.entity + "\" (" + cols + ") VALUES (" + params + ")"));
    ins.Bind(1, m.row_id).Bind(2, m.hlc).Bind(3, m.origin_device);
    int i = 4;
    for (const auto& w : winners) ins.BindValue(i++, *w.second);
    return ins.Run();
  }
  std::string sets;
  for (const auto& w : winners) sets += (sets.empty() ? "\"" : ", \"") + w.first + "\" = ?";
  BERTH_ASSIGN_OR_RETURN(Statement upd,
                         db.Cached("UPDATE \"" + m.entity + "\" SET " + sets + " WHERE id = ?"));
  int i = 1;
  for (const auto& w : winners) {
    if (w.second == nullptr) {
      upd.Bind(i++, int64_t{1});
    } else {
      upd.BindValue(i++, *w.second);
    }
  }
  upd.Bind(i, m.row_id);
  BERTH_RETURN_IF_ERROR(upd.Run());
  BERTH_ASSIGN_OR_RETURN(Statement clk,
                         db.Cached("INSERT INTO field_clock (entity, row_id, field, hlc, origin)"
                                   " VALUES (?, ?, ?, ?, ?) ON CONFLICT (entity, row_id, field)"
                                   " DO UPDATE SET hlc = excluded.hlc, origin = excluded.origin"));
  for (const auto& w : winners) {
    clk.Reset();
    clk.Bind(1, m.entity).Bind(2, m.row_id).Bind(3, w.first).Bind(4, m.hlc).Bind(5, m.origin_device);
    BERTH_RETURN_IF_ERROR(clk.Run());
  }
  return Status::Ok();
}

// ---- audit
// -------------------------------------------------------------------------------------------------

namespace {

std::vector<uint8_t> AuditHash(const std::vector<uint8_t>& prev, const AuditEntry& e) {
  // Length-prefixed fields, so no two different entries encode alike.
  std::string encoded;
  auto put = [&](const std::string& s) {
    encoded += std::to_string(s.size());
    encoded += ':';
    encoded += s;
  };
  put(std::to_string(e.seq));
  put(std::to_string(e.at_ms));
  put(e.actor);
  put(e.device_id);
  put(e.action);
  put(e.entity);
  put(e.row_id);
  put(e.detail);
  std::vector<uint8_t> out(crypto_generichash_BYTES);
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, out.size());
  crypto_generichash_update(&st, prev.data(), prev.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size());
  crypto_generichash_final(&st, out.data(), out.size());
  return out;
}

// meta 'audit_end': "<seq>:<hash hex>" of the last audit entry.
std::string AuditEnd(int64_t seq, const std::vector<uint8_t>& hash) {
  std::string hex(hash.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), hash.data(), hash.size());
  hex.pop_back();
  return std::to_string(seq) + ":" + hex;
}

}  // namespace

Status Store::AppendAudit(const std::string& action, const std::string& entity, const std::string& row_id,
                          const std::string& detail) {
  if (locked()) return NotAuthorised("the store is locked");
  return impl_->Explain(impl_->db.Transaction(
      [&]() -> Status { return AppendAuditInTransaction(action, entity, row_id, detail); }));
}

Status Store::AppendAuditInTransaction(const std::string& action, const std::string& entity,
                                       const std::string& row_id, const std::string& detail) {
  Db& db = impl_->db;
  Impl::BatchState& batch = impl_->batch;
  std::vector<uint8_t> hash;
  Status st = [&]() -> Status {
    AuditEntry e;
    std::vector<uint8_t> prev;
    if (batch.active && batch.audit_loaded) {
      // The batch's transaction holds the write lock: the head read at its first entry is still the head.
      e.seq = batch.audit_seq + 1;
      prev = batch.audit_hash;  // a copy: a caller's savepoint may roll this entry back
    } else {
      // Re-read the chain head inside the transaction: another connection may have appended.
      BERTH_ASSIGN_OR_RETURN(Statement head,
                             db.Cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"));
      BERTH_ASSIGN_OR_RETURN(bool has, head.Step());
      e.seq = has ? head.Int(0) + 1 : 1;
      prev = has ? head.Blob(1) : std::vector<uint8_t>(crypto_generichash_BYTES, 0);
    }
    e.at_ms = impl_->env->NowMs();
    e.actor = actor_;
    e.device_id = device_id_;
    e.action = action;
    e.entity = entity;
    e.row_id = row_id;
    e.detail = detail;
    hash = AuditHash(prev, e);
    BERTH_ASSIGN_OR_RETURN(Statement ins,
                           db.Cached("INSERT INTO audit (seq, at_ms, actor, device_id, action, entity,"
                                     " row_id, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)"));
    ins.Bind(1, e.seq)
        .Bind(2, e.at_ms)
        .Bind(3, e.actor)
        .Bind(4, e.device_id)
        .Bind(5, e.action)
        .Bind(6, e.entity);
    ins.Bind(7, e.row_id).Bind(8, e.detail).BindBlob(9, prev).BindBlob(10, hash);
    BERTH_RETURN_IF_ERROR(ins.Run());
    if (batch.active) {
      // The chain's end is saved once, when the batch commits.
      batch.audit_loaded = true;
      batch.audit_appended = true;
      batch.audit_seq = e.seq;
      batch.audit_hash = hash;
      return Status::Ok();
    }
    // The chain's end, in the same transaction: removing the last entries then shows in Verify.
    BERTH_ASSIGN_OR_RETURN(Statement end,
                           db.Cached("INSERT INTO meta (key, value) VALUES ('audit_end', ?)"
                                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
    end.Bind(1, AuditEnd(e.seq, hash));
    return end.Run();
  }();
  if (st.ok()) impl_->last_audit_hash = hash;
  return st;
}

Status Store::AuditView(const std::string& entity, const std::string& row_id) {
  return AppendAudit("view", entity, row_id, "");
}

Result<std::vector<AuditEntry>> Store::AuditTrail(const std::string& entity, const std::string& row_id) {
  if (locked()) return NotAuthorised("the store is locked");
  BERTH_ASSIGN_OR_RETURN(
      Statement q, impl_->db.Prepare("SELECT seq, at_ms, actor, device_id, action, entity, row_id,"
                                     " detail FROM audit WHERE entity = ? AND row_id = ? ORDER BY seq"));
  q.Bind(1, entity).Bind(2, row_id);
  std::vector<AuditEntry> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back({q.Int(0), q.Int(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5), q.Text(6), q.Text(7)});
  }
  return out;
}

// ---- settings
// ----------------------------------------------------------------------------------------------

Result<std::optional<std::string>> Store::GetSetting(const std::string& key) {
  if (locked()) return NotAuthorised("the store is locked");
  const SettingSpec* spec = FindSetting(key);
  if (spec != nullptr && !spec->syncs) {
    // A preference lives in meta, on this device only.
    BERTH_ASSIGN_OR_RETURN(Statement q, impl_->db.Prepare("SELECT value FROM meta WHERE key = ?"));
    q.Bind(1, "pref:" + key);
    BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) return std::optional<std::string>(q.Text(0));
  }
  BERTH_ASSIGN_OR_RETURN(Statement q,
                         impl_->db.Prepare("SELECT value FROM setting WHERE id = ? AND deleted = 0"));
  q.Bind(1, key);
  BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(q.Text(0));
}

Status Store::SetSetting(const std::string& key, const std::string& value) {
  if (locked()) return NotAuthorised("the store is locked");
  const SettingSpec* spec = FindSetting(key);
  if (spec != nullptr) BERTH_RETURN_IF_ERROR(ValidateSetting(key, value));
  if (spec != nullptr && !spec->syncs) {
    return impl_->Explain(impl_->db.Transaction([&]() -> Status {
      BERTH_ASSIGN_OR_RETURN(Statement put,
                             impl_->db.Cached("INSERT INTO meta (key, value) VALUES (?, ?)"
                                              " ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
      put.Bind(1, "pref:" + key).Bind(2, value);
      BERTH_RETURN_IF_ERROR(put.Run());
      return AppendAuditInTransaction("preference", "setting", key, "value");
    }));
  }
  Mutation m;
  m.entity = "setting";
  m.row_id = key;
  m.fields["value"] = value;
  return Write(std::move(m));
}

// ---- verify
// ------------------------------------------------------------------------------------------------

Result<VerifyReport> Store::Verify() {
  if (locked()) return NotAuthorised("the store is locked");
  VerifyReport report;
  Db& db = impl_->db;
  // 1-2. Every page of the file, free pages included, authenticated directly. Checkpoint first so the file
  //    holds everything (a WAL frame that fails authentication fails the checkpoint and is reported).
  if (report.problems.empty() && encrypted_) {
    Status st = impl_->Explain(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    if (!st.ok()) report.problems.push_back(st.message());
  }
  if (report.problems.empty() && encrypted_) {
    report.problems =
        ScanDatabaseFile(Join(dir_, kDatabaseFile), impl_->data_key, impl_->db_id, &report.pages_checked);
  }
  // 3. SQLite's own check reads every b-tree page (through the WAL where it has newer copies).
  if (report.problems.empty()) {
    auto q = db.Prepare("PRAGMA integrity_check");
    if (!q.ok()) return impl_->Explain(q.status());
    while (true) {
      auto row = q->Step();
      if (!row.ok()) {
        report.problems.push_back(impl_->Explain(row.status()).message());
        break;
      }
      if (!*row) break;
      if (q->Text(0) != "ok" && report.problems.size() < 10)
        report.problems.push_back("integrity_check: " + q->Text(0));
    }
  }
  // 4. The audit chain.
  if (report.problems.empty()) {
    BERTH_ASSIGN_OR_RETURN(Statement q,
                           db.Prepare("SELECT seq, at_ms, actor, device_id, action, entity, row_id, detail,"
                                      " prev_hash, hash FROM audit ORDER BY seq"));
    std::vector<uint8_t> prev(crypto_generichash_BYTES, 0);
    int64_t expected_seq = 1;
    while (true) {
      auto row = q.Step();
      if (!row.ok()) {
        report.problems.push_back(impl_->Explain(row.status()).message());
        break;
      }
      if (!*row) break;
      AuditEntry e{q.Int(0), q.Int(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5), q.Text(6), q.Text(7)};
      if (e.seq != expected_seq || q.Blob(8) != prev || AuditHash(prev, e) != q.Blob(9)) {
        report.problems.push_back("audit entry " + std::to_string(e.seq) + " breaks the hash chain");
        break;
      }
      prev = q.Blob(9);
      ++expected_seq;
      ++report.audit_entries_checked;
    }
    // The chain must end where the store recorded its last append: entries removed from the end leave a
    // shorter chain that is otherwise intact. (Stores from before the record have none to compare.)
    BERTH_ASSIGN_OR_RETURN(Statement end, db.Prepare("SELECT value FROM meta WHERE key = 'audit_end'"));
    BERTH_ASSIGN_OR_RETURN(bool recorded, end.Step());
    if (report.problems.empty() && recorded) {
      const int64_t last = expected_seq - 1;
      const std::string found = last == 0 ? std::string("none") : AuditEnd(last, prev);
      if (found != end.Text(0)) {
        const std::string want = end.Text(0);
        report.problems.push_back("the audit log ends at entry " + std::to_string(last) +
                                  " but its recorded end is entry " + want.substr(0, want.find(':')) +
                                  ": entries were removed or replaced");
      }
    }
  }
  return report;
}

}  // namespace berth

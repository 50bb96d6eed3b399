// The encrypted local store (store.h, FORMAT.md): KDF parameters, create, open and migrate, connections,
// lock and wipe, and the hybrid logical clock. store_impl.h says which file holds the rest.

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
#include "store_impl.h"

namespace berth {
namespace fs = std::filesystem;
using namespace store_internal;

namespace store_internal {

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

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace store_internal

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
namespace store_internal {

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

}  // namespace store_internal

// ---- Store internals
// ---------------------------------------------------------------------------------------

Store::Store() : impl_(std::make_unique<Impl>()) {
  impl_->owner = this;
}
Store::~Store() = default;

bool Store::Exists(const std::string& dir) {
  return FileExists(Join(dir, kKeyFile));
}

namespace store_internal {

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
      // Until Store::Init installs the store's own WAL hook (the migrations run before it): checkpoint
      // every 8,000 WAL pages (32 MiB), not SQLite's 1,000 (FORMAT.md, "Checkpoints").
      "PRAGMA wal_autocheckpoint=8000;");
}

}  // namespace store_internal

// After each commit on a store's connection, with the number of pages now in its WAL (sqlite3_wal_hook).
// Past options.checkpoint_pages the background checkpointer is woken (made the first time); the
// committing connection copies itself only when there is none, or it failed, or the WAL has grown to four
// times the threshold because the writer outpaces it: the WAL can only restart once every frame has been
// copied, and a copy made here, between two of the writer's transactions, ensures that.
int Store::OnWalCommit(void* arg, sqlite3* db, const char* name, int pages) {
  auto* impl = static_cast<Store::Impl*>(arg);
  const int every = impl->options.checkpoint_pages;
  if (every <= 0 || pages < every) return SQLITE_OK;
  if (impl->options.background_checkpoints && !impl->checkpointer_unavailable) {
    if (impl->checkpointer == nullptr) {
      auto connection = impl->owner->Connect();
      if (connection.ok()) {
        impl->checkpointer = std::make_unique<BackgroundCheckpointer>(std::move(connection).value());
      } else {
        impl->checkpointer_unavailable = true;
      }
    }
    if (impl->checkpointer != nullptr && !impl->checkpointer->failed() && pages < 4 * every) {
      impl->checkpointer->Wake();
      return SQLITE_OK;
    }
    // The copy below must not find the thread's checkpoint holding SQLite's checkpoint lock (it would
    // return SQLITE_BUSY and the WAL would grow on): it waits for that one to end.
    if (impl->checkpointer != nullptr) impl->checkpointer->WaitIdle();
  }
  (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  return SQLITE_OK;
}

namespace store_internal {

Status CheckReserve(Db& db, bool encrypted) {
  if (!encrypted) return Status::Ok();
  int reserve = -1;
  sqlite3_file_control(db.raw(), "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
  if (reserve != kReserveBytes) return IntegrityError("the database does not carry Berth's page reserve");
  return Status::Ok();
}

}  // namespace store_internal

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

namespace store_internal {

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

}  // namespace store_internal

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
  BERTH_ASSIGN_OR_RETURN(int64_t has_audit_record,
                         db.QueryInt("SELECT count(*) FROM sqlite_master WHERE name = 'audit_record'"));
  impl_->has_audit_record = has_audit_record > 0;

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
  // From here on (not during the migrations above, which a second connection opening would race) this
  // connection's commits decide when the WAL is folded back. Replaces SQLite's own hook, which
  // ConfigureConnection's wal_autocheckpoint installed.
  sqlite3_wal_hook(db.raw(), &Store::OnWalCommit, impl_.get());
  return Status::Ok();
}

int64_t Store::BackgroundCheckpoints() const {
  return impl_->checkpointer == nullptr ? 0 : impl_->checkpointer->completed();
}

void Store::WaitForBackgroundCheckpoint() {
  if (impl_->checkpointer != nullptr) impl_->checkpointer->WaitSettled();
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
      std::string col = info.Text(0);
      if (col != kHubSeqColumn) cols.push_back(std::move(col));
    }
    const std::set<std::string> set(cols.begin(), cols.end());
    if (set.count("id") && set.count("hlc") && set.count("origin") && set.count("deleted"))
      out[name] = std::move(cols);
  }
  return out;
}

Result<std::map<std::string, std::vector<std::string>>> SyncableTablesOfThisBuild() {
  BERTH_ASSIGN_OR_RETURN(Db db, Db::Open(":memory:", nullptr, true, false));
  for (const Migration& m : Migrations()) BERTH_RETURN_IF_ERROR(db.Exec(m.sql));
  return SyncableTables(db);
}

}  // namespace berth

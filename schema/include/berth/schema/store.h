// Berth's store: one directory holding an encrypted SQLite database and the key file that unlocks it.
// See schema/FORMAT.md for the on-disk format, the key hierarchy and the threat model.
//
// Threads: a Store and its Db belong to one thread at a time. Open a second Store (a second connection
// on the same directory) for another thread, as the GUI's background worker does.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "berth/schema/db.h"
#include "berth/schema/env.h"
#include "berth/schema/ids.h"
#include "berth/schema/mutation.h"
#include "berth/schema/secret.h"
#include "berth/schema/status.h"

namespace berth {

// Argon2id cost for the passphrase, stored in the key file (FORMAT.md, "KDF").
//
// A release build (what `make run` builds and a council installs) chooses the cost from this code alone:
// Default() for every new wrap, whatever the environment says, and it refuses to open a store whose
// stored cost is below Floor() (`berth passphrase` rewraps such a store at Default()). Test builds are
// configured with -DBERTH_TEST_ONLY_KDF=ON (the debug preset): there, and only there, the environment
// variable BERTH_TEST_ONLY_FAST_KDF=1 makes new wraps use Fast(), because the tests make hundreds of
// stores, some through the CLI and the hub as separate processes. A wrap made with Fast() is marked
// test_only in the key file (bound into its associated data), and release builds refuse it.
struct KdfParams {
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;   // bytes
  bool test_only = false;  // libsodium's minimum, for tests: refused by release builds
  // 3 passes over 128 MiB: about 0.6 s to unlock on the 2-core reference machine (FORMAT.md).
  static KdfParams Default();
  // The weakest cost a release build opens: 2 passes over 64 MiB (about 0.17 s there).
  static KdfParams Floor();
  // The libsodium minimum, marked test_only. Creating or opening a store with it fails in a release build.
  static KdfParams Fast();
  // The cost for new wraps: Default(), or in a test build Fast() when BERTH_TEST_ONLY_FAST_KDF=1.
  static KdfParams ForNewKeys();
  // Whether this build was configured as a test build (BERTH_TEST_ONLY_KDF).
  static bool TestOnlyKdfBuild();
  // Whether this build accepts a wrap of this cost: kIntegrity naming the reason if not. A release build
  // refuses test_only wraps always, and wraps below Floor() unless `allow_below_floor` (a passphrase
  // change, which rewraps them at Default()).
  Status CheckAccepted(bool allow_below_floor = false) const;
};

struct StoreOptions {
  // false keeps the same store on SQLite's default VFS in plain text. Only tests use it: the store suite
  // runs both ways to prove the encrypting VFS changes nothing but the bytes on disk.
  bool encrypted = true;
  KdfParams kdf = KdfParams::ForNewKeys();
  std::string actor = "local";  // the user named in audit entries
  // Apply migrations up to this version only (0: all). Tests use it to make stores of older versions.
  int migrate_to = 0;
  // The SQLite VFS under the encryption (empty: SQLite's default). Tests put a fault-injecting VFS here.
  std::string base_vfs;
  // The clock and the file operations outside SQLite (null: Env::Default()). Not owned; must outlive
  // the store.
  Env* env = nullptr;
  // The WAL is folded back into the database file once it holds this many pages (FORMAT.md,
  // "Checkpoints"); SQLite's own default is 1,000.
  int checkpoint_pages = 8000;
  // true: by a thread of the store's own, on a second connection, so that no commit waits for the copy;
  // the committing connection copies too only if the WAL reaches four times checkpoint_pages. false: the
  // committing connection copies, as SQLite does by itself.
  bool background_checkpoints = true;
};

struct AuditEntry {
  int64_t seq = 0;
  int64_t at_ms = 0;
  std::string actor;
  std::string device_id;
  std::string action;  // "view", "create", "update", "delete", "hold", ...
  std::string entity;
  std::string row_id;
  std::string detail;  // what changed: field names, never their personal values
};

struct VerifyReport {
  int64_t pages_checked = 0;
  int64_t wal_frames_checked = 0;
  int64_t audit_entries_checked = 0;
  std::vector<std::string> problems;  // empty when the store is intact
};

class Store {
 public:
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Creates a new store in `dir` (created if missing; refused if it already holds a store). On success
  // `recovery_key` receives the recovery key, to be shown to the user once and never stored.
  static Result<std::unique_ptr<Store>> Create(const std::string& dir, const Secret& passphrase,
                                               Secret* recovery_key, const StoreOptions& options = {});
  // Opens with the passphrase. kWrongPassphrase if it does not unlock the key file; kIntegrity if the key
  // file or the database has been tampered with. Applies pending migrations.
  static Result<std::unique_ptr<Store>> Open(const std::string& dir, const Secret& passphrase,
                                             const StoreOptions& options = {});
  static bool Exists(const std::string& dir);
  // A second connection to this unlocked store, for another thread (the window's background sync): no
  // passphrase, the data key is copied from this one. Both share one clock, so their stamps stay ordered.
  // kNotAuthorised when locked.
  Result<std::unique_ptr<Store>> Connect();
  // Checkpoints the store's own thread has completed since it opened (StoreOptions::background_checkpoints).
  int64_t BackgroundCheckpoints() const;
  // For crash tests: returns once the checkpointer thread has no checkpoint asked for or under way, so the
  // thread's file changes fall in a fixed order between the caller's commits.
  void WaitForBackgroundCheckpoint();
  // Destroys a store (a revoked device wipes itself): the key file, the only place the data key is kept
  // (wrapped), is overwritten in place and synced before it is removed, so the pages left on disk can no
  // longer be opened with the passphrase or the recovery key; then the database files go. Files of the
  // directory that are not the store's are left alone. The store must not be open. (Flash storage may keep
  // old blocks; FORMAT.md, threat model.)
  static Status Wipe(const std::string& dir, Env* env = nullptr);

  // Rewraps the data key under a new passphrase; the database pages are not touched. A store whose cost
  // is below the floor (but not a test build's) may be opened this way once, and comes out at `kdf`.
  // The key file is read and rewritten through `env` (null: Env::Default()); a failed write leaves the old
  // passphrase working.
  static Status ChangePassphrase(const std::string& dir, const Secret& old_passphrase,
                                 const Secret& new_passphrase, const KdfParams& kdf = KdfParams::ForNewKeys(),
                                 Env* env = nullptr);
  // Sets a new passphrase using the recovery key (the key file through `env`, as ChangePassphrase).
  static Status Recover(const std::string& dir, const Secret& recovery_key, const Secret& new_passphrase,
                        const KdfParams& kdf = KdfParams::ForNewKeys(), Env* env = nullptr);

  // A new data key: every page is rewritten under it, crash-safely (see FORMAT.md, "Rekey"). The recovery
  // wrap must be redone, so a new recovery key is issued into `new_recovery_key`.
  Status Rekey(const Secret& passphrase, Secret* new_recovery_key);

  // SQLite's integrity check, every page's and WAL frame's tag, and the audit hash chain.
  Result<VerifyReport> Verify();

  // Closes the database and wipes the keys. Every later call fails with kNotAuthorised until reopened.
  void Lock();
  bool locked() const;

  Db& db();
  // The clock and files this store was opened with (StoreOptions::env): what code working on the store
  // stamps its times and ids with.
  Env& env() const;
  const std::string& dir() const { return dir_; }
  const std::string& device_id() const { return device_id_; }
  const std::string& actor() const { return actor_; }
  int schema_version() const { return schema_version_; }
  bool encrypted() const { return encrypted_; }

  // --- rows that sync -------------------------------------------------------------------------------
  // Stamps a new local mutation (id, HLC, origin), applies it to its table and per-field clocks, appends
  // it to the outbox and writes an audit entry, all in one transaction (joining the caller's if any).
  // Fields not in the entity's table are refused with kBadInput.
  Status Write(Mutation mutation);
  // Applies a mutation that came from elsewhere (the hub): per-field last-writer-wins by HLC, no outbox.
  Status ApplyRemote(const Mutation& mutation);
  Hlc Tick();

  // --- batches (the bulk write path: imports, the demo, a device's pull) --------------------------------
  // Runs `body` as one batch: every Write and ApplyRemote it makes on this store takes the same checks and
  // leaves the same rows, field clocks, outbox entries and audit entries as one at a time, but all in one
  // transaction (joining the caller's, through one savepoint) without a savepoint per row; the audit chain
  // is extended in memory from the head read once, and the device clock and the chain's end are saved in
  // `meta` once, at the end (FORMAT.md, "Batches"). Any error, from `body` or from any write inside it
  // (even one `body` chose to ignore), rolls back the whole batch: nothing is written. A batch inside a
  // batch joins it.
  Status Batch(const std::function<Status()>& body);
  // Write and ApplyRemote over a list, as one batch. Every mutation is checked (entity, fields, settings)
  // before anything is written; a bad one refuses the batch with kBadInput naming its index.
  Status WriteBatch(std::vector<Mutation> mutations);
  Status ApplyRemoteBatch(std::span<const Mutation> mutations);
  bool in_batch() const;

  // Moves the device's clock past a stamp seen from elsewhere (a pulled row), so the next local change
  // sorts after everything this device has seen, and saves it (joining the caller's transaction).
  Status ObserveClock(const std::string& hlc);

  // --- audit ----------------------------------------------------------------------------------------
  Status AuditView(const std::string& entity, const std::string& row_id);
  Status AppendAudit(const std::string& action, const std::string& entity, const std::string& row_id,
                     const std::string& detail);
  Result<std::vector<AuditEntry>> AuditTrail(const std::string& entity, const std::string& row_id);

  // --- settings (berth/schema/settings.h) -------------------------------------------------------------
  // The stored value, if any (readers wanting the schema's guarantee use berth::SettingValue). A
  // preference (a setting that does not sync) is read from this device's meta table.
  Result<std::optional<std::string>> GetSetting(const std::string& key);
  // A setting the schema knows must have a value in its range (kBadInput otherwise, nothing written); a
  // synced one is written like any row (outbox, audit), a preference only on this device. Keys the schema
  // does not know are free-form local notes, which the hub refuses.
  Status SetSetting(const std::string& key, const std::string& value);

 private:
  struct Impl;
  // sqlite3_wal_hook's callback on this store's connection (`arg` is the Store::Impl).
  static int OnWalCommit(void* arg, struct sqlite3* db, const char* name, int pages);
  Store();
  Status Init(const StoreOptions& options);
  // The bodies of ApplyRemote and AppendAudit, for callers already inside a transaction: no savepoint of
  // their own (a savepoint per row copies every page it first touches into the statement journal). On an
  // error the caller's transaction must roll back, as Db::Transaction does when the error propagates.
  Status ApplyInTransaction(const Mutation& mutation);
  // Write's body once the mutation is checked and stamped with its ids.
  Status WriteInTransaction(Mutation& mutation);
  // The checks Write makes before anything is written (fills in a missing row id).
  Status CheckLocal(Mutation& mutation) const;
  Status CheckRemote(const Mutation& mutation) const;
  // meta 'hlc' := `hlc` now, or at the end of the batch.
  Status SaveClock(const std::string& hlc);
  // Inside a batch: remembers the first error, which then rolls the batch back.
  Status Noted(Status st);
  Status AppendAuditInTransaction(const std::string& action, const std::string& entity,
                                  const std::string& row_id, const std::string& detail);
  // The open batch's one audit entry, naming the audit_record rows it wrote (nothing if none).
  Status AppendBatchAudit();

  std::unique_ptr<Impl> impl_;
  std::string dir_;
  std::string device_id_;
  std::string actor_;
  int schema_version_ = 0;
  bool encrypted_ = true;
};

// The column a hub's SQLite store adds to each table that syncs: the number of the row's entry in the
// hub's change log (sync/PROTOCOL.md section 10). It never syncs: SyncableTables leaves it out.
inline constexpr const char* kHubSeqColumn = "hub_seq";

// The tables that sync (those with id, hlc, origin and deleted columns), each with its columns in
// declaration order (kHubSeqColumn left out). The Store and the sync engine share this one definition.
Result<std::map<std::string, std::vector<std::string>>> SyncableTables(Db& db);
// The same for this build's schema, read from its migrations applied to an empty in-memory database: for
// a hub that keeps its rows outside a Store (PostgreSQL).
Result<std::map<std::string, std::vector<std::string>>> SyncableTablesOfThisBuild();

// What a caller of MergeLww already knows about the row, to save a read: whether it exists and, if so,
// its row clock (the hlc and origin columns).
struct KnownRow {
  bool exists = false;
  std::string hlc;
  std::string origin;
};

// The last-writer-wins merge of a remote mutation into its row, the one rule every replica applies:
// each field is taken when the mutation's (hlc, origin) is greater than that field's clock (its
// field_clock entry, else its row's); a row not yet here is created with the mutation's fields; a
// winning field of an existing row gets a field_clock entry. `columns` are the row's table's columns (a
// field outside them is refused with kBadInput before anything is written). The caller holds a
// transaction; statements come from db.Cached. `all_won`, if given, is set when every field of `m` (or
// its delete) took effect. Store::ApplyRemote, the hub and pulls all merge through this.
// `stamp`, if given, is a column outside the synced fields that the statement writing the row also sets
// (the hub's kHubSeqColumn): on an insert, on an update of the winning fields, or by itself when the row
// exists and no field won. A row that is not here and gets no field stays absent, unstamped.
struct ColumnStamp {
  const char* column = nullptr;
  int64_t value = 0;
};
Status MergeLww(Db& db, const std::set<std::string>& columns, const Mutation& m,
                const KnownRow* known = nullptr, bool* all_won = nullptr, const ColumnStamp* stamp = nullptr);

// The action of the one audit entry a Store::Batch writes for all its records (FORMAT.md, "Audit log").
inline constexpr const char* kBatchAuditAction = "batch";

// The file names inside a store directory.
inline constexpr const char* kDatabaseFile = "berth.db";
inline constexpr const char* kKeyFile = "berth.key";

}  // namespace berth

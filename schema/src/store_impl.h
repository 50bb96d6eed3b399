// Store::Impl and the helpers the store's files share (private to schema/src). The store is split by job:
//   store.cc           KDF parameters, create, open and migrate, connections, lock and wipe, the clock
//   store_rekey.cc     passphrase change, recovery, rekey (FORMAT.md "Rekey")
//   store_rows.cc      rows that sync: checks, the per-row and batch writes, the outbox, the LWW merge
//   store_audit.cc     the audit chain, settings, and Verify
#pragma once

#include <sqlite3.h>

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "berth/schema/crypt_vfs.h"
#include "berth/schema/store.h"
#include "checkpointer.h"

namespace berth {

using AuditDigest = std::array<uint8_t, 32>;

struct Store::Impl {
  Store* owner = nullptr;  // the store this is the inside of (its Connect() makes the checkpointer's link)
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
    int64_t audit_seq = 0;            // the batch's own audit entry: the head's seq + 1
    std::vector<uint8_t> audit_prev;  // the head's hash, which the batch's entry chains to
    int64_t records = 0;              // audit_record rows written (the n of the last)
    AuditDigest digest{};             // their digest so far (FORMAT.md, "Audit log")
    int64_t rollbacks_at_start = 0;   // Db::savepoint_rollbacks() when the batch began
    std::string hlc;                  // 'hlc' to save (empty: nothing)
  };
  BatchState batch;
  bool has_audit_record =
      false;  // the store's schema has audit_record (0013; a store stopped earlier has not)

  // Folds the WAL back on a thread of its own once it passes options.checkpoint_pages (FORMAT.md,
  // "Checkpoints"); made at that moment. `checkpointer_unavailable`: it could not be made (no second
  // connection), so this connection checkpoints itself.
  std::unique_ptr<BackgroundCheckpointer> checkpointer;
  bool checkpointer_unavailable = false;

  ~Impl() { Close(); }
  void Close() {
    checkpointer.reset();  // its connection holds a copy of the key: closed first
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

namespace store_internal {

inline constexpr const char* kRekeyDbSuffix = "-rekey";
inline constexpr const char* kRekeyKeySuffix = "-rekey";
std::string Join(const std::string& dir, const char* name);
std::string UriPath(const std::string& path);
DbId RandomDbId();
bool FileExists(const std::string& path);
std::string AuditEnd(int64_t seq, const std::vector<uint8_t>& hash);
// One audit_record row's hash, and the digest of a batch's records: the sum of their hashes modulo 2^256
// (little endian), so the records can be read back in any order (FORMAT.md, "Audit log").
AuditDigest AuditRecordHash(int64_t seq, int64_t n, const std::string& action, const std::string& entity,
                            const std::string& row_id, const std::string& detail);
void AddToDigest(AuditDigest& digest, const AuditDigest& record);
// A batch entry's detail: "<count> records, digest <64 hex digits>".
std::string BatchAuditDetail(int64_t count, const AuditDigest& digest);
// Appends `e` to the chain after `prev` (its hash into `*hash`) and records the chain's end in meta.
Status InsertAuditEntry(Db& db, const AuditEntry& e, const std::vector<uint8_t>& prev,
                        std::vector<uint8_t>* hash);
Status CheckSettingMutation(const Mutation& m);
Result<Db> OpenDatabase(const std::string& path, const Secret& data_key, const DbId& db_id,
                        const StoreOptions& options, bool create, std::string* key_handle);
Status ConfigureConnection(Db& db, bool fresh, bool encrypted);
Status CheckReserve(Db& db, bool encrypted);
Status RecoverInterruptedRekey(Env& env, const std::string& dir);
std::vector<std::string> ScanDatabaseFile(const std::string& path, const Secret& key, const DbId& db_id,
                                          int64_t* pages_checked);
std::string JoinProblems(const std::vector<std::string>& problems);

}  // namespace store_internal
}  // namespace berth

// The audit chain (FORMAT.md "Audit log"), settings, and Verify: what the store can prove about itself.

#include "berth/schema/store.h"

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

// ---- audit
// -------------------------------------------------------------------------------------------------

namespace store_internal {

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

}  // namespace store_internal

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

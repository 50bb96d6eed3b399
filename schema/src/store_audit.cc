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

namespace {
std::string Hex(const uint8_t* bytes, size_t n);
}  // namespace

// meta 'audit_end': "<seq>:<hash hex>" of the last audit entry.
std::string AuditEnd(int64_t seq, const std::vector<uint8_t>& hash) {
  return std::to_string(seq) + ":" + Hex(hash.data(), hash.size());
}

namespace {

std::string Hex(const uint8_t* bytes, size_t n) {
  std::string hex(n * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), bytes, n);
  hex.pop_back();
  return hex;
}

}  // namespace

AuditDigest AuditRecordHash(int64_t seq, int64_t n, const std::string& action, const std::string& entity,
                            const std::string& row_id, const std::string& detail) {
  std::string encoded;
  auto put = [&](const std::string& s) {
    encoded += std::to_string(s.size());
    encoded += ':';
    encoded += s;
  };
  put(std::to_string(seq));
  put(std::to_string(n));
  put(action);
  put(entity);
  put(row_id);
  put(detail);
  AuditDigest out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size(),
                     nullptr, 0);
  return out;
}

void AddToDigest(AuditDigest& digest, const AuditDigest& record) {
  unsigned carry = 0;
  for (size_t i = 0; i < digest.size(); ++i) {
    const unsigned sum = unsigned{digest[i]} + unsigned{record[i]} + carry;
    digest[i] = static_cast<uint8_t>(sum & 0xff);
    carry = sum >> 8;
  }
}

std::string BatchAuditDetail(int64_t count, const AuditDigest& digest) {
  return std::to_string(count) + " records, digest " + Hex(digest.data(), digest.size());
}

Status InsertAuditEntry(Db& db, const AuditEntry& e, const std::vector<uint8_t>& prev,
                        std::vector<uint8_t>* hash) {
  *hash = AuditHash(prev, e);
  BERTH_ASSIGN_OR_RETURN(Statement ins,
                         db.Cached("INSERT INTO audit (seq, at_ms, actor, device_id, action, entity,"
                                   " row_id, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)"));
  ins.Bind(1, e.seq)
      .Bind(2, e.at_ms)
      .Bind(3, e.actor)
      .Bind(4, e.device_id)
      .Bind(5, e.action)
      .Bind(6, e.entity);
  ins.Bind(7, e.row_id).Bind(8, e.detail).BindBlob(9, prev).BindBlob(10, *hash);
  BERTH_RETURN_IF_ERROR(ins.Run());
  // The chain's end, in the same transaction: removing the last entries then shows in Verify.
  BERTH_ASSIGN_OR_RETURN(Statement end, db.Cached("INSERT INTO meta (key, value) VALUES ('audit_end', ?)"
                                                  " ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
  end.Bind(1, AuditEnd(e.seq, *hash));
  return end.Run();
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
  auto head = [&](int64_t* seq, std::vector<uint8_t>* hash) -> Status {
    // Read inside the transaction: another connection may have appended before it began.
    BERTH_ASSIGN_OR_RETURN(Statement q, db.Cached("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"));
    BERTH_ASSIGN_OR_RETURN(bool has, q.Step());
    *seq = has ? q.Int(0) : 0;
    *hash = has ? q.Blob(1) : std::vector<uint8_t>(crypto_generichash_BYTES, 0);
    return Status::Ok();
  };
  if (batch.active && impl_->has_audit_record) {
    // One entry for the whole batch, written when it ends (Batch); here only the record it will name. The
    // batch's transaction holds the write lock, so the head read at its first record stays the head.
    if (!batch.audit_loaded) {
      BERTH_RETURN_IF_ERROR(head(&batch.audit_seq, &batch.audit_prev));
      ++batch.audit_seq;
      batch.audit_loaded = true;
    }
    const int64_t n = batch.records + 1;
    BERTH_ASSIGN_OR_RETURN(Statement ins,
                           db.Cached("INSERT INTO audit_record (seq, n, entity, row_id, action, detail)"
                                     " VALUES (?, ?, ?, ?, ?, ?)"));
    ins.Bind(1, batch.audit_seq).Bind(2, n).Bind(3, entity).Bind(4, row_id).Bind(5, action).Bind(6, detail);
    BERTH_RETURN_IF_ERROR(ins.Run());
    batch.records = n;
    AddToDigest(batch.digest, AuditRecordHash(batch.audit_seq, n, action, entity, row_id, detail));
    return Status::Ok();
  }
  AuditEntry e;
  std::vector<uint8_t> prev, hash;
  BERTH_RETURN_IF_ERROR(head(&e.seq, &prev));
  ++e.seq;
  e.at_ms = impl_->env->NowMs();
  e.actor = actor_;
  e.device_id = device_id_;
  e.action = action;
  e.entity = entity;
  e.row_id = row_id;
  e.detail = detail;
  BERTH_RETURN_IF_ERROR(InsertAuditEntry(db, e, prev, &hash));
  impl_->last_audit_hash = hash;
  return Status::Ok();
}

Status Store::AppendBatchAudit() {
  const Impl::BatchState& done = impl_->batch;
  if (!done.audit_loaded) return Status::Ok();
  Db& db = impl_->db;
  int64_t count = done.records;
  AuditDigest digest = done.digest;
  if (db.savepoint_rollbacks() != done.rollbacks_at_start) {
    // A caller's savepoint inside the batch rolled back: some records written are gone. Count what stayed
    // (a scan, on this rare path only: audit_record is indexed by record, not by batch).
    count = 0;
    digest = AuditDigest{};
    BERTH_ASSIGN_OR_RETURN(Statement q, db.Prepare("SELECT n, action, entity, row_id, detail FROM"
                                                   " audit_record WHERE seq = ?"));
    q.Bind(1, done.audit_seq);
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      ++count;
      AddToDigest(digest,
                  AuditRecordHash(done.audit_seq, q.Int(0), q.Text(1), q.Text(2), q.Text(3), q.Text(4)));
    }
  }
  if (count == 0) return Status::Ok();
  AuditEntry e;
  e.seq = done.audit_seq;
  e.at_ms = impl_->env->NowMs();
  e.actor = actor_;
  e.device_id = device_id_;
  e.action = kBatchAuditAction;
  e.detail = BatchAuditDetail(count, digest);
  std::vector<uint8_t> hash;
  BERTH_RETURN_IF_ERROR(InsertAuditEntry(db, e, done.audit_prev, &hash));
  impl_->last_audit_hash = hash;
  return Status::Ok();
}

Status Store::AuditView(const std::string& entity, const std::string& row_id) {
  return AppendAudit("view", entity, row_id, "");
}

Result<std::vector<AuditEntry>> Store::AuditTrail(const std::string& entity, const std::string& row_id) {
  if (locked()) return NotAuthorised("the store is locked");
  // The record's own entries, and the records of batches that name it, with their batch entry's moment,
  // actor and device; in chain order.
  const std::string sql =
      impl_->has_audit_record
          ? "SELECT seq, at_ms, actor, device_id, action, entity, row_id, detail FROM ("
            " SELECT seq, 0 AS n, at_ms, actor, device_id, action, entity, row_id, detail FROM audit"
            " WHERE entity = ?1 AND row_id = ?2"
            " UNION ALL SELECT r.seq, r.n, a.at_ms, a.actor, a.device_id, r.action, r.entity, r.row_id,"
            " r.detail FROM audit_record r JOIN audit a ON a.seq = r.seq WHERE r.entity = ?1 AND r.row_id = "
            "?2)"
            " ORDER BY seq, n"
          : "SELECT seq, at_ms, actor, device_id, action, entity, row_id, detail FROM audit"
            " WHERE entity = ?1 AND row_id = ?2 ORDER BY seq";
  BERTH_ASSIGN_OR_RETURN(Statement q, impl_->db.Prepare(sql));
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
  // 4. The audit chain, and the records each batch entry names: their count and digest, recomputed from
  //    audit_record in one pass (in the order written; the digest does not depend on order).
  if (report.problems.empty()) {
    struct Named {
      int64_t count = 0;
      AuditDigest digest{};
    };
    std::map<int64_t, Named> named;
    if (impl_->has_audit_record) {
      BERTH_ASSIGN_OR_RETURN(Statement r,
                             db.Prepare("SELECT seq, n, action, entity, row_id, detail FROM audit_record"));
      while (true) {
        auto row = r.Step();
        if (!row.ok()) {
          report.problems.push_back(impl_->Explain(row.status()).message());
          break;
        }
        if (!*row) break;
        Named& b = named[r.Int(0)];
        ++b.count;
        AddToDigest(b.digest,
                    AuditRecordHash(r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5)));
      }
    }
    BERTH_ASSIGN_OR_RETURN(Statement q,
                           db.Prepare("SELECT seq, at_ms, actor, device_id, action, entity, row_id, detail,"
                                      " prev_hash, hash FROM audit ORDER BY seq"));
    std::vector<uint8_t> prev(crypto_generichash_BYTES, 0);
    int64_t expected_seq = 1;
    while (report.problems.empty()) {
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
      if (e.action == kBatchAuditAction && e.entity.empty()) {
        auto it = named.find(e.seq);
        const Named found = it == named.end() ? Named{} : it->second;
        if (it != named.end()) named.erase(it);
        if (BatchAuditDetail(found.count, found.digest) != e.detail) {
          report.problems.push_back("audit entry " + std::to_string(e.seq) +
                                    " (a batch: " + e.detail.substr(0, e.detail.find(',')) +
                                    ") does not match the " + std::to_string(found.count) +
                                    " records it names: records were edited, added or removed");
          break;
        }
      }
      prev = q.Blob(9);
      ++expected_seq;
      ++report.audit_entries_checked;
    }
    if (report.problems.empty() && !named.empty()) {
      report.problems.push_back(std::to_string(named.begin()->second.count) + " audit records name entry " +
                                std::to_string(named.begin()->first) + ", which is not a batch entry");
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

// SqliteHubStorage: the hub's state in its own encrypted berth::Store. Push arbitration (claims, scope,
// LWW) and the change log live here; see sync/PROTOCOL.md sections 5-7 and 10.
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <tuple>

#include "berth/schema/ids.h"
#include "berth/schema/occupancy.h"
#include "berth/schema/settings.h"
#include "berth/sync/hub_storage.h"
#include "berth/sync/version.h"
#include "rows.h"

namespace berth::sync {

namespace {

constexpr int64_t kMaxSkewMs = 5 * 60 * 1000;
constexpr std::string_view kStateTable = "hub_state";

std::vector<std::string> SplitScope(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s + ",") {
    if (c == ',') {
      while (!cur.empty() && cur.back() == ' ') cur.pop_back();
      size_t b = cur.find_first_not_of(' ');
      if (b != std::string::npos) out.push_back(cur.substr(b));
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

std::string HexOf(const Bytes& b) {
  std::string hex(b.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), b.data(), b.size());
  hex.pop_back();
  return hex;
}

std::string JoinScope(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : ",") + a;
  return s;
}

// Rows that belong to one referral (named by their referral_id): they take its area (PROTOCOL.md
// section 6) and reach only the devices that may see it.
bool IsReferralChild(const std::string& e) {
  return e == "offer" || e == "placement" || e == "handback" || e == "referral_date_change" ||
         e == "referral_note";
}

bool IsSupply(const std::string& e) {
  return e == "provider" || e == "provider_admissions" || e == "bed" || e == "homecare_capacity" ||
         e == "setting";
}

std::string Str(const std::map<std::string, Value>& row, const std::string& k) {
  auto it = row.find(k);
  if (it == row.end()) return "";
  return internal::ValueText(it->second);
}

std::string IsoNow(int64_t now_ms) {
  const time_t t = static_cast<time_t>(now_ms / 1000);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct Rejection {
  std::string code;
  std::string reason;
};

class SqliteHubStorage final : public HubStorage {
 public:
  explicit SqliteHubStorage(std::unique_ptr<Store> store) : store_(std::move(store)) {
    (void)schema_.Load(store_->db());
    // Every page read through the encrypting VFS is authenticated and decrypted: a large page cache keeps
    // the hot B-tree pages of the change log and the row tables decrypted in memory.
    (void)store_->db().Exec("PRAGMA cache_size = -131072");
    open_status_ = UseHubIndexes();
    if (open_status_.ok()) open_status_ = GiveWildcardRowsRealAreas();
  }

  Result<KeyPairs> HubKeys() override {
    std::lock_guard<std::mutex> lock(mu_);
    BERTH_RETURN_IF_ERROR(open_status_);
    BERTH_ASSIGN_OR_RETURN(Bytes blob, GetState("hub_secret_keys"));
    return KeyPairs::FromSecretBlob(blob);
  }

  Status AddCode(const Bytes& code_id, const Bytes& verifier, const std::string& name,
                 const std::string& role, const std::string& scope, int64_t expires_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db().Cached("INSERT INTO hub_code (code_id, name, role, scope, created_ms,"
                                       " expires_ms, verifier) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    s.BindBlob(1, code_id).Bind(2, name).Bind(3, role).Bind(4, scope).Bind(5, store_->env().NowMs());
    s.Bind(6, expires_ms).BindBlob(7, verifier);
    return s.Run();
  }

  Result<Bytes> CodeVerifier(const Bytes& code_id, int64_t now_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    BERTH_ASSIGN_OR_RETURN(
        Statement s, db().Cached("SELECT verifier, expires_ms, used_by FROM hub_code WHERE code_id = ?"));
    s.BindBlob(1, code_id);
    BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
    if (!found) return NotAuthorised("bad_code");
    Bytes verifier = s.Blob(0);
    const int64_t expires = s.Int(1);
    const std::string used = s.Text(2);
    if (!used.empty() || expires < now_ms || verifier.size() != 32) return NotAuthorised("bad_code");
    return verifier;
  }

  Result<std::vector<CodeRecord>> ListCodes() override {
    std::lock_guard<std::mutex> lock(mu_);
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db().Cached("SELECT code_id, name, role, scope, created_ms, expires_ms"
                                       " FROM hub_code WHERE used_by = '' ORDER BY created_ms DESC"));
    std::vector<CodeRecord> out;
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
      if (!r) break;
      const Bytes id = s.Blob(0);
      CodeRecord c;
      c.id = HexOf(id);
      c.name = s.Text(1);
      c.role = s.Text(2);
      c.scope = s.Text(3);
      c.created_ms = s.Int(4);
      c.expires_ms = s.Int(5);
      out.push_back(std::move(c));
    }
    return out;
  }

  Status CancelCode(const std::string& id_prefix) override {
    if (id_prefix.size() < 4) return UsageError("give at least 4 hex digits of the code's id");
    BERTH_ASSIGN_OR_RETURN(auto codes, ListCodes());
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> matches;
    for (const auto& c : codes) {
      if (c.id.rfind(id_prefix, 0) == 0) matches.push_back(c.id);
    }
    if (matches.empty()) return NotFound("no unused code with an id starting " + id_prefix);
    if (matches.size() > 1)
      return UsageError("more than one code's id starts " + id_prefix + ": give more digits");
    Bytes id(matches[0].size() / 2);
    sodium_hex2bin(id.data(), id.size(), matches[0].c_str(), matches[0].size(), nullptr, nullptr, nullptr);
    // Cancelled like a used code: its id stays (so it can never be added again), its verifier goes.
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db().Cached("UPDATE hub_code SET used_by = 'cancelled', verifier = x''"
                                       " WHERE code_id = ? AND used_by = ''"));
    s.BindBlob(1, id);
    return s.Run();
  }

  Result<DeviceRecord> EnrollDevice(const Bytes& code_id, const std::string& device_id, const Bytes& sign_pk,
                                    const Bytes& kx_pk, int64_t now_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    DeviceRecord rec;
    Status st = store_->db().Transaction([&]() -> Status {
      BERTH_ASSIGN_OR_RETURN(Statement s,
                             db().Cached("SELECT name, role, scope, used_by, expires_ms FROM hub_code"
                                         " WHERE code_id = ?"));
      s.BindBlob(1, code_id);
      BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
      if (!found) return NotAuthorised("bad_code");
      rec.name = s.Text(0);
      rec.role = s.Text(1);
      rec.scope = SplitScope(s.Text(2));
      const bool used = !s.Text(3).empty();
      const int64_t expires = s.Int(4);
      s.Reset();
      if (used || expires < now_ms) return NotAuthorised("bad_code");
      if (!IsUuid(device_id)) return BadInput("the device id is not a UUID");
      BERTH_ASSIGN_OR_RETURN(Statement exists,
                             db().Cached("SELECT count(*) FROM hub_device WHERE device_id = ?"));
      exists.Bind(1, device_id);
      BERTH_ASSIGN_OR_RETURN(bool r, exists.Step());
      const int64_t n = r ? exists.Int(0) : 0;
      exists.Reset();
      if (n != 0) return ConflictError("this device is already enrolled");
      // The code is used: keep its id (so it cannot be used again), wipe its verifier.
      BERTH_ASSIGN_OR_RETURN(Statement use,
                             db().Cached("UPDATE hub_code SET used_by = ?, verifier = ? WHERE code_id = ?"));
      const uint8_t zero = 0;
      use.Bind(1, device_id).BindBlob(2, std::span<const uint8_t>(&zero, 0)).BindBlob(3, code_id);
      BERTH_RETURN_IF_ERROR(use.Run());
      BERTH_ASSIGN_OR_RETURN(Statement ins,
                             db().Cached("INSERT INTO hub_device (device_id, name, role, scope, sign_pk,"
                                         " kx_pk, enrolled_ms) VALUES (?, ?, ?, ?, ?, ?, ?)"));
      ins.Bind(1, device_id).Bind(2, rec.name).Bind(3, rec.role).Bind(4, JoinScope(rec.scope));
      ins.BindBlob(5, sign_pk).BindBlob(6, kx_pk).Bind(7, now_ms);
      return ins.Run();
    });
    if (!st.ok()) return st;
    rec.device_id = device_id;
    rec.sign_pk = sign_pk;
    rec.kx_pk = kx_pk;
    rec.enrolled_ms = now_ms;
    return rec;
  }

  Result<DeviceRecord> GetDevice(const std::string& device_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    return GetDeviceLocked(device_id);
  }

  Result<std::vector<DeviceRecord>> ListDevices() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> ids;
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db().Cached("SELECT device_id FROM hub_device ORDER BY enrolled_ms, device_id"));
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
      if (!r) break;
      ids.push_back(s.Text(0));
    }
    std::vector<DeviceRecord> out;
    for (const auto& id : ids) {
      BERTH_ASSIGN_OR_RETURN(DeviceRecord d, GetDeviceLocked(id));
      out.push_back(std::move(d));
    }
    return out;
  }

  Status Revoke(const std::string& device_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    BERTH_ASSIGN_OR_RETURN(Statement s, db().Cached("UPDATE hub_device SET revoked = 1 WHERE device_id = ?"));
    s.Bind(1, device_id);
    BERTH_RETURN_IF_ERROR(s.Run());
    if (db().Changes() == 0) return NotFound("no enrolled device " + device_id);
    return Status::Ok();
  }

  Status AdvanceCounter(const std::string& device_id, uint64_t counter, int64_t now_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    BERTH_ASSIGN_OR_RETURN(Statement s, db().Cached("UPDATE hub_device SET last_counter = ?, last_seen_ms = ?"
                                                    " WHERE device_id = ? AND last_counter < ?"));
    s.Bind(1, static_cast<int64_t>(counter))
        .Bind(2, now_ms)
        .Bind(3, device_id)
        .Bind(4, static_cast<int64_t>(counter));
    BERTH_RETURN_IF_ERROR(s.Run());
    if (db().Changes() == 0) return NotAuthorised("replay");
    return Status::Ok();
  }

  Status SetCourierKey(const std::string& device_id, const Bytes& sign_pk, const Bytes& kx_pk,
                       int64_t now_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    return store_->db().Transaction([&]() -> Status {
      BERTH_ASSIGN_OR_RETURN(Statement del, db().Cached("DELETE FROM hub_courier WHERE device_id = ?"));
      del.Bind(1, device_id);
      BERTH_RETURN_IF_ERROR(del.Run());
      BERTH_ASSIGN_OR_RETURN(Statement ins, db().Cached("INSERT INTO hub_courier (device_id, sign_pk, kx_pk,"
                                                        " registered_ms) VALUES (?, ?, ?, ?)"));
      ins.Bind(1, device_id).BindBlob(2, sign_pk);
      ins.BindBlob(3, kx_pk).Bind(4, now_ms);
      return ins.Run();
    });
  }

  Result<CourierRecord> GetCourier(const std::string& device_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    BERTH_ASSIGN_OR_RETURN(Statement s, db().Cached("SELECT sign_pk, kx_pk, registered_ms, last_counter"
                                                    " FROM hub_courier WHERE device_id = ?"));
    s.Bind(1, device_id);
    BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
    if (!found) return NotFound("unknown_courier");
    CourierRecord c;
    c.device_id = device_id;
    c.sign_pk = s.Blob(0);
    c.kx_pk = s.Blob(1);
    c.registered_ms = s.Int(2);
    c.last_counter = static_cast<uint64_t>(s.Int(3));
    return c;
  }

  Status AdvanceCourierCounter(const std::string& device_id, const Bytes& sign_pk,
                               uint64_t counter) override {
    std::lock_guard<std::mutex> lock(mu_);
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db().Cached("UPDATE hub_courier SET last_counter = ? WHERE device_id = ?"
                                       " AND sign_pk = ? AND last_counter < ?"));
    s.Bind(1, static_cast<int64_t>(counter)).Bind(2, device_id).BindBlob(3, sign_pk);
    s.Bind(4, static_cast<int64_t>(counter));
    BERTH_RETURN_IF_ERROR(s.Run());
    if (db().Changes() == 0) return NotAuthorised("replay");
    return Status::Ok();
  }

  Result<PushResponse> Push(const DeviceRecord& device, const PushRequest& request, int64_t now_ms,
                            PushStats* stats) override {
    std::lock_guard<std::mutex> lock(mu_);
    PushResponse resp;
    std::vector<size_t> rejected_results;
    std::vector<const Mutation*> rejected_mutations;
    Status st = store_->db().Transaction([&]() -> Status {
      resp = PushResponse{};
      parent_areas_.clear();
      rejected_results.clear();
      rejected_mutations.clear();
      *stats = PushStats{};
      BERTH_ASSIGN_OR_RETURN(DeviceRecord fresh, GetDeviceLocked(device.device_id));
      uint64_t acked = fresh.acked_seq;
      uint64_t prev = 0;
      // Rows a lost claim named: later entries of this push that touch them are lost with it.
      std::map<std::pair<std::string, std::string>, std::string> poisoned;
      const std::string iso_now = IsoNow(now_ms);
      for (const OutboxEntry& e : request.entries) {
        if (e.seq <= prev) return BadInput("push entries are not in ascending seq order");
        prev = e.seq;
        MutationResult r;
        r.seq = e.seq;
        if (e.seq <= acked) {
          BERTH_ASSIGN_OR_RETURN(Statement s, db().Cached("SELECT reason_code, reason FROM hub_rejection"
                                                          " WHERE device_id = ? AND seq = ?"));
          s.Bind(1, device.device_id).Bind(2, static_cast<int64_t>(e.seq));
          BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
          if (found) {
            r.outcome = static_cast<uint8_t>(Outcome::kRejected);
            r.reason_code = s.Text(0);
            r.reason = s.Text(1);
            rejected_results.push_back(resp.results.size());
            rejected_mutations.push_back(&e.mutation);
          } else {
            r.outcome = static_cast<uint8_t>(Outcome::kDuplicate);
          }
          stats->duplicates++;
          resp.results.push_back(std::move(r));
          continue;
        }
        std::optional<Rejection> rej;
        BERTH_RETURN_IF_ERROR(Arbitrate(fresh, e.mutation, now_ms, iso_now, request.cursor, poisoned, &rej));
        if (rej) {
          r.outcome = static_cast<uint8_t>(Outcome::kRejected);
          r.reason_code = rej->code;
          r.reason = rej->reason;
          BERTH_ASSIGN_OR_RETURN(Statement ins,
                                 db().Cached("INSERT INTO hub_rejection (device_id, seq, mutation_id,"
                                             " reason_code, reason) VALUES (?, ?, ?, ?, ?)"));
          ins.Bind(1, device.device_id).Bind(2, static_cast<int64_t>(e.seq)).Bind(3, e.mutation.mutation_id);
          ins.Bind(4, rej->code).Bind(5, rej->reason);
          BERTH_RETURN_IF_ERROR(ins.Run());
          rejected_results.push_back(resp.results.size());
          rejected_mutations.push_back(&e.mutation);
          stats->rejected++;
          if (e.mutation.kind == MutationKind::kClaim || e.mutation.entity == "bed" ||
              e.mutation.entity == "placement") {
            const std::string source = rej->code == "claim_lost"
                                           ? poisoned[{e.mutation.entity, e.mutation.row_id}]
                                           : e.mutation.mutation_id;
            for (const auto& key : NamedRows(e.mutation)) poisoned.emplace(key, source);
          }
        } else {
          r.outcome = static_cast<uint8_t>(Outcome::kApplied);
          stats->applied++;
        }
        acked = e.seq;
        resp.results.push_back(std::move(r));
      }
      BERTH_ASSIGN_OR_RETURN(Statement upd,
                             db().Cached("UPDATE hub_device SET acked_seq = ?, last_seen_ms = ?"
                                         " WHERE device_id = ?"));
      upd.Bind(1, static_cast<int64_t>(acked)).Bind(2, now_ms).Bind(3, device.device_id);
      BERTH_RETURN_IF_ERROR(upd.Run());
      resp.acked_through = acked;
      // The authoritative state of every row a rejected mutation touched or named, in scope only.
      for (size_t k = 0; k < rejected_results.size(); ++k) {
        const Mutation& m = *rejected_mutations[k];
        auto& out = resp.results[rejected_results[k]].authoritative;
        std::set<std::pair<std::string, std::string>> rows = {{m.entity, m.row_id}};
        for (const auto& key : NamedRows(m)) rows.insert(key);
        for (const auto& [entity, row_id] : rows) {
          if (schema_.Columns(entity) == nullptr || row_id.empty()) continue;
          BERTH_ASSIGN_OR_RETURN(RowState rs, internal::ReadRowState(db(), schema_, entity, row_id));
          if (!rs.absent) {
            BERTH_ASSIGN_OR_RETURN(bool visible, Visible(fresh, entity, row_id));
            if (!visible) {
              rs = RowState{};
              rs.entity = entity;
              rs.row_id = row_id;
              rs.absent = 1;
            }
          }
          out.push_back(std::move(rs));
        }
      }
      return Status::Ok();
    });
    if (!st.ok()) return st;
    return resp;
  }

  Result<PullResponse> Pull(const DeviceRecord& device, const PullRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    PullResponse resp;
    BERTH_ASSIGN_OR_RETURN(Bytes horizon_blob, GetStateOr("horizon", {}));
    uint64_t horizon = 0;
    if (horizon_blob.size() == 8) std::memcpy(&horizon, horizon_blob.data(), 8);
    resp.horizon = horizon;
    if (!request.snapshot && request.cursor > 0 && request.cursor < horizon) {
      resp.snapshot_required = 1;
      resp.next_cursor = request.cursor;
      return resp;
    }
    const uint32_t limit = std::clamp<uint32_t>(request.max_rows == 0 ? 5000 : request.max_rows, 1, 20000);
    // The change log is walked in seq order from the cursor and the walk stops at the page's last row:
    // nothing here can use an index on entity or area (a hub store has none, section 10), with which
    // SQLite collected and sorted every later change in scope for each page (quadratic over a first
    // sync). Entities the role may not read are skipped below; a page may then hold fewer rows.
    std::string sql = "SELECT seq, entity, row_id FROM hub_change WHERE seq > ?";
    // A snapshot carries the tombstones the hub still holds: the device then equals the hub, and a later
    // echo-suppressed change of such a row (section 5) cannot leave the device with a live copy of it.
    if (!request.snapshot) sql += " AND NOT (writer = ? AND echo_ok = 1)";
    const bool all = std::find(device.scope.begin(), device.scope.end(), "*") != device.scope.end();
    if (!all) {
      sql += " AND ((area = '*' AND entity = 'setting')";
      for (size_t i = 0; i < device.scope.size(); ++i) sql += " OR area = ?";
      sql += ")";
    }
    sql += " ORDER BY seq LIMIT ?";
    BERTH_ASSIGN_OR_RETURN(Statement s, db().Cached(sql));
    int i = 1;
    s.Bind(i++, static_cast<int64_t>(request.cursor));
    if (!request.snapshot) s.Bind(i++, device.device_id);
    if (!all) {
      for (const auto& a : device.scope) s.Bind(i++, a);
    }
    s.Bind(i, static_cast<int64_t>(limit));
    // One read transaction for the page: a consistent page, and one WAL snapshot instead of one per query.
    Status read = store_->db().Transaction([&]() -> Status {
      std::vector<std::tuple<uint64_t, std::string, std::string>> hits;
      while (true) {
        BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
        if (!r) break;
        hits.emplace_back(static_cast<uint64_t>(s.Int(0)), s.Text(1), s.Text(2));
      }
      resp.rows.reserve(hits.size());
      for (const auto& [seq, entity, row_id] : hits) {
        if (!RoleMayRead(device.role, entity)) continue;
        BERTH_ASSIGN_OR_RETURN(RowState rs, internal::ReadRowState(db(), schema_, entity, row_id));
        if (!rs.absent) resp.rows.push_back(std::move(rs));
      }
      if (hits.size() == limit) {
        resp.next_cursor = std::get<0>(hits.back());
        resp.more = 1;
        return Status::Ok();
      }
      BERTH_ASSIGN_OR_RETURN(Statement mx, db().Cached("SELECT coalesce(max(seq), 0) FROM hub_change"));
      BERTH_ASSIGN_OR_RETURN(bool r, mx.Step());
      // The purged changes are gone from hub_change, but a device that has seen everything is past them.
      resp.next_cursor =
          std::max<uint64_t>({request.cursor, horizon, r ? static_cast<uint64_t>(mx.Int(0)) : 0});
      resp.more = 0;
      return Status::Ok();
    });
    if (!read.ok()) return read;
    return resp;
  }

  Result<int64_t> PurgeTombstones(int64_t before_ms) override {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t purged = 0;
    Status st = store_->db().Transaction([&]() -> Status {
      std::vector<std::tuple<int64_t, std::string, std::string>> rows;
      BERTH_ASSIGN_OR_RETURN(Statement s,
                             db().Cached("SELECT seq, entity, row_id FROM hub_change WHERE deleted = 1"
                                         " AND changed_ms < ?"));
      s.Bind(1, before_ms);
      while (true) {
        BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
        if (!r) break;
        rows.emplace_back(s.Int(0), s.Text(1), s.Text(2));
      }
      BERTH_ASSIGN_OR_RETURN(Bytes hb, GetStateOr("horizon", {}));
      uint64_t horizon = 0;
      if (hb.size() == 8) std::memcpy(&horizon, hb.data(), 8);
      for (const auto& [seq, entity, row_id] : rows) {
        if (schema_.Columns(entity) == nullptr) continue;
        BERTH_ASSIGN_OR_RETURN(Statement d1, db().Cached("DELETE FROM \"" + entity + "\" WHERE id = ?"));
        d1.Bind(1, row_id);
        BERTH_RETURN_IF_ERROR(d1.Run());
        BERTH_ASSIGN_OR_RETURN(Statement d2,
                               db().Cached("DELETE FROM field_clock WHERE entity = ? AND row_id = ?"));
        d2.Bind(1, entity).Bind(2, row_id);
        BERTH_RETURN_IF_ERROR(d2.Run());
        BERTH_ASSIGN_OR_RETURN(Statement d3, db().Cached("DELETE FROM hub_change WHERE seq = ?"));
        d3.Bind(1, seq);
        BERTH_RETURN_IF_ERROR(d3.Run());
        horizon = std::max<uint64_t>(horizon, static_cast<uint64_t>(seq));
        ++purged;
      }
      Bytes out(8);
      std::memcpy(out.data(), &horizon, 8);
      return PutState("horizon", out);
    });
    if (!st.ok()) return st;
    return purged;
  }

 private:
  // The hub arbitrates and serves changes; it never runs the matching queries the devices' indexes are
  // for. A hub store keeps only the indexes its own queries use (PROTOCOL.md section 10): each other one
  // would cost every pushed row of its table an index insert (a quarter of the hub's time per new bed).
  Status UseHubIndexes() {
    static const std::set<std::string> kHubIndexes = {"placement_by_bed", "hub_placement_by_capacity",
                                                      "hub_change_by_row"};
    return store_->db().Transaction([&]() -> Status {
      std::vector<std::string> drop;
      {
        BERTH_ASSIGN_OR_RETURN(Statement s,
                               store_->db().Prepare("SELECT name, tbl_name FROM sqlite_master"
                                                    " WHERE type = 'index' AND sql IS NOT NULL"));
        while (true) {
          BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
          if (!r) break;
          const std::string table = s.Text(1);
          if ((schema_.Columns(table) != nullptr || table == "hub_change") && !kHubIndexes.count(s.Text(0))) {
            drop.push_back(s.Text(0));
          }
        }
      }
      for (const auto& name : drop) BERTH_RETURN_IF_ERROR(store_->db().Exec("DROP INDEX \"" + name + "\""));
      // CapacityOver sums a capacity's placements on every homecare claim.
      return store_->db().Exec(
          "CREATE INDEX IF NOT EXISTS hub_placement_by_capacity ON placement (homecare_capacity_id)");
    });
  }

  // Before areas were enforced, a row pushed by a county-wide device (scope "*") took "*" as its area, and
  // "*" rows went to every device. On every start each such row (settings aside) gets the area its own
  // fields give (a provider's district or council, a referral's district), or its parent's (a bed's
  // provider, an offer's referral), or none (""), which only county-wide devices see. Idempotent.
  Status GiveWildcardRowsRealAreas() {
    return store_->db().Transaction([&]() -> Status {
      std::vector<std::pair<std::string, std::string>> rows;
      {
        BERTH_ASSIGN_OR_RETURN(Statement s,
                               store_->db().Prepare("SELECT entity, row_id FROM hub_change WHERE area = '*'"
                                                    " AND entity <> 'setting'"));
        while (true) {
          BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
          if (!r) break;
          rows.emplace_back(s.Text(0), s.Text(1));
        }
      }
      if (rows.empty()) return Status::Ok();
      // Parents first: a child's area comes from its provider's or referral's.
      auto rank = [](const std::string& e) { return e == "provider" || e == "referral" ? 0 : 1; };
      std::stable_sort(rows.begin(), rows.end(),
                       [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
      for (const auto& [entity, row_id] : rows) {
        std::string area;
        if (schema_.Columns(entity) != nullptr) {
          BERTH_ASSIGN_OR_RETURN(auto row, internal::ReadRowValues(db(), schema_, entity, row_id));
          if (entity == "provider") {
            area = Str(row, "district");
            if (area.empty() || area == "*") area = Str(row, "local_authority");
          } else if (entity == "referral") {
            area = Str(row, "district");
          } else if (entity == "bed" || entity == "homecare_capacity" || entity == "provider_admissions") {
            BERTH_ASSIGN_OR_RETURN(area, StoredArea("provider", Str(row, "provider_id")));
          } else if (IsReferralChild(entity)) {
            BERTH_ASSIGN_OR_RETURN(area, StoredArea("referral", Str(row, "referral_id")));
          }
        }
        if (area == "*") area.clear();
        BERTH_ASSIGN_OR_RETURN(Statement upd,
                               db().Cached("UPDATE hub_change SET area = ? WHERE entity = ? AND row_id = ?"));
        upd.Bind(1, area).Bind(2, entity).Bind(3, row_id);
        BERTH_RETURN_IF_ERROR(upd.Run());
      }
      std::fprintf(stderr, "berth-hub: %zu rows stored with area '*' given real areas\n", rows.size());
      return Status::Ok();
    });
  }

  // --- small helpers ---------------------------------------------------------------------------------
  Db& db() { return store_->db(); }

  Result<Bytes> GetState(const std::string& key) {
    BERTH_ASSIGN_OR_RETURN(std::optional<Bytes> value, internal::GetStateValue(db(), kStateTable, key));
    if (!value) return NotFound("this store is not a hub store (run berth-hub init)");
    return std::move(*value);
  }
  Result<Bytes> GetStateOr(const std::string& key, Bytes fallback) {
    auto r = GetState(key);
    if (!r.ok() && r.status().code() == Code::kNotFound) return fallback;
    return r;
  }
  Status PutState(const std::string& key, const Bytes& value) {
    return internal::PutStateValue(db(), kStateTable, key, value);
  }

  Result<DeviceRecord> GetDeviceLocked(const std::string& device_id) {
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db().Cached("SELECT name, role, scope, sign_pk, kx_pk, enrolled_ms, revoked,"
                                       " last_counter, acked_seq, last_seen_ms FROM hub_device"
                                       " WHERE device_id = ?"));
    s.Bind(1, device_id);
    BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
    if (!found) return NotFound("unknown_device");
    DeviceRecord d;
    d.device_id = device_id;
    d.name = s.Text(0);
    d.role = s.Text(1);
    d.scope = SplitScope(s.Text(2));
    d.sign_pk = s.Blob(3);
    d.kx_pk = s.Blob(4);
    d.enrolled_ms = s.Int(5);
    d.revoked = s.Int(6) != 0;
    d.last_counter = static_cast<uint64_t>(s.Int(7));
    d.acked_seq = static_cast<uint64_t>(s.Int(8));
    d.last_seen_ms = s.Int(9);
    return d;
  }

  Result<std::string> StoredArea(const std::string& entity, const std::string& row_id) {
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db().Cached("SELECT area FROM hub_change WHERE entity = ? AND row_id = ?"));
    s.Bind(1, entity).Bind(2, row_id);
    BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
    std::string area = found ? s.Text(0) : std::string();
    return area;
  }

  // Where a device's rows go when they name no area of their own: the first area of its scope. A
  // county-wide device (scope "*") has none, so its rows must name one ("" here).
  static std::string HomeArea(const DeviceRecord& d) {
    return d.scope.empty() || d.scope.front() == "*" ? std::string() : d.scope.front();
  }

  // The area a row belongs to (PROTOCOL.md section 6), from its merged fields and the area the hub's
  // change log already records for it (`stored`, or empty). Only settings are everyone's ("*"); any other
  // row's area is a real district or council, never "*" (a data value is never a wildcard). "" means the
  // row names none and the device has no home area to lend it: Arbitrate refuses it (no_area).
  Result<std::string> AreaFor(const DeviceRecord& dev, const std::string& entity,
                              const std::map<std::string, Value>& merged, const std::string& stored) {
    if (entity == "setting") return std::string("*");
    if (entity == "provider") {
      std::string a = Str(merged, "district");
      if (a.empty()) a = Str(merged, "local_authority");
      return a.empty() ? HomeArea(dev) : a;
    }
    if (entity == "referral") {
      // Where the person is (their hospital site or postcode; app/core fills it): a referral made on a
      // county-wide device reaches that district's devices only.
      if (std::string d = Str(merged, "district"); !d.empty()) return d;
    }
    if (!stored.empty()) return stored;
    std::string parent_entity, parent_id;
    if (entity == "bed" || entity == "homecare_capacity" || entity == "provider_admissions") {
      parent_entity = "provider";
      parent_id = Str(merged, "provider_id");
    } else if (IsReferralChild(entity)) {
      parent_entity = "referral";
      parent_id = Str(merged, "referral_id");
    }
    if (!parent_id.empty()) {
      // The beds of one home usually arrive in one batch: their provider's area is read once.
      auto key = std::make_pair(parent_entity, parent_id);
      auto it = parent_areas_.find(key);
      if (it == parent_areas_.end()) {
        BERTH_ASSIGN_OR_RETURN(std::string a, StoredArea(parent_entity, parent_id));
        it = parent_areas_.emplace(std::move(key), std::move(a)).first;
      }
      if (!it->second.empty()) return it->second;
    }
    return HomeArea(dev);
  }

  // Settings reach everyone; any other row only devices whose scope names its area (or "*", all areas).
  // A row with no area ("" : one stored before areas were enforced whose area could not be worked out)
  // reaches county-wide devices only.
  static bool InScope(const DeviceRecord& d, const std::string& entity, const std::string& area) {
    if (entity == "setting") return true;
    for (const auto& a : d.scope) {
      if (a == "*" || (a == area && !area.empty())) return true;
    }
    return false;
  }

  Result<bool> Visible(const DeviceRecord& d, const std::string& entity, const std::string& row_id) {
    if (!RoleMayRead(d.role, entity)) return false;
    BERTH_ASSIGN_OR_RETURN(std::string area, StoredArea(entity, row_id));
    return InScope(d, entity, area);
  }

  // The rows a mutation names besides itself: the referral and the bed or capacity it claims.
  static std::vector<std::pair<std::string, std::string>> NamedRows(const Mutation& m) {
    std::vector<std::pair<std::string, std::string>> out;
    out.emplace_back(m.entity, m.row_id);
    auto field = [&](const char* name) -> std::string {
      auto it = m.fields.find(name);
      return it == m.fields.end() ? std::string() : internal::ValueText(it->second);
    };
    if (m.entity == "bed") {
      if (auto r = field("held_for_referral_id"); !r.empty()) out.emplace_back("referral", r);
    }
    if (m.entity == "placement" || m.entity == "offer") {
      if (auto r = field("referral_id"); !r.empty()) out.emplace_back("referral", r);
      if (auto b = field("bed_id"); !b.empty()) out.emplace_back("bed", b);
      if (auto c = field("homecare_capacity_id"); !c.empty()) out.emplace_back("homecare_capacity", c);
    }
    return out;
  }

  // Decides one entry; applies it unless rejected. Errors are real failures that abort the batch.
  Status Arbitrate(const DeviceRecord& dev, const Mutation& m, int64_t now_ms, const std::string& iso_now,
                   uint64_t device_cursor,
                   std::map<std::pair<std::string, std::string>, std::string>& poisoned,
                   std::optional<Rejection>* rej) {
    auto reject = [&](std::string code, std::string reason) {
      *rej = Rejection{std::move(code), std::move(reason)};
      return Status::Ok();
    };
    const auto* cols = schema_.Columns(m.entity);
    if (cols == nullptr) return reject("bad_mutation", "not a table that syncs");
    if (m.origin_device != dev.device_id)
      return reject("bad_mutation", "the origin is not the pushing device");
    if (!IsUuid(m.row_id) && m.entity != "setting" && m.entity != "provider_admissions") {
      return reject("bad_mutation", "the row id is not a UUID");
    }
    if (m.row_id.empty() || m.mutation_id.empty()) return reject("bad_mutation", "missing ids");
    auto hlc = Hlc::Parse(m.hlc);
    if (!hlc.ok()) return reject("bad_mutation", "unreadable clock");
    if (hlc->wall_ms > now_ms + kMaxSkewMs) {
      return reject("clock_skew", "the change is stamped more than 5 minutes ahead of the hub's clock");
    }
    for (const auto& kv : m.fields) {
      if (kv.first == "id" || kv.first == "hlc" || kv.first == "origin" ||
          std::find(cols->begin(), cols->end(), kv.first) == cols->end()) {
        return reject("bad_mutation", "unknown field");
      }
    }
    if (!RoleMayWrite(dev.role, m.entity))
      return reject("not_permitted", "this device's role may not change " + m.entity);
    if (m.entity == "setting") {
      // Settings have a schema (berth/schema/settings.h): only known, synced keys, in range, by a role
      // that may change them for the whole council.
      const SettingSpec* spec = FindSetting(m.row_id);
      if (spec == nullptr) return reject("bad_setting", "not a setting Berth knows");
      if (!spec->syncs) return reject("bad_setting", spec->key + " is a preference kept on each device");
      if (spec->editor != SettingEditor::kBroker || dev.role != "broker")
        return reject("not_permitted", "this device's role may not change " + spec->key);
      if (m.kind != MutationKind::kDelete) {
        auto it = m.fields.find("value");
        const auto* text = it == m.fields.end() ? nullptr : std::get_if<std::string>(&it->second);
        if (text == nullptr) return reject("bad_setting", spec->key + " needs a text value");
        if (Status valid = ValidateSetting(spec->key, *text); !valid.ok()) {
          return reject("bad_setting", valid.message());
        }
      }
    }
    // The row's entry in the change log, read once: its area, and who wrote it last (echo suppression).
    BERTH_ASSIGN_OR_RETURN(Statement prior, db().Cached("SELECT seq, writer, echo_ok, area FROM hub_change"
                                                        " WHERE entity = ? AND row_id = ?"));
    prior.Bind(1, m.entity).Bind(2, m.row_id);
    BERTH_ASSIGN_OR_RETURN(const bool logged, prior.Step());
    const uint64_t prior_seq = logged ? static_cast<uint64_t>(prior.Int(0)) : 0;
    const bool prior_echo_free = logged && prior.Text(1) == dev.device_id && prior.Int(2) == 1;
    const std::string stored_area = logged ? prior.Text(3) : std::string();
    prior.Reset();
    // Every row the hub holds has a change-log entry (section 10): a row with none is new, unread.
    std::map<std::string, Value> current;
    if (logged) {
      BERTH_ASSIGN_OR_RETURN(current, internal::ReadRowValues(db(), schema_, m.entity, m.row_id));
    }
    if (!poisoned.empty()) {
      auto named = NamedRows(m);
      // An offer or placement update that does not repeat its referral still belongs to it.
      if (IsReferralChild(m.entity) && !m.fields.count("referral_id")) {
        if (auto r = Str(current, "referral_id"); !r.empty()) named.emplace_back("referral", r);
      }
      // A new claim on the same bed or capacity (another placement, e.g. one starting after the days the
      // lost claim wanted) is its own claim: it is arbitrated on the hub's state, not lost with the first.
      const bool own_claim = m.kind == MutationKind::kClaim && m.entity == "placement";
      for (const auto& key : named) {
        if (own_claim && (key.first == "bed" || key.first == "homecare_capacity")) continue;
        auto it = poisoned.find(key);
        if (it != poisoned.end()) return reject("claim_lost", "depends on rejected claim " + it->second);
      }
    }
    const bool exists = !current.empty();
    auto merged = current;
    for (const auto& kv : m.fields) merged[kv.first] = kv.second;
    BERTH_ASSIGN_OR_RETURN(std::string area, AreaFor(dev, m.entity, merged, stored_area));
    if (area == "*" && m.entity != "setting") {
      return reject("bad_area", "'*' means every area in a device's scope; a row's area is a real place");
    }
    if (area.empty()) {
      return reject("no_area",
                    "a device scoped to every area must say where the row belongs (a referral's"
                    " district, a provider's district or council)");
    }
    if (!InScope(dev, m.entity, area))
      return reject("out_of_scope", "the row is outside this device's scope");
    if (exists && logged && !InScope(dev, m.entity, stored_area))
      return reject("out_of_scope", "the row is outside this device's scope");
    if (m.kind == MutationKind::kClaim) {
      static const std::set<std::string> kClaims = {"bed_hold", "bed_confirm", "homecare_allocate",
                                                    "release"};
      if (!kClaims.count(m.claim)) return reject("unknown_claim", "unknown claim");
    }
    // Preconditions of claims, and of plain changes that would act like one. A hold is made of three
    // fields (status, held_for_referral_id, held_until): a change naming any of them, or deleting the bed,
    // is checked, so leaving `status` out cannot move, shorten or clear someone else's hold.
    const bool touches_hold = m.fields.count("status") || m.fields.count("held_for_referral_id") ||
                              m.fields.count("held_until") || m.kind == MutationKind::kDelete;
    if (m.entity == "bed" && touches_hold) {
      const std::string to = m.kind == MutationKind::kDelete ? std::string() : Str(merged, "status");
      if (!exists || Str(current, "deleted") == "1") {
        if (m.kind == MutationKind::kClaim) return reject("no_such_row", "the bed does not exist on the hub");
      } else {
        const std::string from = Str(current, "status");
        const std::string holder = Str(current, "held_for_referral_id");
        const std::string until = Str(current, "held_until");
        const bool hold_live = from == "held" && (until.empty() || until > iso_now);
        // Placements take a bed for the days they cover (berth/schema/occupancy.h): today, and from today on.
        const std::string today = iso_now.substr(0, 10);
        BERTH_ASSIGN_OR_RETURN(int64_t today_taken,
                               PlacementsTakingBed(Str(current, "id"), "", today, today));
        BERTH_ASSIGN_OR_RETURN(int64_t booked, PlacementsTakingBed(Str(current, "id"), "", today, ""));
        const bool explicit_hold = to == "held" && m.fields.count("status");
        if (explicit_hold) {
          const std::string want = Str(merged, "held_for_referral_id");
          if (from == "unavailable") return reject("bed_unavailable", "the bed is unavailable");
          if (from == "occupied" || booked > 0) return reject("bed_taken", "the bed is already occupied");
          if (hold_live && holder != want) return reject("bed_taken", "the bed is held for another referral");
        } else if (to == "vacant" && today_taken > 0) {
          return reject("bed_taken", "a placement takes the bed today");
        } else if (to == "occupied" && m.fields.count("status") && booked == 0) {
          return reject("bed_taken", "no placement on this bed");
        }
        // A live hold changes hands only through its maker, or ends when the placement it was for is
        // confirmed (the bed then becomes occupied; bed_confirm checked the referral). A hold claim for
        // the same referral may renew it.
        const bool changes_hold = m.kind == MutationKind::kDelete || to != from ||
                                  Str(merged, "held_for_referral_id") != holder ||
                                  Str(merged, "held_until") != until;
        const bool placed = to == "occupied" && booked > 0;
        const bool renewal = explicit_hold && Str(merged, "held_for_referral_id") == holder;
        if (hold_live && changes_hold && !placed && !renewal) {
          BERTH_ASSIGN_OR_RETURN(std::string hold_origin,
                                 FieldOrigin("bed", m.row_id, "held_for_referral_id"));
          if (hold_origin != dev.device_id) return reject("not_holder", "the hold belongs to another device");
        }
      }
    }
    if (m.entity == "placement" && m.kind == MutationKind::kClaim) {
      const std::string bed = Str(merged, "bed_id");
      if (m.claim == "bed_confirm") {
        BERTH_ASSIGN_OR_RETURN(auto b, internal::ReadRowValues(db(), schema_, "bed", bed));
        if (b.empty() || Str(b, "deleted") == "1")
          return reject("no_such_row", "the bed does not exist on the hub");
        if (Str(b, "status") == "unavailable") return reject("bed_unavailable", "the bed is unavailable");
        const std::string until = Str(b, "held_until");
        if (Str(b, "status") == "held" && (until.empty() || until > iso_now) &&
            Str(b, "held_for_referral_id") != Str(merged, "referral_id")) {
          return reject("bed_taken", "the bed is held for another referral");
        }
      } else if (m.claim == "homecare_allocate") {
        const std::string cap = Str(merged, "homecare_capacity_id");
        BERTH_ASSIGN_OR_RETURN(auto c, internal::ReadRowValues(db(), schema_, "homecare_capacity", cap));
        if (c.empty() || Str(c, "deleted") == "1")
          return reject("no_such_row", "the capacity does not exist on the hub");
        BERTH_ASSIGN_OR_RETURN(
            auto ref, internal::ReadRowValues(db(), schema_, "referral", Str(merged, "referral_id")));
        if (!ref.empty() && Str(ref, "homecare_double_up") == "1" && Str(c, "double_up") != "1") {
          return reject("not_double_up", "the capacity cannot staff double-up calls");
        }
      } else {
        return reject("unknown_claim", "this claim does not apply to placements");
      }
    }
    // Apply, then check the capacity invariants. Only placements and homecare capacity can fail those
    // after the write, so only they pay for a savepoint to undo it; for every other row a failure of
    // ApplyLww happens before it writes anything (unknown field, or a constraint on its first statement).
    std::optional<Rejection> after;
    const bool may_undo = m.entity == "placement" || m.entity == "homecare_capacity";
    auto apply = [&]() -> Status {
      internal::KnownRow known;
      known.exists = exists;
      if (exists) {
        known.hlc = Str(current, "hlc");
        known.origin = Str(current, "origin");
      }
      bool all_won = false;
      Status applied = internal::ApplyLww(store_->db(), schema_, m, &known, &all_won);
      if (!applied.ok()) {
        if (applied.code() == Code::kBadInput || applied.code() == Code::kConflict) {
          after = Rejection{"bad_mutation", "the hub could not apply it"};
          return ConflictError("rollback");
        }
        return applied;
      }
      // When every field won, the row now holds `merged` (columns it does not name keep their defaults,
      // which no check below reads), so it is read back only when some field lost or for a delete.
      std::map<std::string, Value> read_back;
      if (!all_won || m.kind == MutationKind::kDelete) {
        BERTH_ASSIGN_OR_RETURN(read_back, internal::ReadRowValues(db(), schema_, m.entity, m.row_id));
      }
      const std::map<std::string, Value>& now_row = read_back.empty() ? merged : read_back;
      // The days this placement takes, if it takes any (occupancy.h); a capacity row's change is checked
      // from today on.
      const bool takes = m.entity == "placement" && Str(now_row, "deleted") != "1" &&
                         PlacementTakesDays(Str(now_row, "status"), Str(now_row, "end_date"));
      const std::string from = m.entity == "placement" ? Str(now_row, "start_date") : iso_now.substr(0, 10);
      const std::string to = m.entity == "placement" ? Str(now_row, "end_date") : std::string();
      if (takes) {
        const std::string bed = Str(now_row, "bed_id");
        if (!bed.empty()) {
          BERTH_ASSIGN_OR_RETURN(int64_t others, PlacementsTakingBed(bed, m.row_id, from, to));
          if (others > 0) {
            after = Rejection{m.claim == "bed_confirm" ? "bed_taken" : "over_allocated",
                              "another placement takes the bed on some of these days"};
            return ConflictError("rollback");
          }
        }
      }
      std::string cap;
      if (takes) cap = Str(now_row, "homecare_capacity_id");
      if (m.entity == "homecare_capacity") cap = m.row_id;
      if (!cap.empty()) {
        BERTH_ASSIGN_OR_RETURN(bool over, CapacityOver(cap, from, to));
        if (over) {
          after = Rejection{m.claim == "homecare_allocate" ? "capacity_exhausted" : "over_allocated",
                            "not enough homecare hours left on this capacity"};
          return ConflictError("rollback");
        }
      }
      std::string final_area = area;
      auto area_inputs = [](const std::map<std::string, Value>& row) {
        return std::make_tuple(Str(row, "district"), Str(row, "local_authority"), Str(row, "provider_id"),
                               Str(row, "referral_id"));
      };
      if (&now_row != &merged && area_inputs(now_row) != area_inputs(merged)) {
        BERTH_ASSIGN_OR_RETURN(final_area, AreaFor(dev, m.entity, now_row, stored_area));
      }
      // Echo suppression: when the writer had already pulled every earlier change of this row (or made
      // it itself, echo-free), its copy equals the hub's after this merge (LWW commutes), so pulls skip it.
      const bool echo_ok = !logged || prior_seq <= device_cursor || prior_echo_free;
      // The row's entry moves to the end of the log, numbered past every number ever used.
      if (logged) {
        BERTH_ASSIGN_OR_RETURN(Statement del,
                               db().Cached("DELETE FROM hub_change WHERE entity = ? AND row_id = ?"));
        del.Bind(1, m.entity).Bind(2, m.row_id);
        BERTH_RETURN_IF_ERROR(del.Run());
      }
      BERTH_ASSIGN_OR_RETURN(Statement ins,
                             db().Cached("INSERT INTO hub_change (entity, row_id, area, deleted, changed_ms,"
                                         " writer, echo_ok) VALUES (?, ?, ?, ?, ?, ?, ?)"));
      ins.Bind(1, m.entity)
          .Bind(2, m.row_id)
          .Bind(3, final_area)
          .Bind(4, Str(now_row, "deleted") == "1" ? 1 : 0);
      ins.Bind(5, now_ms).Bind(6, dev.device_id).Bind(7, echo_ok ? 1 : 0);
      BERTH_RETURN_IF_ERROR(ins.Run());
      if (m.entity == "provider" || m.entity == "referral") {
        if (auto it = parent_areas_.find({m.entity, m.row_id}); it != parent_areas_.end())
          it->second = final_area;
      }
      return Status::Ok();
    };
    Status st = may_undo ? store_->db().Transaction(apply) : apply();
    if (after) {
      *rej = after;
      return Status::Ok();
    }
    return st;
  }

  // Placements other than `except` that take `bed_id` on some day of [from, to] ('' unbounded).
  Result<int64_t> PlacementsTakingBed(const std::string& bed_id, const std::string& except,
                                      const std::string& from, const std::string& to) {
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db().Cached("SELECT count(*) FROM placement WHERE bed_id = ?1 AND id <> ?2 AND " +
                                       PlacementTakesSql("?3", "?4")));
    s.Bind(1, bed_id).Bind(2, except).Bind(3, from).Bind(4, to);
    BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
    const int64_t n = r ? s.Int(0) : 0;
    return n;
  }

  // Whether the placements on a capacity row take more hours than it has on any day of [from, to].
  Result<bool> CapacityOver(const std::string& cap, const std::string& from, const std::string& to) {
    double total = 0;
    {
      BERTH_ASSIGN_OR_RETURN(Statement s,
                             db().Cached("SELECT hours_per_week FROM homecare_capacity WHERE id = ?"
                                         " AND deleted = 0"));
      s.Bind(1, cap);
      BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
      total = r ? s.Real(0) : 0;
    }
    std::vector<HoursSpan> spans;
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db().Cached("SELECT start_date, end_date, hours_per_week FROM placement WHERE"
                                       " homecare_capacity_id = ?1 AND " +
                                       PlacementTakesSql("?2", "?3")));
    s.Bind(1, cap).Bind(2, from).Bind(3, to);
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
      if (!r) break;
      spans.push_back({s.Text(0), s.Text(1), s.Real(2)});
    }
    return PeakHours(spans, from, to) > total + 1e-9;
  }

  Result<std::string> FieldOrigin(const std::string& entity, const std::string& row_id,
                                  const std::string& field) {
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           db().Cached("SELECT coalesce((SELECT origin FROM field_clock WHERE entity = ?1 AND"
                                       " row_id = ?2 AND field = ?3), (SELECT origin FROM \"" +
                                       entity + "\" WHERE id = ?2), '')"));
    s.Bind(1, entity).Bind(2, row_id).Bind(3, field);
    BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
    std::string o = r ? s.Text(0) : std::string();
    return o;
  }

  std::mutex mu_;
  // During one Push: the stored area of each parent row (provider, referral) looked up so far, kept
  // equal to hub_change as the batch rewrites those rows' entries.
  std::map<std::pair<std::string, std::string>, std::string> parent_areas_;
  std::unique_ptr<Store> store_;
  internal::Schema schema_;
  Status open_status_;  // why the store cannot serve as a hub, if it cannot
};

}  // namespace

bool RoleMayWriteAny(const std::string& role) {
  return role == "broker" || role == "ward";
}

bool ValidRole(const std::string& role) {
  return role == "broker" || role == "ward" || role == "viewer";
}

bool RoleMayRead(const std::string& role, const std::string& entity) {
  if (role == "broker" || role == "ward") return true;
  if (role == "viewer") return IsSupply(entity);
  return false;
}

bool RoleMayWrite(const std::string& role, const std::string& entity) {
  if (role == "broker") return true;
  // Ward staff raise referrals, record answers and date changes, and write in the case log.
  if (role == "ward") {
    return entity == "referral" || entity == "offer" || entity == "referral_date_change" ||
           entity == "referral_note";
  }
  return false;
}

Status InitHubStore(Store& store) {
  KeyPairs keys = KeyPairs::Generate();
  Secret blob = keys.SecretBlob();
  return store.db().Transaction([&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(Statement s,
                           store.db().Prepare("INSERT INTO hub_state (key, value) VALUES (?, ?)"));
    s.Bind(1, "hub_secret_keys").BindBlob(2, blob.bytes());
    return s.Run();
  });
}

std::unique_ptr<HubStorage> MakeSqliteHubStorage(std::unique_ptr<Store> store) {
  return std::make_unique<SqliteHubStorage>(std::move(store));
}

}  // namespace berth::sync

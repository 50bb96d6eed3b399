// SqliteHubStorage (hub_storage_sqlite.h): the hub's state in its own encrypted berth::Store. This file opens
// a store as a hub (its indexes, the start-up migration of old '*' areas, its key state), holds the helpers
// the other hub_storage_sqlite_*.cc files share, and the device roles. See sync/PROTOCOL.md sections 5-7, 10.
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <tuple>

#include "berth/schema/ids.h"
#include "berth/schema/occupancy.h"
#include "berth/schema/settings.h"
#include "berth/sync/version.h"
#include "hub_storage_sqlite.h"

namespace berth::sync {
namespace internal {
namespace {
constexpr std::string_view kStateTable = "hub_state";
}  // namespace

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

SqliteHubStorage::SqliteHubStorage(std::unique_ptr<Store> store) : store_(std::move(store)) {
  (void)schema_.Load(store_->db());
  // Every page read through the encrypting VFS is authenticated and decrypted: a large page cache keeps
  // the hot B-tree pages of the change log and the row tables decrypted in memory.
  (void)store_->db().Exec("PRAGMA cache_size = -131072");
  open_status_ = NumberRowsByTheirEntries();
  if (open_status_.ok()) open_status_ = UseHubIndexes();
  if (open_status_.ok()) open_status_ = GiveWildcardRowsRealAreas();
  if (open_status_.ok()) open_status_ = OpenCounters();
}

Result<KeyPairs> SqliteHubStorage::HubKeys() {
  std::lock_guard<std::mutex> lock(mu_);
  BERTH_RETURN_IF_ERROR(open_status_);
  BERTH_ASSIGN_OR_RETURN(Bytes blob, GetState("hub_secret_keys"));
  return KeyPairs::FromSecretBlob(blob);
}

// The hub arbitrates and serves changes; it never runs the matching queries the devices' indexes are
// for. A hub store keeps only the indexes its own queries use (PROTOCOL.md section 10): each other one
// would cost every pushed row of its table an index insert (a quarter of the hub's time per new bed).
Status SqliteHubStorage::UseHubIndexes() {
  static const std::set<std::string> kHubIndexes = {"placement_by_bed", "hub_placement_by_capacity"};
  return store_->db().Transaction([&]() -> Status {
    std::vector<std::string> drop;
    {
      BERTH_ASSIGN_OR_RETURN(Statement s, store_->db().Prepare("SELECT name, tbl_name FROM sqlite_master"
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

// Each synced table carries kHubSeqColumn, the number of its row's change-log entry (section 10), so that
// the hub finds a row's entry through the row: the change log needs no index on (entity, row_id), which
// cost every logged change an index probe and insert, and every edit a delete too. A table without the
// column (a store from before it, or a table a migration rebuilt) gets it, and its rows get their
// entries' numbers. A row of a table created empty has nothing to number.
Status SqliteHubStorage::NumberRowsByTheirEntries() {
  return store_->db().Transaction([&]() -> Status {
    std::vector<std::string> added;
    for (const std::string& entity : schema_.Entities()) {
      BERTH_ASSIGN_OR_RETURN(Statement s, store_->db().Prepare("SELECT count(*) FROM pragma_table_info(?)"
                                                               " WHERE name = ?"));
      s.Bind(1, entity).Bind(2, kHubSeqColumn);
      BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
      if (r && s.Int(0) == 1) continue;
      BERTH_RETURN_IF_ERROR(store_->db().Exec("ALTER TABLE \"" + entity + "\" ADD COLUMN \"" +
                                              std::string(kHubSeqColumn) + "\" INTEGER"));
      added.push_back(entity);
    }
    for (const std::string& entity : added) {
      BERTH_ASSIGN_OR_RETURN(Statement entries,
                             store_->db().Prepare("SELECT seq, row_id FROM hub_change WHERE entity = ?"));
      entries.Bind(1, entity);
      BERTH_ASSIGN_OR_RETURN(Statement number,
                             store_->db().Prepare("UPDATE \"" + entity + "\" SET \"" +
                                                  std::string(kHubSeqColumn) + "\" = ? WHERE id = ?"));
      while (true) {
        BERTH_ASSIGN_OR_RETURN(bool r, entries.Step());
        if (!r) break;
        number.Reset();
        number.Bind(1, entries.Int(0)).Bind(2, entries.Text(1));
        BERTH_RETURN_IF_ERROR(number.Run());
      }
    }
    return Status::Ok();
  });
}

// Before areas were enforced, a row pushed by a county-wide device (scope "*") took "*" as its area, and
// "*" rows went to every device. On every start each such row (settings aside) gets the area its own
// fields give (a provider's district or council, a referral's district), or its parent's (a bed's
// provider, an offer's referral), or none (""), which only county-wide devices see. Idempotent.
Status SqliteHubStorage::GiveWildcardRowsRealAreas() {
  return store_->db().Transaction([&]() -> Status {
    std::vector<std::tuple<std::string, std::string, int64_t>> rows;
    {
      BERTH_ASSIGN_OR_RETURN(
          Statement s, store_->db().Prepare("SELECT entity, row_id, seq FROM hub_change WHERE area = '*'"
                                            " AND entity <> 'setting'"));
      while (true) {
        BERTH_ASSIGN_OR_RETURN(bool r, s.Step());
        if (!r) break;
        rows.emplace_back(s.Text(0), s.Text(1), s.Int(2));
      }
    }
    if (rows.empty()) return Status::Ok();
    // Parents first: a child's area comes from its provider's or referral's.
    auto rank = [](const std::string& e) { return e == "provider" || e == "referral" ? 0 : 1; };
    std::stable_sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
      return rank(std::get<0>(a)) < rank(std::get<0>(b));
    });
    for (const auto& [entity, row_id, seq] : rows) {
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
      BERTH_ASSIGN_OR_RETURN(Statement upd, db().Cached("UPDATE hub_change SET area = ? WHERE seq = ?"));
      upd.Bind(1, area).Bind(2, seq);
      BERTH_RETURN_IF_ERROR(upd.Run());
    }
    std::fprintf(stderr, "berth-hub: %zu rows stored with area '*' given real areas\n", rows.size());
    return Status::Ok();
  });
}

Result<Bytes> SqliteHubStorage::GetState(const std::string& key) {
  BERTH_ASSIGN_OR_RETURN(std::optional<Bytes> value, internal::GetStateValue(db(), kStateTable, key));
  if (!value) return NotFound("this store is not a hub store (run berth-hub init)");
  return std::move(*value);
}

Result<Bytes> SqliteHubStorage::GetStateOr(const std::string& key, Bytes fallback) {
  auto r = GetState(key);
  if (!r.ok() && r.status().code() == Code::kNotFound) return fallback;
  return r;
}

Status SqliteHubStorage::PutState(const std::string& key, const Bytes& value) {
  return internal::PutStateValue(db(), kStateTable, key, value);
}

}  // namespace internal

bool RoleMayWriteAny(const std::string& role) {
  return role == "broker" || role == "ward";
}

bool ValidRole(const std::string& role) {
  return role == "broker" || role == "ward" || role == "viewer";
}

bool RoleMayRead(const std::string& role, const std::string& entity) {
  if (role == "broker" || role == "ward") return true;
  if (role == "viewer") return internal::IsSupply(entity);
  return false;
}

bool RoleMayWrite(const std::string& role, const std::string& entity) {
  if (role == "broker") return true;
  // A provider, on the portal, answers its offers and keeps its beds and homecare hours up to date.
  if (role == "provider") return entity == "offer" || entity == "bed" || entity == "homecare_capacity";
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
  return std::make_unique<internal::SqliteHubStorage>(std::move(store));
}

}  // namespace berth::sync

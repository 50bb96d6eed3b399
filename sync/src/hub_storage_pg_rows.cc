// Rows on the PostgreSQL hub (hub_storage_pg.h, PROTOCOL.md sections 5-7 and 10): Push decided by the
// shared rules (hub_rules.h) under row locks, the change log numbered in commit order, Pull outside the
// write path, and the purge of old tombstones.
//
// Sealing: each row is kept whole as its RowState (values and field clocks), sealed with XChaCha20-Poly1305
// under the hub's row key (BLAKE2b-256 keyed by the hub's key-exchange secret over "berth-hub-rows-v1"),
// bound to its table and id. Beside it, in clear, only what arbitration queries: a placement's bed,
// capacity, status, dates and hours, and a capacity row's hours; ids, dates and numbers, never a name.
//
// Locking: a push runs in one READ COMMITTED transaction. It locks the pushing device's row (one push per
// device at a time, whichever process), every row the batch changes (one SELECT ... FOR UPDATE at its
// start, in key order, which also reads them: Prefetch), and for a placement the bed and capacity rows it
// names, before the rules read them: two processes confirming one bed are serialised on that bed's row,
// and the second sees the first's placement. Deadlocks and serialization failures are retried from the
// start (PgConn::Transaction).
//
// Sequence: changed rows are logged with no number while the push runs; at its end one UPDATE of the
// single hub_seq row allocates their numbers, in the order the push changed them. That row stays locked
// until commit, so pushes commit their numbers in ascending order and a pull that has seen N has seen
// every change numbered below N: a pull never skips a change that commits later.
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "berth/schema/ids.h"
#include "berth/schema/model.h"
#include "berth/schema/occupancy.h"
#include "hub_rules.h"
#include "hub_storage_pg.h"

namespace berth::sync::internal {

namespace {

constexpr char kRowKeyContext[] = "berth-hub-rows-v1";
using Key = std::pair<std::string, std::string>;

// A PostgreSQL array literal of `items` (each quoted), for a text[] parameter.
std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char ch : item) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  return out + "}";
}

// A bytea[] parameter in PostgreSQL's binary array format (sent with PgParam's binary flag): a batch's
// sealed rows as they are. As text each would be hex inside an array literal, which the server then
// parses character by character: most of a push's write time on a batch of 5,000 rows.
Bytes ByteaArray(const std::vector<Bytes>& items) {
  Bytes out;
  auto put32 = [&out](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
  };
  constexpr uint32_t kByteaOid = 17;
  put32(1);  // dimensions
  put32(0);  // no NULL elements
  put32(kByteaOid);
  put32(static_cast<uint32_t>(items.size()));
  put32(1);  // lower bound
  for (const Bytes& item : items) {
    put32(static_cast<uint32_t>(item.size()));
    out.insert(out.end(), item.begin(), item.end());
  }
  return out;
}

Bytes RowAd(const std::string& entity, const std::string& row_id) {
  Bytes ad(entity.begin(), entity.end());
  ad.push_back(0);
  ad.insert(ad.end(), row_id.begin(), row_id.end());
  return ad;
}

Bytes SealRow(const Secret& key, const RowState& row) {
  const Bytes plain = Encode(row);
  const Bytes ad = RowAd(row.entity, row.row_id);
  Bytes out(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plain.size() +
            crypto_aead_xchacha20poly1305_ietf_ABYTES);
  randombytes_buf(out.data(), crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &n,
                                             plain.data(), plain.size(), ad.data(), ad.size(), nullptr,
                                             out.data(), key.data());
  out.resize(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + n);
  return out;
}

Result<RowState> OpenRow(const Secret& key, const std::string& entity, const std::string& row_id,
                         const Bytes& sealed) {
  constexpr size_t kOverhead =
      crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sealed.size() < kOverhead) return IntegrityError("a sealed row in the hub's database is damaged");
  const Bytes ad = RowAd(entity, row_id);
  Bytes plain(sealed.size() - kOverhead);
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &n, nullptr,
                                                 sealed.data() + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                 sealed.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
                                                 ad.data(), ad.size(), sealed.data(), key.data()) != 0) {
    return IntegrityError(
        "a sealed row in the hub's database does not open (tampered, or another hub's key)");
  }
  plain.resize(n);
  BERTH_ASSIGN_OR_RETURN(RowState row, DecodeRowState(plain));
  if (row.entity != entity || row.row_id != row_id)
    return IntegrityError("a sealed row is not the row it claims");
  return row;
}

// A row's values as ReadRowValues gives them on the SQLite hub: its fields with id, hlc and origin.
std::map<std::string, Value> ValuesOf(const RowState& row) {
  std::map<std::string, Value> out;
  if (row.absent) return out;
  for (const auto& f : row.fields) out[f.name] = f.value;
  out["id"] = row.row_id;
  out["hlc"] = row.row_hlc;
  out["origin"] = row.row_origin;
  return out;
}

struct Clock {
  std::string hlc;
  std::string origin;
  bool operator<(const Clock& o) const { return std::tie(hlc, origin) < std::tie(o.hlc, o.origin); }
};

// berth::MergeLww on a row held as a RowState: each field is taken when the mutation's (hlc, origin) is
// greater than the field's clock (its own, else its row's); a row not yet here is created with the
// mutation's fields (and deleted = 0). Returns whether anything changed.
bool MergeRow(RowState& row, const Mutation& m, bool* all_won) {
  const Clock incoming{m.hlc, m.origin_device};
  *all_won = false;
  if (row.absent) {
    if (m.kind == MutationKind::kDelete) return false;
    row = RowState{};
    row.entity = m.entity;
    row.row_id = m.row_id;
    row.row_hlc = m.hlc;
    row.row_origin = m.origin_device;
    for (const auto& [name, value] : m.fields) row.fields.push_back(FieldState{name, value, "", ""});
    if (!m.fields.count("deleted")) row.fields.push_back(FieldState{"deleted", Value(int64_t{0}), "", ""});
    *all_won = true;
    return true;
  }
  const Clock row_clock{row.row_hlc, row.row_origin};
  auto win = [&](const std::string& name, const Value& value) {
    auto it = std::find_if(row.fields.begin(), row.fields.end(),
                           [&](const FieldState& f) { return f.name == name; });
    const Clock have = it == row.fields.end() || it->hlc.empty() ? row_clock : Clock{it->hlc, it->origin};
    if (!(have < incoming)) return false;
    if (it == row.fields.end()) it = row.fields.insert(row.fields.end(), FieldState{name, value, "", ""});
    it->value = value;
    it->hlc = m.hlc;
    it->origin = m.origin_device;
    return true;
  };
  size_t won = 0;
  if (m.kind == MutationKind::kDelete) {
    won = win("deleted", Value(int64_t{1})) ? 1 : 0;
    *all_won = won == 1;
  } else {
    for (const auto& [name, value] : m.fields) won += win(name, value) ? 1 : 0;
    *all_won = won == m.fields.size();
  }
  for (const auto& f : row.fields) {
    if (f.name == "deleted") row.deleted = internal::ValueText(f.value) == "1" ? 1 : 0;
  }
  return won > 0;
}

double Number(const std::map<std::string, Value>& row, const std::string& key) {
  const std::string t = Str(row, key);
  return t.empty() ? 0 : std::strtod(t.c_str(), nullptr);
}

// A row's change-log entry as a push reads it.
struct LogEntry {
  uint64_t seq = 0;  // UINT64_MAX: logged by this push, not numbered yet
  std::string writer;
  bool echo_ok = false;
  std::string area;
};

// One push on one connection, in its transaction: the storage's part of the rules.
class PgPush final : private HubRules {
 public:
  PgPush(PgConn& c, const Schema& schema, const Secret& row_key) : c_(c), key_(row_key) { schema_ = schema; }

  Status Run(const DeviceRecord& device, const PushRequest& request, int64_t now_ms, PushResponse* resp,
             PushStats* stats) {
    pending_.clear();
    order_ = 0;
    rows_.clear();
    log_.clear();
    unwritten_rows_.clear();  // a retried transaction starts again from nothing
    unwritten_log_.clear();
    // One push per device at a time, whichever process has it: acked_seq is read and advanced under this
    // lock.
    BERTH_ASSIGN_OR_RETURN(
        PgResult d,
        Query("SELECT acked_seq FROM hub_device WHERE device_id = $1 FOR UPDATE", {device.device_id}));
    if (d.rows() != 1) return NotFound("unknown_device");
    DeviceRecord fresh = device;
    fresh.acked_seq = static_cast<uint64_t>(d.Int(0, 0));
    BERTH_RETURN_IF_ERROR(Prefetch(request, fresh.acked_seq));
    BERTH_RETURN_IF_ERROR(DecideBatch(fresh, request, now_ms, resp, stats));
    BERTH_RETURN_IF_ERROR(
        Execute("UPDATE hub_device SET acked_seq = $2, last_seen_ms = $3 WHERE device_id = $1",
                {device.device_id, static_cast<int64_t>(resp->acked_through), now_ms}));
    return NumberChanges();
  }

 private:
  // Every row the batch changes, with its change-log entry, in two statements rather than two per change
  // (a round trip each): the rows are locked here, in key order, until commit. Entries the device has
  // already had acknowledged are not arbitrated again, so their rows are not read.
  Status Prefetch(const PushRequest& request, uint64_t acked) {
    std::set<Key> keys;
    for (const OutboxEntry& e : request.entries) {
      if (e.seq > acked) keys.emplace(e.mutation.entity, e.mutation.row_id);
    }
    if (keys.empty()) return Status::Ok();
    std::vector<std::string> entities, ids;
    for (const auto& [entity, id] : keys) {
      entities.push_back(entity);
      ids.push_back(id);
      RowState absent;
      absent.entity = entity;
      absent.row_id = id;
      absent.absent = 1;
      rows_.emplace(Key{entity, id}, std::move(absent));
      log_.emplace(Key{entity, id}, std::nullopt);
    }
    const std::vector<PgParam> params = {TextArray(entities), TextArray(ids)};
    const std::string batch = "(entity, row_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))";
    BERTH_ASSIGN_OR_RETURN(PgResult r, Query("SELECT entity, row_id, sealed FROM hub_row WHERE " + batch +
                                                 " ORDER BY entity, row_id FOR UPDATE",
                                             params));
    for (int i = 0; i < r.rows(); ++i) {
      BERTH_ASSIGN_OR_RETURN(RowState row, OpenRow(key_, r.Text(i, 0), r.Text(i, 1), r.Blob(i, 2)));
      rows_[Key{row.entity, row.row_id}] = std::move(row);
    }
    BERTH_ASSIGN_OR_RETURN(
        PgResult l,
        Query("SELECT entity, row_id, seq, writer, echo_ok, area FROM hub_change WHERE " + batch, params));
    for (int i = 0; i < l.rows(); ++i) {
      // An entry this push wrote has no number yet: it is later than anything the device has pulled.
      log_[Key{l.Text(i, 0), l.Text(i, 1)}] =
          LogEntry{l.IsNull(i, 2) ? UINT64_MAX : static_cast<uint64_t>(l.Int(i, 2)), l.Text(i, 3),
                   l.Bool(i, 4), l.Text(i, 5)};
    }
    return Status::Ok();
  }

  // The row as stored (absent = 1 when there is none); locked until commit when `lock`. A row of the
  // batch comes from what Prefetch read and this push has written since.
  Result<RowState> ReadRow(const std::string& entity, const std::string& row_id, bool lock) {
    if (auto it = rows_.find(Key{entity, row_id}); it != rows_.end()) return it->second;
    BERTH_ASSIGN_OR_RETURN(PgResult r, Query(std::string("SELECT sealed FROM hub_row WHERE entity = $1 AND"
                                                         " row_id = $2") +
                                                 (lock ? " FOR UPDATE" : ""),
                                             {entity, row_id}));
    if (r.rows() == 0) {
      RowState rs;
      rs.entity = entity;
      rs.row_id = row_id;
      rs.absent = 1;
      return rs;
    }
    return OpenRow(key_, entity, row_id, r.Blob(0, 0));
  }

  Result<RowState> RowStateOf(const std::string& entity, const std::string& row_id) override {
    return ReadRow(entity, row_id, false);
  }

  Result<std::optional<Rejection>> RecordedRejection(const std::string& device_id, uint64_t seq) override {
    BERTH_ASSIGN_OR_RETURN(PgResult r,
                           Query("SELECT reason_code, reason FROM hub_rejection WHERE device_id = $1"
                                 " AND seq = $2",
                                 {device_id, static_cast<int64_t>(seq)}));
    if (r.rows() != 1) return std::optional<Rejection>();
    return std::optional<Rejection>(Rejection{r.Text(0, 0), r.Text(0, 1)});
  }

  Status RecordRejection(const std::string& device_id, uint64_t seq, const std::string& mutation_id,
                         const Rejection& rejection) override {
    return Execute(
        "INSERT INTO hub_rejection (device_id, seq, mutation_id, reason_code, reason)"
        " VALUES ($1, $2, $3, $4, $5)",
        {device_id, static_cast<int64_t>(seq), mutation_id, rejection.code, rejection.reason});
  }

  Result<std::map<std::string, Value>> RowValues(const std::string& entity,
                                                 const std::string& row_id) override {
    BERTH_ASSIGN_OR_RETURN(RowState rs, ReadRow(entity, row_id, false));
    return ValuesOf(rs);
  }

  Result<std::string> StoredArea(const std::string& entity, const std::string& row_id) override {
    if (auto it = log_.find(Key{entity, row_id}); it != log_.end()) return it->second ? it->second->area : "";
    BERTH_ASSIGN_OR_RETURN(
        PgResult r, Query("SELECT area FROM hub_change WHERE entity = $1 AND row_id = $2", {entity, row_id}));
    return r.rows() == 1 ? r.Text(0, 0) : std::string();
  }

  // The row's change-log entry (none: never logged), from Prefetch for a row of the batch.
  Result<std::optional<LogEntry>> EntryOf(const std::string& entity, const std::string& row_id) {
    if (auto it = log_.find(Key{entity, row_id}); it != log_.end()) return it->second;
    BERTH_ASSIGN_OR_RETURN(PgResult r, Query("SELECT seq, writer, echo_ok, area FROM hub_change"
                                             " WHERE entity = $1 AND row_id = $2",
                                             {entity, row_id}));
    if (r.rows() != 1) return std::optional<LogEntry>();
    return std::optional<LogEntry>(LogEntry{r.IsNull(0, 0) ? UINT64_MAX : static_cast<uint64_t>(r.Int(0, 0)),
                                            r.Text(0, 1), r.Bool(0, 2), r.Text(0, 3)});
  }

  // The row's change-log entry and the row, locked; for a placement, the bed and capacity it names are
  // locked too, before any rule reads them (the header: locking).
  Result<PriorRow> ReadPrior(const DeviceRecord& dev, const Mutation& m) override {
    PriorRow prior;
    BERTH_ASSIGN_OR_RETURN(state_, ReadRow(m.entity, m.row_id, true));
    BERTH_ASSIGN_OR_RETURN(std::optional<LogEntry> entry, EntryOf(m.entity, m.row_id));
    prior.logged = entry.has_value();
    if (prior.logged) {
      prior.seq = entry->seq;
      prior.echo_free = entry->writer == dev.device_id && entry->echo_ok;
      prior.area = entry->area;
      prior.values = ValuesOf(state_);
    }
    if (m.entity == "placement") {
      auto named = [&](const char* field) {
        auto it = m.fields.find(field);
        return it != m.fields.end() ? internal::ValueText(it->second) : Str(prior.values, field);
      };
      for (const auto& [entity, id] :
           {Key{"bed", named("bed_id")}, Key{"homecare_capacity", named("homecare_capacity_id")}}) {
        if (id.empty()) continue;
        BERTH_RETURN_IF_ERROR(
            Execute("SELECT 1 FROM hub_row WHERE entity = $1 AND row_id = $2 FOR UPDATE", {entity, id}));
      }
    }
    return prior;
  }

  Result<int64_t> PlacementsTakingBed(const std::string& bed_id, const std::string& except,
                                      const std::string& from, const std::string& to) override {
    BERTH_ASSIGN_OR_RETURN(PgResult r, Query("SELECT count(*) FROM hub_row WHERE entity = 'placement' AND"
                                             " bed_id = $1 AND row_id <> $2 AND " +
                                                 PlacementTakesSql("$3", "$4"),
                                             {bed_id, except, from, to}));
    return r.Int(0, 0);
  }

  Result<bool> CapacityOver(const std::string& cap, const std::string& from, const std::string& to) override {
    BERTH_ASSIGN_OR_RETURN(PgResult c,
                           Query("SELECT hours_per_week FROM hub_row WHERE entity = 'homecare_capacity'"
                                 " AND row_id = $1 AND deleted = 0",
                                 {cap}));
    const double total = c.rows() == 1 ? std::strtod(c.Text(0, 0).c_str(), nullptr) : 0;
    BERTH_ASSIGN_OR_RETURN(PgResult r, Query("SELECT start_date, end_date, hours_per_week FROM hub_row WHERE"
                                             " entity = 'placement' AND homecare_capacity_id = $1 AND " +
                                                 PlacementTakesSql("$2", "$3"),
                                             {cap, from, to}));
    std::vector<HoursSpan> spans;
    for (int i = 0; i < r.rows(); ++i) {
      spans.push_back({r.Text(i, 0), r.Text(i, 1), std::strtod(r.Text(i, 2).c_str(), nullptr)});
    }
    return PeakHours(spans, from, to) > total + 1e-9;
  }

  Result<std::string> FieldOrigin(const std::string& entity, const std::string& row_id,
                                  const std::string& field) override {
    BERTH_ASSIGN_OR_RETURN(RowState rs, ReadRow(entity, row_id, false));
    for (const auto& f : rs.fields) {
      if (f.name == field && !f.origin.empty()) return f.origin;
    }
    return rs.row_origin;
  }

  // The push's writes wait here and go in two multi-row statements (rows, then change-log entries) at
  // the end of the batch, or before any other statement this push sends, so that what it reads includes
  // them: a batch of new beds costs two round trips instead of two per bed.
  Status Flush() {
    if (!unwritten_rows_.empty()) {
      std::vector<std::string> cols[9];  // every column but `sealed`, which goes in binary
      std::vector<Bytes> sealed;
      for (const auto& [key, row] : unwritten_rows_) {
        // Only claim rows keep facts in clear for arbitration; for any other row they stay empty.
        const bool claims = row.entity == "placement" || row.entity == "homecare_capacity";
        const std::map<std::string, Value> v = claims ? ValuesOf(row) : std::map<std::string, Value>();
        auto fact = [&](const char* k) { return claims ? Str(v, k) : std::string(); };
        sealed.push_back(SealRow(key_, row));
        std::string values[9] = {row.entity,
                                 row.row_id,
                                 fact("bed_id"),
                                 fact("homecare_capacity_id"),
                                 fact("status"),
                                 fact("start_date"),
                                 fact("end_date"),
                                 claims ? std::to_string(Number(v, "hours_per_week")) : "0",
                                 std::to_string(row.deleted)};
        for (int i = 0; i < 9; ++i) cols[i].push_back(std::move(values[i]));
      }
      unwritten_rows_.clear();
      std::vector<PgParam> params;
      for (const auto& col : cols) params.emplace_back(TextArray(col));
      params.emplace_back(ByteaArray(sealed));
      BERTH_RETURN_IF_ERROR(c_.Run(
          "INSERT INTO hub_row (entity, row_id, bed_id, homecare_capacity_id, status, start_date, end_date,"
          " hours_per_week, deleted, sealed) SELECT * FROM unnest($1::text[], $2::text[], $3::text[],"
          " $4::text[], $5::text[], $6::text[], $7::text[], $8::float8[], $9::integer[], $10::bytea[])"
          " ON CONFLICT (entity, row_id) DO UPDATE SET sealed = excluded.sealed, bed_id = excluded.bed_id,"
          " homecare_capacity_id = excluded.homecare_capacity_id, status = excluded.status,"
          " start_date = excluded.start_date, end_date = excluded.end_date,"
          " hours_per_week = excluded.hours_per_week, deleted = excluded.deleted",
          params));
    }
    if (!unwritten_log_.empty()) {
      std::vector<std::string> cols[7];
      for (const auto& [key, entry] : unwritten_log_) {
        std::string values[7] = {key.first,
                                 key.second,
                                 entry.area,
                                 std::to_string(entry.deleted),
                                 std::to_string(entry.changed_ms),
                                 entry.writer,
                                 entry.echo_ok ? "t" : "f"};
        for (int i = 0; i < 7; ++i) cols[i].push_back(std::move(values[i]));
      }
      unwritten_log_.clear();
      std::vector<PgParam> params;
      for (const auto& col : cols) params.emplace_back(TextArray(col));
      BERTH_RETURN_IF_ERROR(
          c_.Run("INSERT INTO hub_change (entity, row_id, seq, area, deleted, changed_ms, writer, echo_ok)"
                 " SELECT n.entity, n.row_id, NULL, n.area, n.deleted, n.changed_ms, n.writer, n.echo_ok FROM"
                 " unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::bigint[], $6::text[], "
                 "$7::boolean[])"
                 " AS n(entity, row_id, area, deleted, changed_ms, writer, echo_ok)"
                 " ON CONFLICT (entity, row_id) DO UPDATE SET seq = NULL, area = excluded.area,"
                 " deleted = excluded.deleted, changed_ms = excluded.changed_ms, writer = excluded.writer,"
                 " echo_ok = excluded.echo_ok",
                 params));
    }
    return Status::Ok();
  }

  // Every other statement of the push goes through these: the waiting writes first.
  Result<PgResult> Query(const std::string& sql, const std::vector<PgParam>& params = {}) {
    BERTH_RETURN_IF_ERROR(Flush());
    return c_.Exec(sql, params);
  }
  Status Execute(const std::string& sql, const std::vector<PgParam>& params = {}) {
    BERTH_RETURN_IF_ERROR(Flush());
    return c_.Run(sql, params);
  }

  // As SqliteHubStorage::ApplyAndLog: merge, the after-merge check (undone to a savepoint when it fails),
  // and the row's entry moved to the end of the log (numbered at the end of the push).
  Status ApplyAndLog(const DeviceRecord& dev, const Mutation& m, const PriorRow& prior,
                     const std::map<std::string, Value>& merged, const std::string& area, int64_t now_ms,
                     const std::string& iso_now, uint64_t device_cursor,
                     std::optional<Rejection>* rej) override {
    const bool may_undo = m.entity == "placement" || m.entity == "homecare_capacity";
    if (may_undo) BERTH_RETURN_IF_ERROR(Execute("SAVEPOINT arbitrate"));
    RowState next = state_;
    bool all_won = false;
    if (MergeRow(next, m, &all_won)) unwritten_rows_[Key{m.entity, m.row_id}] = next;
    const std::map<std::string, Value> read_back = ValuesOf(next);
    const std::map<std::string, Value>& now_row = read_back.empty() ? merged : read_back;
    BERTH_ASSIGN_OR_RETURN(std::optional<Rejection> after, CheckOccupancy(m, now_row, iso_now));
    if (after) {
      *rej = std::move(after);
      return Execute("ROLLBACK TO SAVEPOINT arbitrate");
    }
    if (may_undo) BERTH_RETURN_IF_ERROR(Execute("RELEASE SAVEPOINT arbitrate"));
    BERTH_ASSIGN_OR_RETURN(const std::string final_area,
                           AreaAfterMerge(dev, m, prior, merged, now_row, area));
    const bool echo_ok = EchoFree(prior, device_cursor);
    unwritten_log_[Key{m.entity, m.row_id}] =
        UnwrittenEntry{final_area, Str(now_row, "deleted") == "1" ? 1 : 0, now_ms, dev.device_id, echo_ok};
    // What Prefetch read, kept as the database now has it for the rest of the batch.
    if (auto it = rows_.find(Key{m.entity, m.row_id}); it != rows_.end()) it->second = next;
    if (auto it = log_.find(Key{m.entity, m.row_id}); it != log_.end())
      it->second = LogEntry{UINT64_MAX, dev.device_id, echo_ok, final_area};
    pending_[{m.entity, m.row_id}] = ++order_;
    if (m.entity == "provider" || m.entity == "referral") {
      if (auto it = parent_areas_.find({m.entity, m.row_id}); it != parent_areas_.end())
        it->second = final_area;
    }
    return Status::Ok();
  }

  // The sequence scheme (the header): numbers for this push's changes from the one counter row, which
  // stays locked until this transaction commits.
  Status NumberChanges() {
    if (pending_.empty()) return Status::Ok();
    BERTH_ASSIGN_OR_RETURN(PgResult r,
                           Query("UPDATE hub_seq SET last = last + $1 WHERE id = 1 RETURNING last",
                                 {static_cast<int64_t>(pending_.size())}));
    if (r.rows() != 1) return InternalError("the hub's change counter is missing");
    std::vector<std::pair<int64_t, Key>> ordered;
    for (const auto& [key, order] : pending_) ordered.emplace_back(order, key);
    std::sort(ordered.begin(), ordered.end());
    const int64_t first = r.Int(0, 0) - static_cast<int64_t>(ordered.size()) + 1;
    std::vector<std::string> entities, ids;
    for (const auto& [order, key] : ordered) {
      entities.push_back(key.first);
      ids.push_back(key.second);
    }
    // One statement: the i-th changed row (1-based, in the order of change) gets first + i - 1.
    return Execute(
        "UPDATE hub_change AS h SET seq = $3 + n.i - 1 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY"
        " AS n(entity, row_id, i) WHERE h.entity = n.entity AND h.row_id = n.row_id",
        {TextArray(entities), TextArray(ids), first});
  }

  PgConn& c_;
  const Secret& key_;
  std::map<Key, RowState> rows_;                // the batch's rows (Prefetch), as this push left them
  std::map<Key, std::optional<LogEntry>> log_;  // their change-log entries (none: never logged)
  RowState state_;                              // the row ReadPrior read last, for ApplyAndLog's merge
  std::map<Key, int64_t> pending_;              // rows this push logged -> the order of their last change
  int64_t order_ = 0;
  // Decided, not yet sent (Flush): the rows as they are to be stored, and their change-log entries.
  struct UnwrittenEntry {
    std::string area;
    int deleted = 0;
    int64_t changed_ms = 0;
    std::string writer;
    bool echo_ok = false;
  };
  std::map<Key, RowState> unwritten_rows_;
  std::map<Key, UnwrittenEntry> unwritten_log_;
};

}  // namespace

Secret PostgresHubStorage::RowKey(const KeyPairs& keys) {
  Secret key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
  crypto_generichash(key.data(), key.size(), reinterpret_cast<const uint8_t*>(kRowKeyContext),
                     sizeof(kRowKeyContext) - 1, keys.kx_sk.data(), keys.kx_sk.size());
  return key;
}

Result<const Schema*> PostgresHubStorage::SyncSchema() {
  std::call_once(schema_once_, [this] { schema_status_ = schema_.LoadThisBuild(); });
  if (!schema_status_.ok()) return schema_status_;
  return &schema_;
}

Result<PushResponse> PostgresHubStorage::Push(const DeviceRecord& device, const PushRequest& request,
                                              int64_t now_ms, PushStats* stats) {
  BERTH_ASSIGN_OR_RETURN(const Schema* schema, SyncSchema());
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  PushResponse resp;
  PgPush push(*c, *schema, row_key_);
  BERTH_RETURN_IF_ERROR(c->Transaction([&]() { return push.Run(device, request, now_ms, &resp, stats); },
                                       /*serializable=*/false, /*retry_unique=*/true));
  return resp;
}

// A page of changes from the device's cursor, read on a connection of its own in one REPEATABLE READ
// snapshot: it waits for no push, and sees only changes whose push committed (numbers in commit order).
Result<PullResponse> PostgresHubStorage::Pull(const DeviceRecord& device, const PullRequest& request) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  PullResponse resp;
  const uint32_t limit = std::clamp<uint32_t>(request.max_rows == 0 ? 5000 : request.max_rows, 1, 20000);
  Status st = c->Transaction(
      [&]() -> Status {
        resp = PullResponse{};
        BERTH_RETURN_IF_ERROR(c->Run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"));
        BERTH_ASSIGN_OR_RETURN(PgResult h,
                               c->Exec("SELECT coalesce((SELECT value FROM hub_state WHERE key ="
                                       " 'horizon'), 0), (SELECT last FROM hub_seq WHERE id = 1)"));
        const uint64_t horizon = static_cast<uint64_t>(h.Int(0, 0));
        const uint64_t last = static_cast<uint64_t>(h.Int(0, 1));
        resp.horizon = horizon;
        if (!request.snapshot && request.cursor > 0 && request.cursor < horizon) {
          resp.snapshot_required = 1;
          resp.next_cursor = request.cursor;
          return Status::Ok();
        }
        std::vector<PgParam> params = {static_cast<int64_t>(request.cursor), static_cast<int64_t>(limit)};
        std::string sql =
            // The row of each entry by its key, per row of the page: with a join the planner may hash the
            // whole hub_row table for every page when its statistics lag a large push (pulls ran at 40%).
            "SELECT c.seq, c.entity, c.row_id, (SELECT r.sealed FROM hub_row r WHERE r.entity = c.entity"
            " AND r.row_id = c.row_id) FROM hub_change c WHERE c.seq > $1";
        if (!request.snapshot) {
          params.emplace_back(device.device_id);
          sql += " AND NOT (c.writer = $" + std::to_string(params.size()) + " AND c.echo_ok)";
        }
        if (std::find(device.scope.begin(), device.scope.end(), "*") == device.scope.end()) {
          sql += " AND ((c.area = '*' AND c.entity = 'setting')";
          for (const auto& a : device.scope) {
            params.emplace_back(a);
            sql += " OR c.area = $" + std::to_string(params.size());
          }
          sql += ")";
        }
        sql += " ORDER BY c.seq LIMIT $2";
        BERTH_ASSIGN_OR_RETURN(PgResult r, c->Exec(sql, params));
        for (int i = 0; i < r.rows(); ++i) {
          const std::string entity = r.Text(i, 1), row_id = r.Text(i, 2);
          if (!RoleMayRead(device.role, entity) || r.IsNull(i, 3)) continue;
          BERTH_ASSIGN_OR_RETURN(RowState rs, OpenRow(row_key_, entity, row_id, r.Blob(i, 3)));
          resp.rows.push_back(std::move(rs));
        }
        if (r.rows() == static_cast<int>(limit)) {
          resp.next_cursor = static_cast<uint64_t>(r.Int(r.rows() - 1, 0));
          resp.more = 1;
          return Status::Ok();
        }
        // Every number up to `last` is committed in this snapshot (or purged): the device is past them.
        resp.next_cursor = std::max<uint64_t>({request.cursor, horizon, last});
        resp.more = 0;
        return Status::Ok();
      },
      false, false);
  if (!st.ok()) return st;
  return resp;
}

Result<int64_t> PostgresHubStorage::PurgeTombstones(int64_t before_ms) {
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  int64_t purged = 0;
  Status st = c->Transaction([&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(
        PgResult r,
        c->Exec(
            "WITH gone AS (DELETE FROM hub_change WHERE deleted = 1 AND changed_ms < $1 AND seq IS NOT NULL"
            " RETURNING entity, row_id, seq), rows AS (DELETE FROM hub_row h USING gone g WHERE"
            " h.entity = g.entity AND h.row_id = g.row_id) SELECT count(*), coalesce(max(seq), 0) FROM gone",
            {before_ms}));
    purged = r.Int(0, 0);
    return c->Run(
        "INSERT INTO hub_state (key, value) VALUES ('horizon', $1) ON CONFLICT (key) DO UPDATE SET"
        " value = greatest(hub_state.value, excluded.value)",
        {r.Int(0, 1)});
  });
  if (!st.ok()) return st;
  return purged;
}

}  // namespace berth::sync::internal

namespace berth::sync::internal {

// The portal's reads (PROTOCOL.md section 14): rows are sealed whole, so every row of the table is opened
// and the field compared here. The portal reads a provider's few tables, not the referrals at large.
Result<std::vector<std::map<std::string, Value>>> PostgresHubStorage::RowsWhere(
    const std::string& entity, const std::string& field, const std::vector<std::string>& values) {
  if (schema_.Columns(entity) == nullptr) return BadInput("no such table");
  const std::set<std::string> wanted(values.begin(), values.end());
  BERTH_ASSIGN_OR_RETURN(auto c, pool_.Take());
  BERTH_ASSIGN_OR_RETURN(PgResult r, c->Exec("SELECT row_id, sealed FROM hub_row WHERE entity = $1 AND"
                                             " deleted = 0 ORDER BY row_id",
                                             {entity}));
  std::vector<std::map<std::string, Value>> out;
  for (int i = 0; i < r.rows(); ++i) {
    BERTH_ASSIGN_OR_RETURN(RowState rs, OpenRow(row_key_, entity, r.Text(i, 0), r.Blob(i, 1)));
    if (rs.deleted) continue;
    std::map<std::string, Value> row = ValuesWithLatestClock(rs);
    auto it = row.find(field);
    if (it == row.end() || !wanted.count(ValueText(it->second))) continue;
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace berth::sync::internal

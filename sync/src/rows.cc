// Rows that sync (rows.h): the syncable tables and columns, row values with their field clocks, and the
// last-writer-wins merge that devices and the hub both apply.

#include "rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <tuple>

namespace berth::sync::internal {

Status Schema::Load(Db& db) {
  BERTH_ASSIGN_OR_RETURN(columns_, SyncableTables(db));
  BERTH_RETURN_IF_ERROR(Sets());
  return LoadDefaults(db);
}

Status Schema::LoadThisBuild() {
  BERTH_ASSIGN_OR_RETURN(columns_, SyncableTablesOfThisBuild());
  field_defaults_.clear();  // no store to read them from: inserts name every field
  return Sets();
}

namespace {

constexpr const char* kIfNew = " ON CONFLICT (id) DO NOTHING";

// INSERT INTO "entity" (id, hlc, origin, "field", ...) VALUES (?, ?, ?, ?, ...): the row's id and clock
// bind first, then `fields` in order; `if_new` adds kIfNew. Built in one string: a pull builds one per
// row that leaves defaults out (InsertRowState).
std::string RowInsertSql(const std::string& entity, const std::vector<const std::string*>& fields,
                         bool if_new) {
  std::string sql;
  sql.reserve(96 + entity.size() + 28 * fields.size());
  sql += "INSERT INTO \"";
  sql += entity;
  sql += "\" (id, hlc, origin";
  for (const std::string* f : fields) {
    sql += ", \"";
    sql += *f;
    sql += '"';
  }
  sql += ") VALUES (?, ?, ?";
  for (size_t i = 0; i < fields.size(); ++i) sql += ", ?";
  sql += ')';
  if (if_new) sql += kIfNew;
  return sql;
}

// A column's DEFAULT as the value an INSERT that leaves the column out stores: NULL for a nullable column
// without one, a quoted text or an integer literal; nothing for any other default (an expression, a real)
// or a NOT NULL column without one, which an insert must always name.
std::optional<Value> DefaultValue(const Statement& info) {
  const bool not_null = info.Int(3) != 0;
  if (info.IsNull(4)) return not_null ? std::nullopt : std::optional<Value>(Value{});
  const std::string text = info.Text(4);
  if (text.size() >= 2 && text.front() == '\'' && text.back() == '\'') {
    std::string unquoted;
    for (size_t i = 1; i + 1 < text.size(); ++i) {
      if (text[i] == '\'' && text[i + 1] == '\'') ++i;  // '' is one quote in SQL text
      unquoted += text[i];
    }
    return Value{std::move(unquoted)};
  }
  int64_t n = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (error == std::errc() && end == text.data() + text.size()) return Value{n};
  return std::nullopt;
}

}  // namespace

Status Schema::LoadDefaults(Db& db) {
  field_defaults_.clear();
  for (const auto& [entity, fields] : field_columns_) {
    std::map<std::string, std::optional<Value>> by_name;
    BERTH_ASSIGN_OR_RETURN(Statement info, db.Prepare("PRAGMA table_info(\"" + entity + "\")"));
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool r, info.Step());
      if (!r) break;
      by_name[info.Text(1)] = DefaultValue(info);
    }
    std::vector<std::optional<Value>>& defaults = field_defaults_[entity];
    for (const std::string& f : fields) defaults.push_back(by_name[f]);
  }
  return Status::Ok();
}

const std::vector<std::optional<Value>>* Schema::FieldDefaults(const std::string& entity) const {
  auto it = field_defaults_.find(entity);
  return it == field_defaults_.end() ? nullptr : &it->second;
}

Status Schema::Sets() {
  column_sets_.clear();
  field_columns_.clear();
  whole_row_insert_.clear();
  select_row_.clear();
  for (const auto& [entity, columns] : columns_) {
    column_sets_[entity] = std::set<std::string>(columns.begin(), columns.end());
    // The synced columns by name, never `*`: a hub's tables carry kHubSeqColumn too.
    std::string& select = select_row_[entity];
    for (const std::string& c : columns)
      select.append(select.empty() ? "SELECT \"" : ", \"").append(c).append("\"");
    select.append(" FROM \"").append(entity).append("\" WHERE id = ?");
    std::vector<std::string>& fields = field_columns_[entity];
    std::vector<const std::string*> names;
    for (const std::string& c : columns) {
      if (c == "id" || c == "hlc" || c == "origin") continue;
      fields.push_back(c);
      names.push_back(&c);
    }
    whole_row_insert_[entity] = {RowInsertSql(entity, names, false), RowInsertSql(entity, names, true)};
  }
  return Status::Ok();
}

const std::string* Schema::SelectRowSql(const std::string& entity) const {
  auto it = select_row_.find(entity);
  return it == select_row_.end() ? nullptr : &it->second;
}

const std::vector<std::string>* Schema::FieldColumns(const std::string& entity) const {
  auto it = field_columns_.find(entity);
  return it == field_columns_.end() ? nullptr : &it->second;
}

const std::string* Schema::WholeRowInsertSql(const std::string& entity, bool if_new) const {
  auto it = whole_row_insert_.find(entity);
  if (it == whole_row_insert_.end()) return nullptr;
  return if_new ? &it->second.second : &it->second.first;
}

const std::set<std::string>* Schema::ColumnSet(const std::string& entity) const {
  auto it = column_sets_.find(entity);
  return it == column_sets_.end() ? nullptr : &it->second;
}

const std::vector<std::string>* Schema::Columns(const std::string& entity) const {
  auto it = columns_.find(entity);
  return it == columns_.end() ? nullptr : &it->second;
}

std::vector<std::string> Schema::Entities() const {
  std::vector<std::string> out;
  for (const auto& kv : columns_) out.push_back(kv.first);
  return out;
}

std::string ValueText(const Value& v) {
  if (const auto* x = std::get_if<int64_t>(&v)) return std::to_string(*x);
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{}", *d);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return "";
}

Result<std::optional<Bytes>> GetStateValue(Db& db, std::string_view table, const std::string& key) {
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db.Cached("SELECT value FROM " + std::string(table) + " WHERE key = ?"));
  s.Bind(1, key);
  BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
  if (!found) return std::optional<Bytes>();
  return std::optional<Bytes>(s.Blob(0));
}

Status PutStateValue(Db& db, std::string_view table, const std::string& key, std::span<const uint8_t> value) {
  BERTH_ASSIGN_OR_RETURN(
      Statement s,
      db.Cached("INSERT INTO " + std::string(table) +
                " (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"));
  s.Bind(1, key).BindBlob(2, value);
  return s.Run();
}

Result<std::map<std::string, Value>> ReadRowValues(Db& db, const Schema& schema, const std::string& entity,
                                                   const std::string& row_id) {
  std::map<std::string, Value> out;
  const std::string* select = schema.SelectRowSql(entity);
  if (select == nullptr) return out;
  BERTH_ASSIGN_OR_RETURN(Statement s, db.Cached(*select));
  s.Bind(1, row_id);
  BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
  if (found) {
    for (int c = 0; c < s.ColumnCount(); ++c) out[s.ColumnName(c)] = s.ValueAt(c);
  }
  return out;
}

Result<RowState> ReadRowState(Db& db, const Schema& schema, const std::string& entity,
                              const std::string& row_id) {
  RowState rs;
  rs.entity = entity;
  rs.row_id = row_id;
  const auto* cols = schema.Columns(entity);
  if (cols == nullptr) {
    rs.absent = 1;
    return rs;
  }
  {
    // The columns in the order Schema::Load read them in (SelectRowSql).
    BERTH_ASSIGN_OR_RETURN(Statement s, db.Cached(*schema.SelectRowSql(entity)));
    s.Bind(1, row_id);
    BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
    if (!found) {
      rs.absent = 1;
      return rs;
    }
    if (s.ColumnCount() != static_cast<int>(cols->size())) {
      return InternalError("the columns of '" + entity + "' changed while the sync engine was running");
    }
    rs.fields.reserve(cols->size());
    for (int c = 0; c < s.ColumnCount(); ++c) {
      const std::string& name = (*cols)[static_cast<size_t>(c)];
      if (name == "id") continue;
      if (name == "hlc") {
        rs.row_hlc = s.Text(c);
      } else if (name == "origin") {
        rs.row_origin = s.Text(c);
      } else {
        if (name == "deleted") rs.deleted = s.Int(c) != 0 ? 1 : 0;
        FieldState& f = rs.fields.emplace_back();
        f.name = name;
        f.value = s.ValueAt(c);
      }
    }
  }
  // Every field has its row's clock (left empty on the wire) unless field_clock says otherwise.
  BERTH_ASSIGN_OR_RETURN(
      Statement fc, db.Cached("SELECT field, hlc, origin FROM field_clock WHERE entity = ? AND row_id = ?"));
  fc.Bind(1, entity).Bind(2, row_id);
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool r, fc.Step());
    if (!r) break;
    const std::string field = fc.Text(0);
    for (FieldState& f : rs.fields) {
      if (f.name == field) {
        std::string hlc = fc.Text(1), origin = fc.Text(2);
        if (hlc != rs.row_hlc || origin != rs.row_origin) {
          f.hlc = std::move(hlc);
          f.origin = std::move(origin);
        }
        break;
      }
    }
  }
  return rs;
}

namespace {

struct Clock {
  std::string hlc;
  std::string origin;
  bool operator<(const Clock& o) const { return std::tie(hlc, origin) < std::tie(o.hlc, o.origin); }
};

}  // namespace

Status ApplyLww(Db& db, const Schema& schema, const Mutation& m, const KnownRow* known, bool* all_won,
                const ColumnStamp* stamp) {
  if (all_won != nullptr) *all_won = false;
  const auto* columns = schema.ColumnSet(m.entity);
  if (columns == nullptr) return BadInput("'" + m.entity + "' is not a table that syncs");
  return MergeLww(db, *columns, m, known, all_won, stamp);
}

Status JoinOrBegin(Db& db, const std::function<Status()>& body) {
  return db.InTransaction() ? body() : db.Transaction(body);
}

namespace {

// A field's own clock, for a field whose clock is not the row's (InsertRowState, ForceRowState).
Status InsertFieldClock(Db& db, const RowState& row, const FieldState& f) {
  BERTH_ASSIGN_OR_RETURN(Statement clk,
                         db.Cached("INSERT INTO field_clock (entity, row_id, field, hlc, origin)"
                                   " VALUES (?, ?, ?, ?, ?)"));
  clk.Bind(1, row.entity).Bind(2, row.row_id).Bind(3, f.name).Bind(4, f.hlc).Bind(5, f.origin);
  return clk.Run();
}

// MergeRowState for a row this store does not hold: one insert of the row at its row clock, then a
// field_clock entry for each field whose clock is newer. That is exactly what merging the row as one
// mutation per distinct clock leaves behind (ApplyLww inserts the row; each newer clock then wins its
// fields), without re-reading the row once per clock. A first sync is almost all such rows.
// With `if_new`, a row that already has this id is left alone and `*created` says whether the insert
// happened (the id's own index decides, so a new row costs no read before it). `whole_row_sql`, when
// set, is the schema's statement for a row whose fields are all its table's, in order (the usual pull),
// and `defaults` their defaults (Schema::FieldDefaults): a field that holds its column's default is left
// out of the insert, which stores the same value without binding it (most of a new bed's fields).
Status InsertRowState(Db& db, const RowState& row, const std::string* whole_row_sql,
                      const std::vector<std::optional<Value>>* defaults, bool if_new, bool* created) {
  std::vector<const FieldState*> named;
  named.reserve(row.fields.size());
  for (size_t k = 0; k < row.fields.size(); ++k) {
    const FieldState& f = row.fields[k];
    const bool is_default = defaults != nullptr && (*defaults)[k].has_value() && *(*defaults)[k] == f.value;
    if (!is_default) named.push_back(&f);
  }
  std::string built;
  if (whole_row_sql == nullptr || named.size() < row.fields.size()) {
    std::vector<const std::string*> names;
    names.reserve(named.size());
    for (const FieldState* f : named) names.push_back(&f->name);
    built = RowInsertSql(row.entity, names, if_new);
  }
  BERTH_ASSIGN_OR_RETURN(Statement ins, db.Cached(built.empty() ? *whole_row_sql : built));
  // `row` outlives `ins`: its values are bound where they are.
  ins.BindTextInPlace(1, row.row_id).BindTextInPlace(2, row.row_hlc).BindTextInPlace(3, row.row_origin);
  int i = 4;
  for (const FieldState* f : named) ins.BindValueInPlace(i++, f->value);
  BERTH_RETURN_IF_ERROR(ins.Run());
  if (created != nullptr) *created = db.Changes() > 0;
  if (if_new && !*created) return Status::Ok();
  const Clock row_clock{row.row_hlc, row.row_origin};
  for (const auto& f : row.fields) {
    if (f.HasRowClock() || !(row_clock < Clock{f.hlc, f.origin})) continue;
    BERTH_RETURN_IF_ERROR(InsertFieldClock(db, row, f));
  }
  return Status::Ok();
}

}  // namespace

Status MergeRowState(Store& store, const Schema& schema, const RowState& row) {
  if (row.absent) return Status::Ok();
  const auto* cols = schema.Columns(row.entity);
  if (cols == nullptr) return BadInput("'" + row.entity + "' is not a table that syncs");
  // Rows usually come with every field of their table in the table's order (ReadRowState): checked in
  // one walk, and inserted with the schema's own statement; any other set of fields is looked up.
  const std::vector<std::string>& field_columns = *schema.FieldColumns(row.entity);
  bool whole = row.fields.size() == field_columns.size();
  for (size_t k = 0; k < row.fields.size(); ++k) {
    const std::string& name = row.fields[k].name;
    if (whole && field_columns[k] == name) continue;
    whole = false;
    if (std::find(field_columns.begin(), field_columns.end(), name) == field_columns.end()) {
      return BadInput("'" + row.entity + "' has no field '" + name + "'");
    }
  }
  return JoinOrBegin(store.db(), [&]() -> Status {
    if (store.in_batch()) {
      // A batch (a pulled page) mostly brings rows this device has never seen, a first sync nothing else:
      // insert first, as Store::ApplyRemote does in a batch; an id already here takes the merge below.
      bool created = false;
      BERTH_RETURN_IF_ERROR(
          InsertRowState(store.db(), row, whole ? schema.WholeRowInsertSql(row.entity, true) : nullptr,
                         whole ? schema.FieldDefaults(row.entity) : nullptr, true, &created));
      if (created) return Status::Ok();
    }
    KnownRow known;
    {
      BERTH_ASSIGN_OR_RETURN(
          Statement probe, store.db().Cached("SELECT hlc, origin FROM \"" + row.entity + "\" WHERE id = ?"));
      probe.Bind(1, row.row_id);
      BERTH_ASSIGN_OR_RETURN(known.exists, probe.Step());
      if (known.exists) {
        known.hlc = probe.Text(0);
        known.origin = probe.Text(1);
      }
    }
    if (!known.exists) {
      return InsertRowState(store.db(), row, whole ? schema.WholeRowInsertSql(row.entity, false) : nullptr,
                            whole ? schema.FieldDefaults(row.entity) : nullptr, false, nullptr);
    }
    // First every field at the row's clock, then each newer clock's fields: each field ends at
    // max(local clock, hub clock) with that clock's value.
    Mutation base;
    base.kind = MutationKind::kUpsert;
    base.entity = row.entity;
    base.row_id = row.row_id;
    base.hlc = row.row_hlc;
    base.origin_device = row.row_origin;
    std::map<std::pair<std::string, std::string>, Mutation> later;
    for (const auto& f : row.fields) {
      base.fields[f.name] = f.value;
      if (f.HasRowClock()) continue;
      Mutation& m = later[{f.hlc, f.origin}];
      if (m.entity.empty()) {
        m.kind = MutationKind::kUpsert;
        m.entity = row.entity;
        m.row_id = row.row_id;
        m.hlc = f.hlc;
        m.origin_device = f.origin;
      }
      m.fields[f.name] = f.value;
    }
    BERTH_RETURN_IF_ERROR(ApplyLww(store.db(), schema, base, &known));
    for (const auto& kv : later) BERTH_RETURN_IF_ERROR(ApplyLww(store.db(), schema, kv.second));
    return Status::Ok();
  });
}

Status ForceRowState(Store& store, const Schema& schema, const RowState& row) {
  const auto* cols = schema.Columns(row.entity);
  if (cols == nullptr) return Status::Ok();
  Db& db = store.db();
  return JoinOrBegin(db, [&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(Statement del_fc,
                           db.Cached("DELETE FROM field_clock WHERE entity = ? AND row_id = ?"));
    del_fc.Bind(1, row.entity).Bind(2, row.row_id);
    BERTH_RETURN_IF_ERROR(del_fc.Run());
    BERTH_ASSIGN_OR_RETURN(Statement del, db.Cached("DELETE FROM \"" + row.entity + "\" WHERE id = ?"));
    del.Bind(1, row.row_id);
    BERTH_RETURN_IF_ERROR(del.Run());
    if (row.absent) return Status::Ok();
    std::vector<const std::string*> names;
    for (const auto& f : row.fields) {
      if (std::find(cols->begin(), cols->end(), f.name) != cols->end()) names.push_back(&f.name);
    }
    BERTH_ASSIGN_OR_RETURN(Statement ins, db.Cached(RowInsertSql(row.entity, names, false)));
    ins.Bind(1, row.row_id).Bind(2, row.row_hlc).Bind(3, row.row_origin);
    int i = 4;
    for (const auto& f : row.fields) {
      if (std::find(cols->begin(), cols->end(), f.name) == cols->end()) continue;
      ins.BindValue(i++, f.value);
    }
    BERTH_RETURN_IF_ERROR(ins.Run());
    for (const auto& f : row.fields) {
      if (f.HasRowClock() || (f.hlc == row.row_hlc && f.origin == row.row_origin)) continue;
      BERTH_RETURN_IF_ERROR(InsertFieldClock(db, row, f));
    }
    return Status::Ok();
  });
}

std::map<std::string, Value> ValuesWithLatestClock(const RowState& row) {
  std::map<std::string, Value> out;
  std::string latest = row.row_hlc;
  for (const auto& f : row.fields) {
    out[f.name] = f.value;
    if (f.hlc > latest) latest = f.hlc;  // the text form sorts like the stamp (ids.h)
  }
  out["id"] = row.row_id;
  out["hlc"] = latest;
  return out;
}

}  // namespace berth::sync::internal

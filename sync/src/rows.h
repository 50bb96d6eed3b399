// Reading a row with its per-field clocks (RowState), and writing one back: merged through
// Store::ApplyRemote (pull) or forced to the hub's state (rollback of a rejected mutation).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "berth/schema/store.h"
#include "berth/sync/wire.h"

namespace berth::sync::internal {

// The columns of a syncable table (empty if `entity` is not one). Cached per connection.
class Schema {
 public:
  Status Load(Db& db);
  // The tables that sync in this build (SyncableTablesOfThisBuild), for a hub without a Store.
  Status LoadThisBuild();
  const std::vector<std::string>* Columns(const std::string& entity) const;
  const std::set<std::string>* ColumnSet(const std::string& entity) const;  // the same, as a set
  std::vector<std::string> Entities() const;
  // The columns a row's fields may name (all but id, hlc and origin), in the table's order, and the
  // statement that inserts a row with exactly those fields in that order (id, hlc and origin bound first;
  // `if_new`: ON CONFLICT (id) DO NOTHING). Null if `entity` is not a table that syncs.
  const std::vector<std::string>* FieldColumns(const std::string& entity) const;
  const std::string* WholeRowInsertSql(const std::string& entity, bool if_new) const;
  // Each of FieldColumns' defaults, as the value an insert leaving the column out stores (nullopt when an
  // insert must name it). Read by Load; LoadThisBuild has none (every entry nullopt: nothing left out).
  const std::vector<std::optional<Value>>* FieldDefaults(const std::string& entity) const;
  // SELECT of every synced column of one row by id (bound first), in Columns' order.
  const std::string* SelectRowSql(const std::string& entity) const;

 private:
  std::map<std::string, std::vector<std::string>> columns_;
  Status Sets();
  std::map<std::string, std::set<std::string>> column_sets_;
  std::map<std::string, std::vector<std::string>> field_columns_;
  std::map<std::string, std::pair<std::string, std::string>> whole_row_insert_;  // plain, if new
  std::map<std::string, std::string> select_row_;
  Status LoadDefaults(Db& db);
  std::map<std::string, std::vector<std::optional<Value>>> field_defaults_;
};

// The row as stored (absent = 1 when there is none).
Result<RowState> ReadRowState(Db& db, const Schema& schema, const std::string& entity,
                              const std::string& row_id);
// One row's current values (empty map when absent).
Result<std::map<std::string, Value>> ReadRowValues(Db& db, const Schema& schema, const std::string& entity,
                                                   const std::string& row_id);
using berth::KnownRow;
// berth::MergeLww (the one last-writer-wins rule, shared with Store::ApplyRemote) on a table that syncs;
// kBadInput when `m.entity` is not one. The caller holds a transaction.
using berth::ColumnStamp;
Status ApplyLww(Db& db, const Schema& schema, const Mutation& m, const KnownRow* known = nullptr,
                bool* all_won = nullptr, const ColumnStamp* stamp = nullptr);
// Runs `body` in the caller's transaction if there is one (no savepoint: the caller rolls back on an
// error), else in a transaction of its own.
Status JoinOrBegin(Db& db, const std::function<Status()>& body);
// Merges `row` into the store, last-writer-wins per field (ApplyLww).
Status MergeRowState(Store& store, const Schema& schema, const RowState& row);
// Makes the store's row exactly `row` (values and clocks); removes it when `row.absent`.
Status ForceRowState(Store& store, const Schema& schema, const RowState& row);

std::string ValueText(const Value& v);

// A row's values by column (its "id" included), with "hlc" the latest clock of any of its fields: what the
// portal reads, and stamps its own change of the row after (portal.cc).
std::map<std::string, Value> ValuesWithLatestClock(const RowState& row);

// Sync's own key/value tables: sync_state on a device, hub_state on the hub (schema/migrations). The value of
// `key`, nullopt when there is none.
Result<std::optional<Bytes>> GetStateValue(Db& db, std::string_view table, const std::string& key);
// Sets `key` to `value`, replacing what was there.
Status PutStateValue(Db& db, std::string_view table, const std::string& key, std::span<const uint8_t> value);

}  // namespace berth::sync::internal

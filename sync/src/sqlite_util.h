// Typed access to SQLite for sync's hot paths: a cache of prepared statements and column values read as
// berth::Value (Statement in schema/ has no type accessor). Internal to berth_sync.
#pragma once

#include <sqlite3.h>

#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "berth/schema/db.h"
#include "berth/schema/mutation.h"
#include "berth/schema/status.h"

namespace berth::sync::internal {

class Stmt {
 public:
  Stmt() = default;
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindBlob(int i, const void* p, size_t n) {
    sqlite3_bind_blob(s_, i, p, static_cast<int>(n), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& BindValue(int i, const Value& v) {
    if (const auto* x = std::get_if<int64_t>(&v)) {
      sqlite3_bind_int64(s_, i, *x);
    } else if (const auto* d = std::get_if<double>(&v)) {
      sqlite3_bind_double(s_, i, *d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      Bind(i, std::string_view(*s));
    } else {
      sqlite3_bind_null(s_, i);
    }
    return *this;
  }
  // true: a row; false: done. Errors become Status.
  Result<bool> Step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteStatus(rc, sqlite3_errmsg(sqlite3_db_handle(s_)));
  }
  Status Run() {
    auto r = Step();
    return r.ok() ? Status::Ok() : r.status();
  }
  int64_t Int(int c) const { return sqlite3_column_int64(s_, c); }
  double Real(int c) const { return sqlite3_column_double(s_, c); }
  std::string Text(int c) const {
    const auto* p = sqlite3_column_text(s_, c);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(s_, c));
  }
  std::vector<uint8_t> Blob(int c) const {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(s_, c));
    return p == nullptr ? std::vector<uint8_t>() : std::vector<uint8_t>(p, p + sqlite3_column_bytes(s_, c));
  }
  Value Val(int c) const {
    switch (sqlite3_column_type(s_, c)) {
      case SQLITE_INTEGER:
        return Value(static_cast<int64_t>(sqlite3_column_int64(s_, c)));
      case SQLITE_FLOAT:
        return Value(sqlite3_column_double(s_, c));
      case SQLITE_NULL:
        return Value();
      default:
        return Value(Text(c));
    }
  }
  int Columns() const { return sqlite3_column_count(s_); }
  std::string Name(int c) const { return sqlite3_column_name(s_, c); }
  sqlite3_stmt* raw() const { return s_; }

 private:
  sqlite3_stmt* s_ = nullptr;
};

// Prepared statements kept for the connection's life; Get() resets and clears bindings.
class StmtCache {
 public:
  explicit StmtCache(sqlite3* db) : db_(db) {}
  ~StmtCache() {
    for (auto& kv : cache_) sqlite3_finalize(kv.second);
  }
  StmtCache(const StmtCache&) = delete;
  StmtCache& operator=(const StmtCache&) = delete;
  Result<Stmt> Get(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      sqlite3_stmt* s = nullptr;
      const int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &s, nullptr);
      if (rc != SQLITE_OK) return SqliteStatus(rc, sqlite3_errmsg(db_));
      it = cache_.emplace(sql, s).first;
    }
    sqlite3_reset(it->second);
    sqlite3_clear_bindings(it->second);
    return Stmt(it->second);
  }
  void Clear() {
    for (auto& kv : cache_) sqlite3_finalize(kv.second);
    cache_.clear();
  }

 private:
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace berth::sync::internal

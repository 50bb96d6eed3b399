// The one SQLite wrapper (db.h): Db, Statement with RAII reset, and the pool of cached statements.

#include "berth/schema/db.h"

#include <sqlite3.h>

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "berth/schema/crypt_vfs.h"

namespace berth {

// Compiled statements waiting for reuse, by SQL text. Shared with the Statements borrowed from it, so a
// Statement destroyed after Close() finds the pool closed and finalizes itself instead.
struct StatementPool {
  // Looked up by string_view: a batch borrows a statement per row, so no copy of the SQL per lookup.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  bool closed = false;
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>, SqlHash, std::equal_to<>> idle;
  // Each cached statement's list in `idle` (a map's elements stay where they are as it grows).
  std::unordered_map<sqlite3_stmt*, std::vector<sqlite3_stmt*>*> sql_of;

  void FinalizeAll() {
    for (auto& [sql, stmts] : idle) {
      for (sqlite3_stmt* s : stmts) {
        sql_of.erase(s);
        sqlite3_finalize(s);
      }
    }
    idle.clear();
    closed = true;
  }
};

Status SqliteStatus(int rc, std::string message) {
  const int primary = rc & 0xFF;
  if (rc == SQLITE_IOERR_DATA || primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    return IntegrityError(std::move(message));
  }
  if (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN)
    return IoError(std::move(message));
  if (primary == SQLITE_CONSTRAINT) return ConflictError(std::move(message));
  return InternalError(std::move(message));
}

// ---- Statement ----------------------------------------------------------------------------------------

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(other.stmt_),
      pool_(std::move(other.pool_)),
      bind_error_(std::move(other.bind_error_)) {
  other.stmt_ = nullptr;
}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    Release();
    db_ = other.db_;
    stmt_ = other.stmt_;
    pool_ = std::move(other.pool_);
    bind_error_ = std::move(other.bind_error_);
    other.stmt_ = nullptr;
  }
  return *this;
}

Statement::~Statement() {
  Release();
}

void Statement::Release() {
  if (stmt_ == nullptr) return;
  if (pool_ != nullptr && !pool_->closed) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    auto it = pool_->sql_of.find(stmt_);
    if (it != pool_->sql_of.end()) {
      it->second->push_back(stmt_);
      stmt_ = nullptr;
      pool_.reset();
      return;
    }
  }
  if (pool_ != nullptr) pool_->sql_of.erase(stmt_);
  sqlite3_finalize(stmt_);
  stmt_ = nullptr;
  pool_.reset();
}

namespace {
// The first bind that fails is the statement's error, which Step() returns; later binds are skipped. A
// bind that succeeds assigns nothing: a batch binds tens of values per row.
void NoteBind(Status* bind_error, sqlite3* db, int rc, int index) {
  if (rc != SQLITE_OK) {
    *bind_error = SqliteStatus(rc, "binding parameter " + std::to_string(index) + ": " + sqlite3_errmsg(db));
  }
}
}  // namespace

Statement& Statement::Bind(int index, int64_t value) {
  if (bind_error_.ok()) NoteBind(&bind_error_, db_, sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  if (bind_error_.ok()) NoteBind(&bind_error_, db_, sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view text) {
  if (bind_error_.ok()) {
    NoteBind(&bind_error_, db_,
             sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
             index);
  }
  return *this;
}
Statement& Statement::BindBlob(int index, std::span<const uint8_t> bytes) {
  if (bind_error_.ok()) {
    NoteBind(&bind_error_, db_,
             sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT), index);
  }
  return *this;
}
Statement& Statement::BindNull(int index) {
  if (bind_error_.ok()) NoteBind(&bind_error_, db_, sqlite3_bind_null(stmt_, index), index);
  return *this;
}

Statement& Statement::BindValue(int index, const Value& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return Bind(index, *i);
  if (const auto* d = std::get_if<double>(&value)) return Bind(index, *d);
  if (const auto* t = std::get_if<std::string>(&value)) return Bind(index, std::string_view(*t));
  return BindNull(index);
}

Statement& Statement::BindValueInPlace(int index, const Value& value) {
  const auto* t = std::get_if<std::string>(&value);
  return t == nullptr ? BindValue(index, value) : BindTextInPlace(index, *t);
}
Statement& Statement::BindTextInPlace(int index, std::string_view text) {
  if (bind_error_.ok()) {
    NoteBind(&bind_error_, db_,
             sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8), index);
  }
  return *this;
}

Result<bool> Statement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const int ext = sqlite3_extended_errcode(db_);
  return SqliteStatus(ext != 0 ? ext : rc, sqlite3_errmsg(db_));
}

Status Statement::Run() {
  while (true) {
    auto row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_ = Status::Ok();
}

int64_t Statement::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}
double Statement::Real(int column) const {
  return sqlite3_column_double(stmt_, column);
}
std::string Statement::Text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}
std::vector<uint8_t> Statement::Blob(int column) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, column));
  const int n = sqlite3_column_bytes(stmt_, column);
  return p ? std::vector<uint8_t>(p, p + n) : std::vector<uint8_t>();
}
bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}
Value Statement::ValueAt(int column) const {
  switch (sqlite3_column_type(stmt_, column)) {
    case SQLITE_INTEGER:
      return Value(static_cast<int64_t>(sqlite3_column_int64(stmt_, column)));
    case SQLITE_FLOAT:
      return Value(sqlite3_column_double(stmt_, column));
    case SQLITE_NULL:
      return Value();
    default:
      return Value(Text(column));
  }
}
int Statement::ColumnCount() const {
  return sqlite3_column_count(stmt_);
}
std::string Statement::ColumnName(int column) const {
  const char* n = sqlite3_column_name(stmt_, column);
  return n ? n : "";
}

// ---- Db -----------------------------------------------------------------------------------------------

Db::Db(Db&& other) noexcept
    : db_(other.db_),
      savepoint_depth_(other.savepoint_depth_),
      savepoint_rollbacks_(other.savepoint_rollbacks_),
      pool_(std::move(other.pool_)) {
  other.db_ = nullptr;
}

Db& Db::operator=(Db&& other) noexcept {
  if (this != &other) {
    Close();
    db_ = other.db_;
    savepoint_depth_ = other.savepoint_depth_;
    savepoint_rollbacks_ = other.savepoint_rollbacks_;
    pool_ = std::move(other.pool_);
    other.db_ = nullptr;
  }
  return *this;
}

Db::~Db() {
  Close();
}

void Db::Close() {
  if (pool_ != nullptr) {
    pool_->FinalizeAll();
    pool_.reset();
  }
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
}

Result<Db> Db::Open(const std::string& path, const char* vfs, bool create, bool uri) {
  ConfigureSqliteProcess();
  sqlite3* handle = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  if (uri) flags |= SQLITE_OPEN_URI;
  const int rc = sqlite3_open_v2(path.c_str(), &handle, flags, vfs);
  if (rc != SQLITE_OK) {
    std::string msg = handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc);
    const int ext = handle ? sqlite3_extended_errcode(handle) : rc;
    sqlite3_close_v2(handle);
    return SqliteStatus(ext, "opening database: " + msg);
  }
  sqlite3_extended_result_codes(handle, 1);
  return Db(handle);
}

Status Db::Error(int rc, std::string_view what) const {
  const int ext = db_ ? sqlite3_extended_errcode(db_) : rc;
  return SqliteStatus(ext != 0 ? ext : rc,
                      std::string(what) + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
}

Status Db::Exec(std::string_view sql) {
  if (db_ == nullptr) return NotAuthorised("the store is locked");
  const std::string s(sql);
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return SqliteStatus(sqlite3_extended_errcode(db_), msg);
  }
  return Status::Ok();
}

Result<Statement> Db::Prepare(std::string_view sql) {
  if (db_ == nullptr) return NotAuthorised("the store is locked");
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "preparing statement");
  return Statement(db_, stmt);
}

Result<Statement> Db::Cached(std::string_view sql) {
  if (db_ == nullptr) return NotAuthorised("the store is locked");
  if (pool_ == nullptr) pool_ = std::make_shared<StatementPool>();
  auto idle = pool_->idle.find(sql);
  if (idle != pool_->idle.end() && !idle->second.empty()) {
    sqlite3_stmt* stmt = idle->second.back();
    idle->second.pop_back();
    return Statement(db_, stmt, pool_);
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                    &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, "preparing statement");
  if (idle == pool_->idle.end()) idle = pool_->idle.try_emplace(std::string(sql)).first;
  pool_->sql_of.emplace(stmt, &idle->second);
  return Statement(db_, stmt, pool_);
}

Status Db::RunCached(const std::string& sql) {
  BERTH_ASSIGN_OR_RETURN(Statement st, Cached(sql));
  return st.Run();
}

Result<int64_t> Db::QueryInt(std::string_view sql) {
  BERTH_ASSIGN_OR_RETURN(Statement st, Prepare(sql));
  BERTH_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("query returned no row");
  return st.Int(0);
}

bool Db::InTransaction() const {
  return db_ != nullptr && sqlite3_get_autocommit(db_) == 0;
}

Status Db::Transaction(const std::function<Status()>& body) {
  if (db_ == nullptr) return NotAuthorised("the store is locked");
  const bool nested = InTransaction();
  const std::string sp = "sp" + std::to_string(savepoint_depth_);
  BERTH_RETURN_IF_ERROR(RunCached(nested ? "SAVEPOINT " + sp : std::string("BEGIN IMMEDIATE")));
  if (nested) ++savepoint_depth_;
  Status st = body();
  if (nested) --savepoint_depth_;
  if (st.ok()) {
    st = RunCached(nested ? "RELEASE " + sp : std::string("COMMIT"));
    if (st.ok()) return st;
  }
  // Rolling back may itself fail after an I/O error; the original error is the one worth reporting.
  if (nested) {
    ++savepoint_rollbacks_;
    (void)RunCached("ROLLBACK TO " + sp);
    (void)RunCached("RELEASE " + sp);
  } else if (InTransaction()) {
    (void)Exec("ROLLBACK");
  }
  return st;
}

Status Db::ReadTransaction(const std::function<Status()>& body) {
  if (db_ == nullptr) return NotAuthorised("the store is locked");
  if (InTransaction()) return InternalError("a read transaction cannot be nested");
  BERTH_RETURN_IF_ERROR(RunCached("BEGIN"));
  Status st = body();
  if (st.ok()) st = RunCached("COMMIT");
  if (!st.ok() && InTransaction()) (void)Exec("ROLLBACK");
  return st;
}

int64_t Db::LastInsertRowId() const {
  return sqlite3_last_insert_rowid(db_);
}
int Db::Changes() const {
  return sqlite3_changes(db_);
}

}  // namespace berth

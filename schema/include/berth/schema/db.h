// A thin RAII layer over one SQLite connection: prepared statements, transactions, and SQLite result
// codes turned into Status where they enter Berth. Not thread-safe: one Db belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "berth/schema/status.h"
#include "berth/schema/value.h"

struct sqlite3;
struct sqlite3_stmt;

namespace berth {

class Db;
struct StatementPool;

class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT).
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::string& text) { return Bind(index, std::string_view(text)); }
  Statement& BindBlob(int index, std::span<const uint8_t> bytes);
  Statement& BindNull(int index);
  // NULL, an integer, a real or text, as the Value holds.
  Statement& BindValue(int index, const Value& value);
  // BindValue without the copy, for the batch paths that bind a row's values once per row: `value` must
  // stay alive and unchanged until this Statement (or one it is moved into) is destroyed.
  Statement& BindValueInPlace(int index, const Value& value);
  Statement& BindTextInPlace(int index, std::string_view text);  // the same contract for `text`

  // true while there is a row to read, false when done. A bind error is returned here, before stepping.
  Result<bool> Step();
  // Steps to completion, for statements that return no rows.
  Status Run();
  // Ends the statement's read (so its snapshot of the database is let go) and clears its bindings.
  // Destroying a Statement does the same.
  void Reset();

  // Columns are 0-based, as in SQLite.
  int64_t Int(int column) const;
  double Real(int column) const;
  std::string Text(int column) const;
  std::vector<uint8_t> Blob(int column) const;
  bool IsNull(int column) const;
  // The column as a Value, by its storage class (a blob is read as text).
  Value ValueAt(int column) const;
  int ColumnCount() const;
  std::string ColumnName(int column) const;

 private:
  friend class Db;
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::shared_ptr<StatementPool> pool = nullptr)
      : db_(db), stmt_(stmt), pool_(std::move(pool)) {}
  void Release();
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::shared_ptr<StatementPool> pool_;  // set for statements borrowed from Db::Cached
  Status bind_error_;
};

class Db {
 public:
  Db() = default;
  explicit Db(sqlite3* handle) : db_(handle) {}  // takes ownership
  Db(Db&& other) noexcept;
  Db& operator=(Db&& other) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  // Opens `path` with the named VFS (nullptr: SQLite's default). `uri` enables URI filenames.
  static Result<Db> Open(const std::string& path, const char* vfs, bool create, bool uri);

  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  // Like Prepare, but the compiled statement is kept for the next call with the same SQL: use it on hot
  // paths (per-row writes) where parsing would cost more than running. When the returned Statement is
  // destroyed it is reset and goes back to the pool; two live Statements for one SQL text are two
  // separate compiled statements, so nested use is safe. Statements must not outlive Close().
  Result<Statement> Cached(std::string_view sql);
  // A single value from a query returning one row and one column, e.g. "SELECT count(*) FROM bed".
  Result<int64_t> QueryInt(std::string_view sql);

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back if it returns an error. Nested calls join
  // the outer transaction (a savepoint), so helpers can be composed.
  Status Transaction(const std::function<Status()>& body);
  // Runs `body` inside BEGIN (deferred) ... COMMIT: one consistent snapshot for reads that takes no write
  // lock, so in WAL mode it neither waits for nor blocks a writer. Not nested; `body` must not write.
  Status ReadTransaction(const std::function<Status()>& body);
  bool InTransaction() const;
  // How many nested Transaction calls have rolled back their savepoint on this connection: a caller that
  // keeps state about the enclosing transaction (Store::Batch) can tell that rows it saw were undone.
  int64_t savepoint_rollbacks() const { return savepoint_rollbacks_; }

  int64_t LastInsertRowId() const;
  int Changes() const;
  void Close();
  bool is_open() const { return db_ != nullptr; }
  sqlite3* raw() const { return db_; }

  // Converts a SQLite result code into a Status, with the connection's message.
  Status Error(int rc, std::string_view what) const;

 private:
  // Runs one statement of the transaction machinery (BEGIN, COMMIT, SAVEPOINT ...) from the pool.
  Status RunCached(const std::string& sql);

  sqlite3* db_ = nullptr;
  int savepoint_depth_ = 0;
  int64_t savepoint_rollbacks_ = 0;
  std::shared_ptr<StatementPool> pool_;
};

// Converts any SQLite result code to Berth's codes: SQLITE_IOERR_DATA / CORRUPT / NOTADB -> kIntegrity,
// other I/O errors -> kIo, CONSTRAINT -> kConflict, everything else -> kInternal.
Status SqliteStatus(int rc, std::string message);

}  // namespace berth

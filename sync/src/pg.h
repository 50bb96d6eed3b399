// A thin layer over libpq for the hub's PostgreSQL storage (hub_storage_pg.h): one connection, statements
// with parameters (never SQL built from values), results read by row and column, transactions that are
// retried when the server aborts them for a serialization failure or a deadlock, and a small pool so the
// threads of one hub process each use a connection of their own (no process-wide lock).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "berth/schema/status.h"
#include "berth/sync/wire.h"

struct pg_conn;
struct pg_result;

namespace berth::sync::internal {

// One parameter of a statement: text, a number (sent as text) or bytes (sent in binary).
struct PgParam {
  PgParam(const std::string& text) : data(text) {}                     // NOLINT(google-explicit-constructor)
  PgParam(const char* text) : data(text) {}                            // NOLINT(google-explicit-constructor)
  PgParam(int64_t n) : data(std::to_string(n)) {}                      // NOLINT(google-explicit-constructor)
  PgParam(const Bytes& b) : data(b.begin(), b.end()), binary(true) {}  // NOLINT(google-explicit-constructor)
  PgParam(bool b) : data(b ? "t" : "f") {}                             // NOLINT(google-explicit-constructor)
  std::string data;
  bool binary = false;
};

class PgResult {
 public:
  explicit PgResult(pg_result* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  PgResult& operator=(PgResult&& o) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();
  int rows() const;
  // The number of rows an UPDATE, INSERT or DELETE changed.
  int64_t affected() const;
  bool IsNull(int row, int col) const;
  std::string Text(int row, int col) const;
  int64_t Int(int row, int col) const;
  bool Bool(int row, int col) const;
  Bytes Blob(int row, int col) const;  // a bytea column
  const pg_result* raw() const { return r_; }

 private:
  pg_result* r_;
};

class PgConn {
 public:
  // Connects to `url` (a libpq connection string or URI). kNetwork when the server cannot be reached.
  static Result<std::unique_ptr<PgConn>> Connect(const std::string& url);
  ~PgConn();
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;

  // One statement. Errors carry the server's SQLSTATE: kConflict for a serialization failure, a deadlock
  // or a unique violation (the caller retries or refuses), kInternal otherwise.
  Result<PgResult> Exec(const std::string& sql, const std::vector<PgParam>& params = {});
  Status Run(const std::string& sql, const std::vector<PgParam>& params = {});
  // Several statements without parameters (a migration).
  Status Script(const std::string& sql);
  // Runs `body` in a transaction (SERIALIZABLE when asked) and commits; rolls back when it fails. A
  // transaction the server aborts for a serialization failure or a deadlock (and, when `retry_unique`, a
  // unique violation: another process inserted the same row first) is run again from the start, up to 20
  // times, so `body` must only change state through this connection and start from scratch each time.
  Status Transaction(const std::function<Status()>& body, bool serializable = false,
                     bool retry_unique = false);
  bool broken() const;

 private:
  explicit PgConn(pg_conn* c) : c_(c) {}
  Result<PgResult> Check(PgResult r);
  pg_conn* c_;
  std::string last_state_;  // the SQLSTATE of the last statement that failed
};

// Connections to one database shared by a process's threads: a thread takes an idle one (or opens a new
// one) and gives it back when done, so requests run side by side and the database decides who waits.
class PgPool {
 public:
  explicit PgPool(std::string url) : url_(std::move(url)) {}
  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<PgConn> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    ~Lease();
    PgConn* operator->() { return c_.get(); }
    PgConn& operator*() { return *c_; }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConn> c_;
  };
  Result<Lease> Take();

 private:
  void Give(std::unique_ptr<PgConn> c);
  std::string url_;
  std::mutex mu_;  // guards idle_ only: never held while a statement runs
  std::vector<std::unique_ptr<PgConn>> idle_;
};

}  // namespace berth::sync::internal

// A connection of a test's own to a hub's PostgreSQL database (libpq), for what the test does beside the
// hub processes: a lock it holds while a hub waits on it, a trigger it installs, a state it waits for.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <string>
#include <thread>

namespace berth::testing {

class PgSession {
 public:
  explicit PgSession(const std::string& url) : c_(PQconnectdb(url.c_str())) {
    EXPECT_EQ(PQstatus(c_), CONNECTION_OK) << PQerrorMessage(c_);
  }
  ~PgSession() { PQfinish(c_); }
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  // Runs `sql` (one statement or several, no parameters) and returns the first column of its first row
  // ("" when it has none); a failure fails the test.
  std::string Run(const std::string& sql) {
    PGresult* r = PQexec(c_, sql.c_str());
    const ExecStatusType st = PQresultStatus(r);
    EXPECT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) << sql << ": " << PQerrorMessage(c_);
    std::string out = st == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    return out;
  }

  // Waits (bounded: a minute) until `sql`'s first value is `want`: a wait for a state of the database,
  // such as a hub's transaction blocked on a lock, never a guess at how long something takes.
  bool WaitFor(const std::string& sql, const std::string& want) {
    for (int i = 0; i < 12000; ++i) {
      if (Run(sql) == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }

 private:
  PGconn* c_;
};

}  // namespace berth::testing

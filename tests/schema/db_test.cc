// Db::Cached: compiled statements are reused, two live uses of one SQL text do not share state, and a
// statement that outlives Close() is finalized safely. Db::Transaction: nested savepoints roll back alone.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "berth/schema/db.h"

namespace berth {
namespace {

Db Memory() {
  auto db = Db::Open(":memory:", nullptr, true, false);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_TRUE(db->Exec("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)").ok());
  return std::move(db).value();
}

// The number of prepared statements the connection holds (finalized ones are gone from this list).
int LiveStatements(Db& db) {
  int n = 0;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db.raw(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(db.raw(), s))
    ++n;
  return n;
}

TEST(DbCached, ReusesTheCompiledStatementAndClearsItsBindings) {
  Db db = Memory();
  const int before = LiveStatements(db);
  for (int i = 0; i < 50; ++i) {
    auto ins = db.Cached("INSERT INTO t (k, v) VALUES (?, ?)");
    ASSERT_TRUE(ins.ok());
    ins->Bind(1, i).Bind(2, "row");
    ASSERT_TRUE(ins->Run().ok());
  }
  EXPECT_EQ(LiveStatements(db), before + 1);  // one compiled statement served all fifty inserts
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM t"), 50);

  // A reused statement starts with no bindings: an unbound NOT NULL value is refused, not the last one.
  auto again = db.Cached("INSERT INTO t (k, v) VALUES (?, ?)");
  ASSERT_TRUE(again.ok());
  again->Bind(1, 1000);
  EXPECT_EQ(again->Run().code(), Code::kConflict);
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM t"), 50);
}

// A bind that fails (here a parameter the statement does not have) is what running the statement reports,
// even when later binds succeed, and nothing is written; the statement, reused, binds afresh.
TEST(DbStatement, AFailedBindIsReportedWhenItRunsAndWritesNothing) {
  Db db = Memory();
  auto ins = db.Cached("INSERT INTO t (k, v) VALUES (?, ?)");
  ASSERT_TRUE(ins.ok());
  ins->Bind(1, 7).Bind(3, "no such parameter").BindTextInPlace(2, "row");
  const Status run = ins->Run();
  EXPECT_FALSE(run.ok());
  EXPECT_NE(run.message().find("binding parameter 3"), std::string::npos) << run.ToString();
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM t"), 0);

  auto again = db.Cached("INSERT INTO t (k, v) VALUES (?, ?)");
  ASSERT_TRUE(again.ok());
  again->Bind(1, 7).Bind(2, "row");
  EXPECT_TRUE(again->Run().ok());
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM t"), 1);
}

// Values bound in place are what the row holds, and a reused statement does not keep them: SQLite read
// the text where it was, so the row must hold its own copy once the statement is done.
TEST(DbCached, ValuesBoundInPlaceAreStoredAndNotKeptByTheReusedStatement) {
  Db db = Memory();
  for (int i = 0; i < 3; ++i) {
    Value value = "value " + std::to_string(i);
    std::string text = "text " + std::to_string(i);
    {
      auto ins = db.Cached("INSERT INTO t (k, v) VALUES (?, ?)");
      ASSERT_TRUE(ins.ok());
      ins->Bind(1, i);
      if (i % 2 == 0) {
        ins->BindValueInPlace(2, value);
      } else {
        ins->BindTextInPlace(2, text);
      }
      ASSERT_TRUE(ins->Run().ok());
    }  // released: the values may change now
    value = std::string(12, 'x');
    text.assign(text.size(), 'x');
  }
  auto rows = db.Prepare("SELECT v FROM t ORDER BY k");
  ASSERT_TRUE(rows.ok());
  std::vector<std::string> seen;
  while (*rows->Step()) seen.push_back(rows->Text(0));
  EXPECT_EQ(seen, (std::vector<std::string>{"value 0", "text 1", "value 2"}));
  auto again = db.Cached("INSERT INTO t (k, v) VALUES (?, ?)");
  ASSERT_TRUE(again.ok());
  again->Bind(1, 9);
  EXPECT_EQ(again->Run().code(), Code::kConflict);  // no value left bound from before
}

TEST(DbCached, TwoLiveUsesOfOneTextAreSeparateStatements) {
  Db db = Memory();
  ASSERT_TRUE(db.Exec("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')").ok());
  const char* sql = "SELECT v FROM t WHERE k >= ? ORDER BY k";
  auto outer = db.Cached(sql);
  ASSERT_TRUE(outer.ok());
  outer->Bind(1, 1);
  std::string seen;
  while (*outer->Step()) {
    auto inner = db.Cached(sql);  // the same text while the outer one is mid-way
    ASSERT_TRUE(inner.ok());
    inner->Bind(1, 3);
    ASSERT_TRUE(*inner->Step());
    seen += outer->Text(0) + inner->Text(0) + ",";
  }
  EXPECT_EQ(seen, "ac,bc,cc,");
}

TEST(DbCached, AStatementOutlivingCloseIsFinalizedSafely) {
  Db db = Memory();
  auto kept = db.Cached("SELECT count(*) FROM t");
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(*kept->Step());
  db.Close();
  EXPECT_FALSE(db.is_open());
  EXPECT_EQ(db.Cached("SELECT 1").status().code(), Code::kNotAuthorised);
  // `kept` is destroyed after the connection closed; ASan and LSan watch this test.
}

TEST(DbTransaction, ANestedFailureRollsBackOnlyItsSavepoint) {
  Db db = Memory();
  const Status st = db.Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(db.Exec("INSERT INTO t VALUES (1, 'kept')"));
    const Status inner = db.Transaction([&]() -> Status {
      BERTH_RETURN_IF_ERROR(db.Exec("INSERT INTO t VALUES (2, 'undone')"));
      return BadInput("refused");
    });
    EXPECT_EQ(inner.code(), Code::kBadInput);
    return db.Exec("INSERT INTO t VALUES (3, 'kept too')");
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM t"), 2);
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM t WHERE k = 2"), 0);
  EXPECT_FALSE(db.InTransaction());
}

}  // namespace
}  // namespace berth

// The encrypting VFS under a rollback journal (the store itself runs in WAL mode, but SQLite uses a
// rollback journal while switching modes, and the VFS must never write a page in clear anywhere).
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "berth/schema/crypt_vfs.h"
#include "berth/schema/db.h"
#include "support/test_support.h"

namespace berth {
namespace {

using testing::FileContains;
using testing::TempDir;

const std::string kMarker = "JOURNAL-MARKER-Ann-Example";

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto vfs = CryptVfsName();
    ASSERT_TRUE(vfs.ok());
    vfs_ = *vfs;
    for (auto& b : id_) b = static_cast<uint8_t>(&b - id_.data());
  }
  void TearDown() override {
    if (!handle_.empty()) UnregisterKey(handle_);
  }

  // Opens the test database in rollback-journal mode with a tiny page cache, so a large transaction
  // spills changed pages into the database file before it commits (the journal then holds originals).
  Db Open() {
    if (handle_.empty()) handle_ = RegisterKey(key_, id_);
    auto db = Db::Open("file:" + path() + "?bk=" + handle_, vfs_.c_str(), true, true);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    int reserve = kReserveBytes;
    sqlite3_file_control(db->raw(), "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
    EXPECT_TRUE(db->Exec("PRAGMA journal_mode=DELETE; PRAGMA cache_size=10; PRAGMA temp_store=MEMORY").ok());
    return std::move(db).value();
  }

  std::string path() const { return tmp_.path() + "/j.db"; }

  TempDir tmp_;
  std::string vfs_;
  Secret key_ = Secret::Random(32);
  DbId id_{};
  std::string handle_;
};

TEST_F(JournalTest, JournalPagesAreSealedAndAKilledTransactionRollsBack) {
  {
    Db db = Open();
    ASSERT_TRUE(db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)").ok());
    ASSERT_TRUE(db.Transaction([&]() -> Status {
                    BERTH_ASSIGN_OR_RETURN(Statement ins, db.Prepare("INSERT INTO t (v) VALUES (?)"));
                    for (int i = 0; i < 2000; ++i) {
                      ins.Reset();
                      ins.Bind(1, kMarker + std::to_string(i));
                      BERTH_RETURN_IF_ERROR(ins.Run());
                    }
                    return Status::Ok();
                  }).ok());
  }
  // A child rewrites every row and is killed before it commits: the hot journal holds the original
  // pages (with the marker) and the database file already holds some rewritten ones.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    Db db = Open();
    if (!db.Exec("BEGIN IMMEDIATE; UPDATE t SET v = 'rewritten' || id;").ok()) _exit(3);
    char ready = 1;
    if (write(fds[1], &ready, 1) != 1) _exit(4);
    pause();  // killed here, mid-transaction
    _exit(5);
  }
  char ready = 0;
  ASSERT_EQ(read(fds[0], &ready, 1), 1);
  const std::string journal = path() + "-journal";
  ASSERT_TRUE(std::filesystem::exists(journal));
  EXPECT_GT(std::filesystem::file_size(journal), 4096u * 10);
  EXPECT_FALSE(FileContains(journal, kMarker)) << "the rollback journal holds a page in clear";
  EXPECT_FALSE(FileContains(path(), kMarker));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  close(fds[0]);
  close(fds[1]);

  // Opening plays the hot journal back, decrypting each page: the original rows are all there.
  Db db = Open();
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM t WHERE v LIKE 'JOURNAL-MARKER-%'"), 2000);
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM t WHERE v LIKE 'rewritten%'"), 0);
  auto check = db.Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.ok());
  ASSERT_TRUE(*check->Step());
  EXPECT_EQ(check->Text(0), "ok");
  EXPECT_FALSE(std::filesystem::exists(journal));
}

TEST_F(JournalTest, DatabaseWithoutTheKeyHandleIsNotOpened) {
  // No `bk` parameter: the VFS has no key and refuses rather than reading or writing in clear.
  auto db = Db::Open(path(), vfs_.c_str(), true, false);
  EXPECT_FALSE(db.ok());
  EXPECT_FALSE(std::filesystem::exists(path()));
}

TEST_F(JournalTest, VacuumIntoAPlainFileIsRefused) {
  Db db = Open();
  ASSERT_TRUE(db.Exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('" + kMarker + "')").ok());
  const std::string copy = tmp_.path() + "/copy.db";
  const Status st = db.Exec("VACUUM INTO '" + copy + "'");
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(!std::filesystem::exists(copy) || !FileContains(copy, kMarker));
}

}  // namespace
}  // namespace berth

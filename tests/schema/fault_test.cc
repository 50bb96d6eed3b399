// I/O faults and crashes, after SQLite's own do_ioerr_test and crash tests: a disk that fails at the Nth
// operation, and a writer or a rekey that dies at its Nth file change (every N in turn). Afterwards the
// store always opens, passes verify, and holds whole transactions only.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "berth/schema/store.h"
#include "support/store_fixture.h"
#include "support/test_support.h"

namespace berth {
namespace {

using testing::FaultVfs;

constexpr int kRows = 12;

class FaultTest : public testing::StoreFixture {
 protected:
  // Every row of the batch holds the same value: a store holding two different values is a torn write.
  static Status WriteBatch(Store& store, const std::string& value) {
    return store.db().Transaction([&]() -> Status {
      for (int i = 0; i < kRows; ++i)
        BERTH_RETURN_IF_ERROR(store.SetSetting("row" + std::to_string(i), value));
      return Status::Ok();
    });
  }

  // The distinct values in the batch rows, after verify. Fails the test if the store does not verify.
  std::set<std::string> ValuesAfterRecovery() {
    auto store = OpenStore();
    if (!store) return {};
    auto report = store->Verify();
    EXPECT_TRUE(report.ok() && report->problems.empty())
        << (report.ok() ? report->problems.front() : report.status().ToString());
    std::set<std::string> values;
    auto q = store->db().Prepare("SELECT value FROM setting WHERE id LIKE 'row%'");
    EXPECT_TRUE(q.ok());
    int rows = 0;
    while (*q->Step()) {
      values.insert(q->Text(0));
      ++rows;
    }
    EXPECT_EQ(rows, kRows);
    return values;
  }
};

TEST_P(FaultTest, EveryFailingIoOperationLeavesOldOrNewDataNeverAMix) {
  {
    auto store = CreateStore();
    ASSERT_TRUE(WriteBatch(*store, "old").ok());
  }
  StoreOptions faulty = options();
  faulty.base_vfs = FaultVfs::Name();
  int completed_without_fault = 0;
  int failed_cleanly = 0;
  for (int n = 1; n < 5000 && completed_without_fault == 0; ++n) {
    std::string expected_if_done;
    FaultVfs::Arm(n);
    {
      auto store = Store::Open(dir(), passphrase(), faulty);
      if (store.ok()) {
        const Status st = WriteBatch(**store, "new" + std::to_string(n));
        if (st.ok()) expected_if_done = "new" + std::to_string(n);
      }
    }  // close (and its checkpoint) may hit the fault too
    const bool fired = FaultVfs::Fired();
    FaultVfs::Disarm();
    if (!fired) ++completed_without_fault;
    if (fired) ++failed_cleanly;
    const auto values = ValuesAfterRecovery();
    ASSERT_EQ(values.size(), 1u) << "a torn transaction after a fault at operation " << n;
    const std::string& v = *values.begin();
    if (!expected_if_done.empty()) {
      EXPECT_EQ(v, expected_if_done) << "a transaction reported committed was lost (fault at " << n << ")";
    } else {
      EXPECT_TRUE(v == "old" || v.rfind("new", 0) == 0) << v;
    }
    // Start each round from a known state.
    auto store = OpenStore();
    ASSERT_TRUE(WriteBatch(*store, "old").ok());
  }
  EXPECT_EQ(completed_without_fault, 1) << "the loop should end with a run the fault never reached";
  EXPECT_GT(failed_cleanly, 10);
}

// A child process writes numbered transactions, reporting each commit through a pipe, and crashes at its
// Nth file change (CrashPoints), opening and its recovery of the previous crash included. N sweeps over
// the opening and dozens of commits. Every transaction the child saw committed must be there afterwards.
// What a sweep saw: the newest commit, the runs that committed any, and those whose store's checkpointer
// thread had finished a checkpoint before the crash.
struct KilledWriterSweep {
  int64_t last_committed = 0;
  int runs_that_committed = 0;
  int runs_after_a_background_checkpoint = 0;
};

class KilledWriterTest : public FaultTest {
 protected:
  void Sweep(StoreOptions crashing, int runs, bool settle_checkpoints, KilledWriterSweep* out) {
    { auto store = CreateStore(); }
    crashing.base_vfs = FaultVfs::Name();
    testing::CrashEnv crash_env;
    crashing.env = &crash_env;
    // What the child reports after each commit: its number, and the checkpoints its store's thread had
    // finished by then.
    struct Commit {
      int64_t n = 0;
      int64_t background_checkpoints = 0;
    };
    for (int run = 1; run <= runs; ++run) {
      int fds[2];
      ASSERT_EQ(pipe(fds), 0);
      const pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        close(fds[0]);
        testing::CrashPoints::Arm(run);
        auto store = Store::Open(dir(), passphrase(), crashing);
        if (!store.ok()) _exit(3);
        auto start = (*store)->db().QueryInt(
            "SELECT coalesce(max(CAST(value AS INTEGER)), 0) FROM setting WHERE id = 'n'");
        for (int64_t i = start.ok() ? *start + 1 : 1;; ++i) {
          const Status st = (*store)->db().Transaction([&]() -> Status {
            BERTH_RETURN_IF_ERROR((*store)->SetSetting("n", std::to_string(i)));
            return (*store)->SetSetting("t" + std::to_string(i), std::string(300, 'c'));
          });
          if (!st.ok()) _exit(4);
          // The thread's checkpoint (if this commit asked for one) runs now, before the next commit: the
          // sweep's crash points then reach each of its file changes whatever the machine's load, instead
          // of only when the thread happens to win the race with the writer.
          if (settle_checkpoints) (*store)->WaitForBackgroundCheckpoint();
          const Commit commit{i, (*store)->BackgroundCheckpoints()};
          if (write(fds[1], &commit, sizeof commit) != sizeof commit) _exit(5);
        }
      }
      close(fds[1]);
      Commit commit;
      bool committed = false, after_checkpoint = false;
      while (read(fds[0], &commit, sizeof commit) == sizeof commit) {
        out->last_committed = std::max(out->last_committed, commit.n);
        committed = true;
        after_checkpoint = after_checkpoint || commit.background_checkpoints > 0;
      }
      close(fds[0]);
      out->runs_that_committed += committed ? 1 : 0;
      out->runs_after_a_background_checkpoint += after_checkpoint ? 1 : 0;
      int status = 0;
      waitpid(pid, &status, 0);
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == testing::CrashPoints::kExitCode)
          << "run " << run << ": the writer stopped by itself (" << status << ") before its crash point";

      auto store = OpenStore();
      ASSERT_TRUE(store) << "run " << run;
      auto report = store->Verify();
      ASSERT_TRUE(report.ok());
      ASSERT_TRUE(report->problems.empty()) << "run " << run << ": " << report->problems.front();
      auto n = store->db().QueryInt("SELECT CAST(value AS INTEGER) FROM setting WHERE id = 'n'");
      const int64_t have = n.ok() ? *n : 0;
      ASSERT_GE(have, out->last_committed) << "run " << run << " lost a committed transaction";
      auto rows = store->db().QueryInt("SELECT count(*) FROM setting WHERE id GLOB 't[0-9]*'");
      ASSERT_EQ(*rows, have) << "run " << run << ": a transaction was torn";
    }
  }
};

TEST_P(KilledWriterTest, KilledWriterLosesNoCommittedTransaction) {
  constexpr int kRuns = 160;
  KilledWriterSweep sweep;
  ASSERT_NO_FATAL_FAILURE(Sweep(options(), kRuns, /*settle_checkpoints=*/false, &sweep));
  // The sweep reaches past the opening into many commits, so committed work really was at stake.
  EXPECT_GT(sweep.runs_that_committed, kRuns / 2);
  EXPECT_GT(sweep.last_committed, 100);
}

// The same with a WAL threshold of a few pages, so that the store's checkpointer thread copies the WAL
// into the database file between the writer's commits (FORMAT.md, "Checkpoints"). The writer lets each
// checkpoint it asked for finish before it commits again, so the Nth file change is the writer's or the
// thread's in the same order on every machine, and the sweep reaches each of the thread's.
TEST_P(KilledWriterTest, KilledWriterWithTheCheckpointerRunningLosesNoCommittedTransaction) {
  constexpr int kRuns = 100;
  StoreOptions small_wal = options();
  small_wal.checkpoint_pages = 8;
  KilledWriterSweep sweep;
  ASSERT_NO_FATAL_FAILURE(Sweep(small_wal, kRuns, /*settle_checkpoints=*/true, &sweep));
  EXPECT_GT(sweep.runs_that_committed, kRuns / 2);
  // 63 of the 100 runs crash after the thread finished a checkpoint.
  EXPECT_GT(sweep.runs_after_a_background_checkpoint, kRuns / 4)
      << "the thread never ran: the test tests nothing new";
}

// Rekey crashed at each of its file changes in turn (CrashPoints), as SQLite's crash tests sweep a
// transaction: the store always opens with the passphrase (under the old key or the new one), verifies,
// and holds all its data. The sweep ends with the first run whose rekey finishes before its crash point.
class RekeyCrashTest : public FaultTest {};

TEST_P(RekeyCrashTest, KilledRekeyLeavesAWholeStore) {
  {
    auto store = CreateStore();
    ASSERT_TRUE(WriteBatch(*store, "kept").ok());
  }
  StoreOptions crashing = options();
  crashing.base_vfs = FaultVfs::Name();
  testing::CrashEnv crash_env;
  crashing.env = &crash_env;
  int completed = 0, interrupted = 0;
  for (int crash_at = 1; crash_at < 5000 && completed == 0; ++crash_at) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = Store::Open(dir(), passphrase(), crashing);
      if (!store.ok()) _exit(3);
      testing::CrashPoints::Arm(crash_at);
      Secret recovery;
      _exit((*store)->Rekey(passphrase(), &recovery).ok() ? 0 : 4);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status)) << "crash point " << crash_at;
    if (WEXITSTATUS(status) == testing::CrashPoints::kExitCode) {
      ++interrupted;
    } else {
      ASSERT_EQ(WEXITSTATUS(status), 0) << "rekey failed by itself before crash point " << crash_at;
      ++completed;
    }
    const auto values = ValuesAfterRecovery();
    ASSERT_EQ(values, std::set<std::string>{"kept"}) << "crash point " << crash_at;
  }
  EXPECT_EQ(completed, 1) << "the sweep should end with a rekey that finished";
  // Copying the pages, writing the side key file, both renames and the reopen are all swept.
  EXPECT_GT(interrupted, 20);
}

INSTANTIATE_TEST_SUITE_P(EncryptedAndPlain, FaultTest, ::testing::Values(true, false),
                         testing::EncryptionName);
// A plain store has no key to change.
INSTANTIATE_TEST_SUITE_P(EncryptedAndPlain, KilledWriterTest, ::testing::Values(true, false),
                         testing::EncryptionName);
INSTANTIATE_TEST_SUITE_P(Encrypted, RekeyCrashTest, ::testing::Values(true), testing::EncryptionName);

}  // namespace
}  // namespace berth

// Checkpoints (FORMAT.md, "Checkpoints"): past StoreOptions::checkpoint_pages the WAL is folded back into
// the database file by the store's own thread, on a second connection, while the writer goes on; the WAL
// stays bounded either way; locking or rekeying the store while that thread copies loses nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "berth/schema/ids.h"
#include "berth/schema/store.h"
#include "support/store_fixture.h"

namespace berth {
namespace {

constexpr int kCheckpointPages = 64;
constexpr int kTransactions = 60;
constexpr int kBedsPerTransaction = 100;

class CheckpointTest : public testing::StoreFixture {
 protected:
  StoreOptions SmallWal(bool background) const {
    StoreOptions o = options();
    o.checkpoint_pages = kCheckpointPages;
    o.background_checkpoints = background;
    return o;
  }

  // A new store whose WAL file is then emptied: creating it (its migrations) wrote a WAL of its own
  // size, and the file only grows, so the tests' bounds would otherwise measure that.
  std::unique_ptr<Store> Create(const StoreOptions& o) {
    Secret recovery;
    auto r = Store::Create(dir(), passphrase(), &recovery, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return nullptr;
    EXPECT_TRUE((*r)->db().Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
    EXPECT_EQ(WalBytes(), 0);
    return std::move(r).value();
  }

  // kTransactions commits of kBedsPerTransaction new beds each: several thousand WAL pages in all.
  static void WriteBeds(Store& store, int transactions = kTransactions) {
    for (int t = 0; t < transactions; ++t) {
      Status st = store.db().Transaction([&]() -> Status {
        for (int i = 0; i < kBedsPerTransaction; ++i) {
          Mutation m;
          m.entity = "bed";
          m.row_id = NewUuidV7();
          m.fields = {{"provider_id", std::string("p1")},
                      {"room", "room " + std::to_string(t * kBedsPerTransaction + i)},
                      {"weekly_rate_pence", int64_t{80000 + i}}};
          BERTH_RETURN_IF_ERROR(store.Write(std::move(m)));
        }
        return Status::Ok();
      });
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
  }

  int64_t WalBytes() const {
    std::error_code ec;
    const auto n = std::filesystem::file_size(dir() + "/berth.db-wal", ec);
    return ec ? 0 : static_cast<int64_t>(n);
  }

  static constexpr int64_t kFrameBytes = 4096 + 24;  // a page and its frame header

  // WAL frames one transaction of WriteBeds writes, measured on this store from an emptied WAL.
  int64_t FramesPerTransaction(Store& store) {
    store.WaitForBackgroundCheckpoint();  // else the thread's copy could leave the truncation undone
    EXPECT_TRUE(store.db().Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
    WriteBeds(store, 1);
    return WalBytes() / kFrameBytes;
  }

  void ExpectIntact(Store& store, int64_t beds) {
    auto n = store.db().QueryInt("SELECT count(*) FROM bed");
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(*n, beds);
    auto report = store.Verify();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_TRUE(report->problems.empty()) << report->problems.front();
  }
};

TEST_P(CheckpointTest, TheStoresOwnThreadFoldsTheWalBackAndTheWalStaysBounded) {
  auto store = Create(SmallWal(true));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->BackgroundCheckpoints(), 0);
  WriteBeds(*store);
  // Without any checkpoint the WAL would hold every frame written; with them it restarts from its
  // beginning, and the file never grows past four times the threshold plus the transactions around it,
  // however the thread and the writer raced.
  const int64_t wal_bytes = WalBytes();
  const int64_t per_transaction = FramesPerTransaction(*store);
  ASSERT_GT(per_transaction, 0);
  const int64_t bound = 4 * kCheckpointPages + 2 * per_transaction;
  EXPECT_LE(wal_bytes, bound * kFrameBytes);
  EXPECT_GT(per_transaction * kTransactions, 2 * bound)
      << "the test writes too little for the bound to mean anything";
  // From the emptied WAL, the commit that takes it past the threshold (and not past four times it)
  // wakes the thread, which copies it: the writer did not.
  ASSERT_LT(per_transaction, 3 * kCheckpointPages);
  int transactions = kTransactions + 1;
  while (WalBytes() < kCheckpointPages * kFrameBytes) {
    WriteBeds(*store, 1);
    ++transactions;
  }
  store->WaitForBackgroundCheckpoint();
  EXPECT_GT(store->BackgroundCheckpoints(), 0);
  ExpectIntact(*store, transactions * kBedsPerTransaction);
  store.reset();
  auto again = Store::Open(dir(), passphrase(), SmallWal(true));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ExpectIntact(**again, transactions * kBedsPerTransaction);
}

TEST_P(CheckpointTest, TurnedOffTheWriterCheckpointsAndTheWalStaysBounded) {
  auto store = Create(SmallWal(false));
  ASSERT_NE(store, nullptr);
  WriteBeds(*store);
  const int64_t wal_bytes = WalBytes();
  const int64_t per_transaction = FramesPerTransaction(*store);
  EXPECT_EQ(store->BackgroundCheckpoints(), 0);
  EXPECT_LE(wal_bytes, (kCheckpointPages + 2 * per_transaction) * kFrameBytes);
  ExpectIntact(*store, (kTransactions + 1) * kBedsPerTransaction);
}

TEST_P(CheckpointTest, LockingWhileTheThreadCopiesLosesNothing) {
  auto store = Create(SmallWal(true));
  ASSERT_NE(store, nullptr);
  WriteBeds(*store);
  // No wait: the thread was just woken and is likely copying; Lock interrupts and joins it.
  store->Lock();
  EXPECT_TRUE(store->locked());
  EXPECT_EQ(store->BackgroundCheckpoints(), 0);  // the thread is gone with the key
  store.reset();
  auto again = Store::Open(dir(), passphrase(), SmallWal(true));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ExpectIntact(**again, kTransactions * kBedsPerTransaction);
}

// A plain store refuses the rekey (it has no key) and must lose nothing either.
TEST_P(CheckpointTest, RekeyWhileTheThreadCopiesLosesNothing) {
  auto store = Create(SmallWal(true));
  ASSERT_NE(store, nullptr);
  WriteBeds(*store);
  Secret new_recovery;
  const Status rekeyed = store->Rekey(passphrase(), &new_recovery);
  EXPECT_EQ(rekeyed.ok(), encrypted()) << rekeyed.ToString();
  ExpectIntact(*store, kTransactions * kBedsPerTransaction);
  WriteBeds(*store, 10);  // and the rekeyed store checkpoints again, under its new key
  store.reset();
  auto again = Store::Open(dir(), passphrase(), SmallWal(true));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ExpectIntact(**again, (kTransactions + 10) * kBedsPerTransaction);
}

INSTANTIATE_TEST_SUITE_P(Vfs, CheckpointTest, ::testing::Bool(), testing::EncryptionName);

}  // namespace
}  // namespace berth

// Tampering with the files of an encrypted store is detected as an integrity error that names the page,
// never a crash and never wrong data.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "berth/schema/store.h"
#include "support/store_fixture.h"
#include "support/test_support.h"

namespace berth {
namespace {

using testing::ReadFileBytes;
using testing::WriteFileBytes;

constexpr int kPageSize = 4096;

class TamperTest : public testing::StoreFixture {
 protected:
  std::string db_path() const { return dir() + "/berth.db"; }

  // A store with enough rows to span several pages, closed cleanly (everything in berth.db).
  void MakeStore(bool keep_wal = false) {
    auto store = CreateStore();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->db()
                    .Transaction([&]() -> Status {
                      for (int i = 0; i < 200; ++i) {
                        BERTH_RETURN_IF_ERROR(
                            store->SetSetting("row" + std::to_string(i), std::string(100, 'x')));
                      }
                      return Status::Ok();
                    })
                    .ok());
    if (keep_wal) {
      // Closing without a checkpoint leaves the last transactions in the WAL, as a crash would.
      ASSERT_TRUE(store->db().Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
      for (int i = 0; i < 20; ++i)
        ASSERT_TRUE(store->SetSetting("wal" + std::to_string(i), "in the wal").ok());
      int off = 0;
      sqlite3_db_config(store->db().raw(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &off);
    }
  }

  // What `berth verify` does: open, then verify. Returns the first failure as a Status.
  Status OpenAndVerify() {
    auto store = Store::Open(dir(), passphrase(), options());
    if (!store.ok()) return store.status();
    auto report = (*store)->Verify();
    if (!report.ok()) return report.status();
    if (!report->problems.empty()) return IntegrityError(report->problems.front());
    // Reading every row must not yield garbage either.
    return (*store)->db().Exec("SELECT * FROM setting; SELECT * FROM audit; SELECT * FROM outbox;");
  }

  void FlipByte(const std::string& path, size_t offset) {
    auto bytes = ReadFileBytes(path);
    ASSERT_LT(offset, bytes.size());
    bytes[offset] ^= 0x01;
    WriteFileBytes(path, bytes);
  }
};

TEST_P(TamperTest, UntouchedStoreVerifies) {
  MakeStore();
  EXPECT_TRUE(OpenAndVerify().ok()) << OpenAndVerify().ToString();
}

TEST_P(TamperTest, FlippedByteInAPageIsAnIntegrityErrorNamingThePage) {
  MakeStore();
  FlipByte(db_path(), 3 * kPageSize + 1000);  // inside page 4
  const Status st = OpenAndVerify();
  EXPECT_EQ(st.code(), Code::kIntegrity) << st.ToString();
  EXPECT_NE(st.message().find("page 4"), std::string::npos) << st.message();
}

TEST_P(TamperTest, FlippedByteInPageOnesHeaderIsDetected) {
  MakeStore();
  FlipByte(db_path(), 18);  // the clear file-format bytes are authenticated too
  const Status st = OpenAndVerify();
  EXPECT_EQ(st.code(), Code::kIntegrity) << st.ToString();
  EXPECT_NE(st.message().find("page 1"), std::string::npos) << st.message();
}

TEST_P(TamperTest, SwappedPagesAreDetected) {
  MakeStore();
  auto bytes = ReadFileBytes(db_path());
  ASSERT_GE(bytes.size(), 4u * kPageSize);
  std::swap_ranges(bytes.begin() + 2 * kPageSize, bytes.begin() + 3 * kPageSize,
                   bytes.begin() + 3 * kPageSize);
  WriteFileBytes(db_path(), bytes);
  const Status st = OpenAndVerify();
  EXPECT_EQ(st.code(), Code::kIntegrity) << st.ToString();
  EXPECT_TRUE(st.message().find("page 3") != std::string::npos ||
              st.message().find("page 4") != std::string::npos)
      << st.message();
}

TEST_P(TamperTest, TruncatedFileIsDetected) {
  MakeStore();
  const auto size = std::filesystem::file_size(db_path());
  std::filesystem::resize_file(db_path(), size - kPageSize / 2);
  const Status st = OpenAndVerify();
  EXPECT_EQ(st.code(), Code::kIntegrity) << st.ToString();
  EXPECT_NE(st.message().find("page " + std::to_string(size / kPageSize)), std::string::npos) << st.message();
}

TEST_P(TamperTest, TruncatedAtAPageBoundaryIsDetected) {
  MakeStore();
  const auto size = std::filesystem::file_size(db_path());
  std::filesystem::resize_file(db_path(), size - kPageSize);
  const Status st = OpenAndVerify();
  EXPECT_EQ(st.code(), Code::kIntegrity) << st.ToString();
}

TEST_P(TamperTest, FlippedByteInAWalFrameIsDetected) {
  MakeStore(/*keep_wal=*/true);
  const std::string wal = db_path() + "-wal";
  ASSERT_TRUE(std::filesystem::exists(wal));
  const auto wal_size = std::filesystem::file_size(wal);
  ASSERT_GT(wal_size, 32u + 3 * (24 + kPageSize));
  // The page part of the second frame.
  FlipByte(wal, 32 + (24 + kPageSize) + 24 + 500);
  const Status st = OpenAndVerify();
  EXPECT_EQ(st.code(), Code::kIntegrity) << st.ToString();
  EXPECT_NE(st.message().find("WAL frame 2"), std::string::npos) << st.message();
}

TEST_P(TamperTest, AFileFromAnotherStoreIsRefused) {
  MakeStore();
  testing::TempDir other;
  {
    Secret recovery;
    auto store = Store::Create(other.path() + "/s", passphrase(), &recovery, options());
    ASSERT_TRUE(store.ok());
  }
  std::filesystem::copy_file(other.path() + "/s/berth.db", db_path(),
                             std::filesystem::copy_options::overwrite_existing);
  const Status st = OpenAndVerify();
  EXPECT_EQ(st.code(), Code::kIntegrity) << st.ToString();
  EXPECT_NE(st.message().find("belongs to another store"), std::string::npos) << st.message();
}

TEST_P(TamperTest, APlainSqliteFileIsRefusedNotRepaired) {
  MakeStore();
  std::filesystem::remove(db_path());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const auto before = ReadFileBytes(db_path());
  const Status st = OpenAndVerify();
  EXPECT_EQ(st.code(), Code::kIntegrity) << st.ToString();
  EXPECT_NE(st.message().find("not a Berth store"), std::string::npos) << st.message();
  EXPECT_EQ(ReadFileBytes(db_path()), before);  // refused, not "repaired"
}

// Tampering is a property of the encrypted store only.
INSTANTIATE_TEST_SUITE_P(Encrypted, TamperTest, ::testing::Values(true), testing::EncryptionName);

}  // namespace
}  // namespace berth

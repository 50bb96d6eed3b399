// The encrypting VFS writes nothing it does not recognise (issue 15, finding 7): a write to a rollback
// journal that is neither a journal header, a record's page number or checksum, a sealed page, nor zeros
// is refused, and its bytes never reach the disk. Driven through the VFS's own methods, as SQLite would.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>

#include "berth/schema/crypt_vfs.h"
#include "berth/schema/store.h"
#include "support/test_support.h"

namespace berth::testing {
namespace {

class JournalFile {
 public:
  // `db` is the database the journal belongs to (SQLite's unix VFS reads its mode to create the journal).
  explicit JournalFile(const std::string& db) {
    const std::string path = db + "-journal";
    WriteFileBytes(db, {});
    auto name = CryptVfsName();
    EXPECT_TRUE(name.ok());
    vfs_ = sqlite3_vfs_find(name->c_str());
    handle_ = RegisterKey(Secret::Random(32), DbId{});
    const std::string bk = handle_;
    const char* params[] = {"bk", bk.c_str()};
    filename_ = sqlite3_create_filename(db.c_str(), path.c_str(), (db + "-wal").c_str(), 1, params);
    file_ = static_cast<sqlite3_file*>(std::calloc(1, static_cast<size_t>(vfs_->szOsFile)));
    int out = 0;
    // sqlite3_create_filename's journal name is what SQLite passes for the main journal.
    const char* journal = sqlite3_filename_journal(filename_);
    open_rc_ = vfs_->xOpen(vfs_, journal, file_,
                           SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE, &out);
  }
  ~JournalFile() {
    if (open_rc_ == SQLITE_OK) file_->pMethods->xClose(file_);
    std::free(file_);
    sqlite3_free_filename(filename_);
    UnregisterKey(handle_);
  }
  int open_rc() const { return open_rc_; }
  int Write(const std::vector<uint8_t>& bytes, sqlite3_int64 offset) {
    return file_->pMethods->xWrite(file_, bytes.data(), static_cast<int>(bytes.size()), offset);
  }

 private:
  sqlite3_vfs* vfs_ = nullptr;
  std::string handle_;
  sqlite3_filename filename_ = nullptr;
  sqlite3_file* file_ = nullptr;
  int open_rc_ = SQLITE_ERROR;
};

TEST(VfsRefusal, AnUnrecognisedJournalWriteIsRefusedAndNothingReachesTheDisk) {
  TempDir tmp;
  const std::string path = tmp.Sub("berth.db-journal");
  JournalFile j(tmp.Sub("berth.db"));
  ASSERT_EQ(j.open_rc(), SQLITE_OK);
  const std::string marker = "PLAINTEXT-Ann-Example-9434765919";
  std::vector<uint8_t> page(4096, 'x');
  std::memcpy(page.data(), marker.data(), marker.size());
  EXPECT_EQ(j.Write(page, 512), SQLITE_IOERR_WRITE);
  std::vector<uint8_t> odd(100, 'y');
  std::memcpy(odd.data(), marker.data(), marker.size());
  EXPECT_EQ(j.Write(odd, 0), SQLITE_IOERR_WRITE);
  // What SQLite really writes there still goes through: a header (journal magic first), zeros, and the
  // 4-byte fields.
  // A header as SQLite first writes it (magic zeroed until the journal is synced): record count, nonce,
  // initial page count, then sector size 512 and page size 4096 (big-endian), zero padding.
  std::vector<uint8_t> header(512, 0);
  const uint8_t fields[20] = {0, 0, 0, 0, 0x5a, 0x17, 0x33, 0x08, 0, 0, 0, 3, 0, 0, 2, 0, 0, 0, 0x10, 0};
  std::memcpy(header.data() + 8, fields, sizeof fields);
  EXPECT_EQ(j.Write(header, 0), SQLITE_OK);
  const uint8_t magic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
  std::vector<uint8_t> stamp(magic, magic + 8);
  stamp.insert(stamp.end(), {0, 0, 0, 1});
  EXPECT_EQ(j.Write(stamp, 0), SQLITE_OK) << "the magic and record count written at sync";
  EXPECT_EQ(j.Write(std::vector<uint8_t>(28, 0), 0), SQLITE_OK);
  EXPECT_EQ(j.Write({0, 0, 0, 7}, 512), SQLITE_OK);
  // A "header" whose padding is not zero is not a header.
  header[100] = 'x';
  EXPECT_EQ(j.Write(header, 0), SQLITE_IOERR_WRITE);
  EXPECT_FALSE(FileContains(path, marker));
}

// Locking a store releases its decrypted page cache, and the memory goes back to the heap zeroed (issue
// 15, finding 7): what SQLite freed when the store locked, all of it wiped, covers at least the pages
// that were cached.
TEST(VfsRefusal, LockingReleasesTheDecryptedPageCacheWiped) {
  TempDir tmp;
  StoreOptions o;
  o.kdf = KdfParams::Fast();
  Secret recovery;
  {
    auto s = Store::Create(tmp.Sub("s"), Secret("correct horse battery staple"), &recovery, o);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->db()
                    .Transaction([&]() -> Status {
                      for (int i = 0; i < 300; ++i) {
                        BERTH_RETURN_IF_ERROR(
                            (*s)->SetSetting("note" + std::to_string(i), std::string(1000, 'n')));
                      }
                      return Status::Ok();
                    })
                    .ok());
  }
  auto s = Store::Open(tmp.Sub("s"), Secret("correct horse battery staple"), o);
  ASSERT_TRUE(s.ok());
  auto read = (*s)->db().QueryInt("SELECT sum(length(value)) FROM setting");  // every page into the cache
  ASSERT_TRUE(read.ok());
  ASSERT_GE(*read, 300000);
  const int64_t before = SqliteBytesWipedOnFree();
  (*s)->Lock();
  const int64_t wiped = SqliteBytesWipedOnFree() - before;
  EXPECT_GE(wiped, 75 * 4096) << "about 300 KB of rows were cached: their pages are freed, zeroed, on lock";
}

}  // namespace
}  // namespace berth::testing

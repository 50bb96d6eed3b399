// The encrypting VFS: a shim over another VFS that seals each page on write and opens it on read.
//
// What a read or write is gets decided by file type and offset, never by size alone (a journal header can
// be as large as a page; WAL recovery reads whole frames). Anything the shim does not recognise is refused
// with an I/O error instead of being passed through in clear.
#include "berth/schema/crypt_vfs.h"

#include <malloc.h>
#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

namespace berth {
namespace {

constexpr int kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr int kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;       // 16
static_assert(kNonceBytes + kTagBytes == kReserveBytes);
constexpr int kWalHeaderBytes = 32;
constexpr int kWalFrameHeaderBytes = 24;
constexpr char kSqliteMagic[16] = "SQLite format 3";  // includes the trailing NUL

uint32_t Get32BE(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Page size from the clear bytes 16..17 of page 1 (1 means 65536).
int PageSizeFromHeader(const uint8_t* header) {
  const int v = (header[16] << 8) | header[17];
  return v == 1 ? 65536 : v;
}

bool ValidPageSize(int p) {
  return p >= 512 && p <= 65536 && (p & (p - 1)) == 0;
}

struct KeyContext {
  Secret key;
  DbId db_id{};
  // Nonces are a random 16-byte prefix (drawn when the key is registered) and a 64-bit counter: unique
  // for every write under this key without a system call per page (see FORMAT.md, "Nonces").
  uint8_t nonce_prefix[16] = {};
  std::atomic<uint64_t> nonce_counter{0};
  void NextNonce(uint8_t* out) {
    std::memcpy(out, nonce_prefix, sizeof nonce_prefix);
    const uint64_t n = nonce_counter.fetch_add(1, std::memory_order_relaxed);
    for (int i = 0; i < 8; ++i) out[16 + i] = static_cast<uint8_t>(n >> (8 * i));
  }
  int page_size = 0;  // learned from the main file; journals use it
  std::mutex mu;
  std::string last_error;
  // The last page opened from the WAL, sealed and plain. A checkpoint reads a page from the WAL and
  // writes the same bytes to the database file; the sealed frame is already valid there (the associated
  // data binds the page number and database, not the file), so it is copied instead of sealed again.
  std::mutex wal_page_mu;
  uint32_t wal_pgno = 0;
  std::vector<uint8_t> wal_plain, wal_sealed;

  void RememberWalPage(uint32_t pgno, const uint8_t* sealed, const uint8_t* plain, int size) {
    std::lock_guard<std::mutex> lock(wal_page_mu);
    wal_pgno = pgno;
    wal_sealed.assign(sealed, sealed + size);
    wal_plain.assign(plain, plain + size - kReserveBytes);
  }
  // Copies the sealed page into `out` if `plain` is exactly the page last opened from the WAL.
  bool ReuseWalPage(uint32_t pgno, const uint8_t* plain, uint8_t* out, int size) {
    std::lock_guard<std::mutex> lock(wal_page_mu);
    if (wal_pgno != pgno || wal_sealed.size() != static_cast<size_t>(size) ||
        std::memcmp(plain, wal_plain.data(), wal_plain.size()) != 0) {
      return false;
    }
    std::memcpy(out, wal_sealed.data(), wal_sealed.size());
    return true;
  }
  ~KeyContext() {
    if (!wal_plain.empty()) sodium_memzero(wal_plain.data(), wal_plain.size());
  }

  void Fail(std::string message) {
    std::lock_guard<std::mutex> lock(mu);
    last_error = std::move(message);
  }
};

std::mutex g_registry_mu;
std::map<std::string, std::shared_ptr<KeyContext>>& Registry() {
  static auto* registry = new std::map<std::string, std::shared_ptr<KeyContext>>();
  return *registry;
}

std::shared_ptr<KeyContext> FindKey(const char* handle) {
  if (handle == nullptr) return nullptr;
  std::lock_guard<std::mutex> lock(g_registry_mu);
  auto it = Registry().find(handle);
  return it == Registry().end() ? nullptr : it->second;
}

size_t AssociatedData(const DbId& db_id, uint32_t pgno, const uint8_t* page, uint8_t* ad) {
  std::memcpy(ad, db_id.data(), kDbIdBytes);
  ad[16] = static_cast<uint8_t>(pgno);
  ad[17] = static_cast<uint8_t>(pgno >> 8);
  ad[18] = static_cast<uint8_t>(pgno >> 16);
  ad[19] = static_cast<uint8_t>(pgno >> 24);
  if (pgno != 1) return 20;
  std::memcpy(ad + 20, page + 16, 8);  // page 1's clear header bytes are authenticated too
  return 28;
}

}  // namespace

void SealPage(const Secret& key, const DbId& db_id, uint32_t pgno, const uint8_t* plain, uint8_t* sealed,
              int size) {
  uint8_t nonce[kNonceBytes];
  randombytes_buf(nonce, sizeof nonce);
  SealPageWithNonce(key, db_id, pgno, plain, sealed, size, nonce);
}

void SealPageWithNonce(const Secret& key, const DbId& db_id, uint32_t pgno, const uint8_t* plain,
                       uint8_t* sealed, int size, const uint8_t* fresh_nonce) {
  const int usable = size - kReserveBytes;
  const int start = pgno == 1 ? 24 : 0;
  if (pgno == 1) {
    std::memcpy(sealed, db_id.data(), kDbIdBytes);
    std::memcpy(sealed + 16, plain + 16, 8);
  }
  uint8_t ad[28];
  const size_t ad_len = AssociatedData(db_id, pgno, plain, ad);
  uint8_t* nonce = sealed + usable;
  uint8_t* tag = sealed + usable + kNonceBytes;
  std::memcpy(nonce, fresh_nonce, kNonceBytes);
  crypto_aead_xchacha20poly1305_ietf_encrypt_detached(sealed + start, tag, nullptr, plain + start,
                                                      static_cast<unsigned long long>(usable - start), ad,
                                                      ad_len, nullptr, nonce, key.data());
}

bool OpenPage(const Secret& key, const DbId& db_id, uint32_t pgno, const uint8_t* sealed, uint8_t* plain,
              int size) {
  const int usable = size - kReserveBytes;
  const int start = pgno == 1 ? 24 : 0;
  if (pgno == 1 && std::memcmp(sealed, db_id.data(), kDbIdBytes) != 0) return false;
  uint8_t ad[28];
  const size_t ad_len = AssociatedData(db_id, pgno, sealed, ad);
  const uint8_t* nonce = sealed + usable;
  const uint8_t* tag = sealed + usable + kNonceBytes;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(plain + start, nullptr, sealed + start,
                                                          static_cast<unsigned long long>(usable - start),
                                                          tag, ad, ad_len, nonce, key.data()) != 0) {
    return false;
  }
  if (pgno == 1) {
    std::memcpy(plain, kSqliteMagic, 16);
    std::memmove(plain + 16, sealed + 16, 8);
  }
  std::memset(plain + usable, 0, kReserveBytes);
  return true;
}

namespace {

enum class FileKind { kMain, kWal, kJournal };

struct CryptFile {
  sqlite3_file base;  // must be first: SQLite sees a CryptFile as an sqlite3_file
  sqlite3_file* real = nullptr;
  std::shared_ptr<KeyContext> ctx;
  FileKind kind = FileKind::kMain;
  std::string name;              // file name without directory, for messages
  int page_size = 0;             // main: from page 1; WAL: from the WAL header
  std::vector<uint8_t> scratch;  // holds only sealed bytes, never plaintext
  // Journal records are written and read as (pgno:4)(page)(checksum:4) in three calls; remember the pgno.
  sqlite3_int64 pgno_offset = -1;
  uint32_t pgno = 0;
  // The WAL frame header most recently written, so the page write that follows knows its pgno.
  sqlite3_int64 frame_header_offset = -1;
  uint32_t frame_pgno = 0;
};

struct CryptVfs {
  sqlite3_vfs vfs;
  sqlite3_vfs* root;
  std::string name;
};

CryptFile* AsCrypt(sqlite3_file* f) {
  return reinterpret_cast<CryptFile*>(f);
}

void Note(CryptFile* f, const std::string& what) {
  f->ctx->Fail(what);
}

void Seal(CryptFile* f, uint32_t pgno, const uint8_t* plain, uint8_t* sealed, int size) {
  uint8_t nonce[kNonceBytes];
  f->ctx->NextNonce(nonce);
  SealPageWithNonce(f->ctx->key, f->ctx->db_id, pgno, plain, sealed, size, nonce);
}

int Fail(CryptFile* f, uint32_t pgno, const char* what) {
  Note(f, "page " + std::to_string(pgno) + " of " + f->name + " " + what);
  return SQLITE_IOERR_DATA;
}

// Reads and opens whole pages of the main database covering [offset, offset+amount).
int ReadMain(CryptFile* f, uint8_t* out, int amount, sqlite3_int64 offset) {
  if (f->page_size == 0) {
    uint8_t header[24];
    int rc = f->real->pMethods->xRead(f->real, header, sizeof header, 0);
    if (rc == SQLITE_IOERR_SHORT_READ) {
      sqlite3_int64 size = 0;
      f->real->pMethods->xFileSize(f->real, &size);
      if (size == 0) {  // a new, empty database: SQLite expects the short read
        std::memset(out, 0, static_cast<size_t>(amount));
        return SQLITE_IOERR_SHORT_READ;
      }
      Note(f, f->name + " is truncated inside its header");
      return SQLITE_IOERR_DATA;
    }
    if (rc != SQLITE_OK) return rc;
    const int p = PageSizeFromHeader(header);
    if (!ValidPageSize(p) || header[20] != kReserveBytes) {
      Note(f, f->name + " is not a Berth store (its page reserve is " + std::to_string(header[20]) +
                  " bytes, expected " + std::to_string(kReserveBytes) + ")");
      return SQLITE_IOERR_DATA;
    }
    f->page_size = p;
    f->ctx->page_size = p;
  }
  const int p = f->page_size;
  if (f->scratch.size() < static_cast<size_t>(p)) f->scratch.resize(static_cast<size_t>(p));
  std::vector<uint8_t> plain;  // only for partial-page reads (page 1's header at open)
  sqlite3_int64 first = offset / p;
  sqlite3_int64 last = (offset + amount - 1) / p;
  for (sqlite3_int64 pg = first; pg <= last; ++pg) {
    const auto pgno = static_cast<uint32_t>(pg + 1);
    int rc = f->real->pMethods->xRead(f->real, f->scratch.data(), p, pg * p);
    if (rc == SQLITE_IOERR_SHORT_READ) {
      sqlite3_int64 size = 0;
      f->real->pMethods->xFileSize(f->real, &size);
      if (size <= pg * p) {  // past the end: SQLite asks this while growing the file
        const sqlite3_int64 from = std::max(offset, pg * p);
        std::memset(out + (from - offset), 0, static_cast<size_t>(offset + amount - from));
        return SQLITE_IOERR_SHORT_READ;
      }
      return Fail(f, pgno, "is truncated");
    }
    if (rc != SQLITE_OK) return rc;
    const sqlite3_int64 page_start = pg * p;
    const sqlite3_int64 from = std::max(offset, page_start);
    const sqlite3_int64 to = std::min(offset + amount, page_start + p);
    const bool whole = from == page_start && to == page_start + p;
    uint8_t* target = out + (from - offset);
    if (!whole) {
      plain.resize(static_cast<size_t>(p));
      target = plain.data();
    }
    if (!OpenPage(f->ctx->key, f->ctx->db_id, pgno, f->scratch.data(), target, p)) {
      return Fail(f, pgno, "failed authentication");
    }
    if (!whole)
      std::memcpy(out + (from - offset), plain.data() + (from - page_start), static_cast<size_t>(to - from));
  }
  return SQLITE_OK;
}

int WriteMain(CryptFile* f, const uint8_t* in, int amount, sqlite3_int64 offset) {
  if (offset == 0 && amount >= 100) {
    const int p = PageSizeFromHeader(in);
    if (in[20] != kReserveBytes) {
      Note(f, "refusing to write page 1 of " + f->name + " without Berth's page reserve");
      return SQLITE_IOERR_WRITE;
    }
    f->page_size = p;
    f->ctx->page_size = p;
  }
  const int p = f->page_size;
  if (p == 0 || offset % p != 0 || amount % p != 0) {
    Note(f, "refusing a partial-page write to " + f->name);
    return SQLITE_IOERR_WRITE;
  }
  if (f->scratch.size() < static_cast<size_t>(p)) f->scratch.resize(static_cast<size_t>(p));
  for (int done = 0; done < amount; done += p) {
    const auto pgno = static_cast<uint32_t>((offset + done) / p + 1);
    if (!f->ctx->ReuseWalPage(pgno, in + done, f->scratch.data(), p))
      Seal(f, pgno, in + done, f->scratch.data(), p);
    const int rc = f->real->pMethods->xWrite(f->real, f->scratch.data(), p, offset + done);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

// WAL layout: a 32-byte header, then frames of (24-byte frame header)(page). Headers stay in clear.
int WalPageSize(CryptFile* f) {
  if (f->page_size != 0) return f->page_size;
  uint8_t header[kWalHeaderBytes];
  const int rc = f->real->pMethods->xRead(f->real, header, kWalHeaderBytes, 0);
  if (rc != SQLITE_OK) return 0;
  const int p = static_cast<int>(Get32BE(header + 8));
  if (ValidPageSize(p)) f->page_size = p;
  return f->page_size;
}

// Where `offset` falls in the WAL: -1 in the header, else the frame index; *within is the offset in it.
sqlite3_int64 WalFrame(sqlite3_int64 offset, int p, sqlite3_int64* within) {
  if (offset < kWalHeaderBytes) return -1;
  const sqlite3_int64 frame_size = p + kWalFrameHeaderBytes;
  *within = (offset - kWalHeaderBytes) % frame_size;
  return (offset - kWalHeaderBytes) / frame_size;
}

// During recovery SQLite reads whole frames until one is invalid. A frame that fails authentication is
// legitimately the end of the log only if it is stale (an older WAL generation: other salts) or a torn
// tail (no later frame of this generation authenticates). Otherwise someone altered it: report it rather
// than let recovery silently drop the transactions after it.
bool LaterFrameAuthenticates(CryptFile* f, const uint8_t* frame_header, sqlite3_int64 frame, int p) {
  uint8_t wal_header[kWalHeaderBytes];
  if (f->real->pMethods->xRead(f->real, wal_header, kWalHeaderBytes, 0) != SQLITE_OK) return false;
  if (std::memcmp(wal_header + 16, frame_header + 8, 8) != 0) return false;  // stale generation
  std::vector<uint8_t> buf(static_cast<size_t>(p + kWalFrameHeaderBytes));
  std::vector<uint8_t> plain(static_cast<size_t>(p));
  for (sqlite3_int64 next = frame + 1;; ++next) {
    const sqlite3_int64 at = kWalHeaderBytes + next * (p + kWalFrameHeaderBytes);
    if (f->real->pMethods->xRead(f->real, buf.data(), static_cast<int>(buf.size()), at) != SQLITE_OK)
      return false;
    if (std::memcmp(buf.data() + 8, wal_header + 16, 8) != 0) continue;
    if (OpenPage(f->ctx->key, f->ctx->db_id, Get32BE(buf.data()), buf.data() + kWalFrameHeaderBytes,
                 plain.data(), p)) {
      sodium_memzero(plain.data(), plain.size());
      return true;
    }
  }
}

int ReadWal(CryptFile* f, uint8_t* out, int amount, sqlite3_int64 offset) {
  int rc = f->real->pMethods->xRead(f->real, out, amount, offset);
  if (rc != SQLITE_OK) return rc;  // short reads of the WAL are normal: SQLite zero-fills and stops there
  if (offset == 0 && amount >= 12) {
    const int p = static_cast<int>(Get32BE(out + 8));
    if (ValidPageSize(p)) f->page_size = p;
  }
  const int p = WalPageSize(f);
  if (p == 0) return SQLITE_OK;  // no frames yet: only the clear header can have been read
  sqlite3_int64 within = 0;
  const sqlite3_int64 frame = WalFrame(offset, p, &within);
  // Headers only, e.g. the 8-byte checksum read when SQLite rewrites checksums after overwriting a frame.
  if (frame < 0 || within + amount <= kWalFrameHeaderBytes) return SQLITE_OK;
  if (f->scratch.size() < static_cast<size_t>(p)) f->scratch.resize(static_cast<size_t>(p));
  const sqlite3_int64 frame_start = kWalHeaderBytes + frame * (p + kWalFrameHeaderBytes);
  uint32_t pgno = 0;
  uint8_t* page = nullptr;
  if (within == 0 && amount == p + kWalFrameHeaderBytes) {  // whole frame, as during recovery
    pgno = Get32BE(out);
    page = out + kWalFrameHeaderBytes;
  } else if (within == kWalFrameHeaderBytes && amount == p) {  // page only, as for a page read or checkpoint
    uint8_t header[4];
    rc = f->real->pMethods->xRead(f->real, header, 4, frame_start);
    if (rc != SQLITE_OK) return rc;
    pgno = Get32BE(header);
    page = out;
  } else {
    Note(f, "unexpected read of " + std::to_string(amount) + " bytes inside WAL frame " +
                std::to_string(frame + 1));
    return SQLITE_IOERR_READ;
  }
  std::memcpy(f->scratch.data(), page, static_cast<size_t>(p));
  const bool opened = pgno != 0 && OpenPage(f->ctx->key, f->ctx->db_id, pgno, f->scratch.data(), page, p);
  if (opened && within == kWalFrameHeaderBytes) f->ctx->RememberWalPage(pgno, f->scratch.data(), page, p);
  if (!opened) {
    // During recovery SQLite reads frames past the last valid commit; a torn frame there is expected and
    // its checksum check will reject it. Zeroing keeps garbage out of SQLite either way.
    std::memset(page, 0, static_cast<size_t>(p));
    Note(f, "WAL frame " + std::to_string(frame + 1) + " (page " + std::to_string(pgno) + ") of " + f->name +
                " failed authentication");
    if (within != 0) return SQLITE_IOERR_DATA;  // a page SQLite trusts the index for: a real failure
    if (LaterFrameAuthenticates(f, out, frame, p)) return SQLITE_IOERR_DATA;  // not a torn tail: tampering
    std::memset(out, 0, kWalFrameHeaderBytes);  // a torn or stale tail frame ends the log, as in SQLite
  }
  return SQLITE_OK;
}

int WriteWal(CryptFile* f, const uint8_t* in, int amount, sqlite3_int64 offset) {
  if (offset == 0) {
    if (amount >= 12) {
      const int p = static_cast<int>(Get32BE(in + 8));
      if (ValidPageSize(p)) f->page_size = p;
    }
    return f->real->pMethods->xWrite(f->real, in, amount, offset);
  }
  const int p = WalPageSize(f);
  sqlite3_int64 within = 0;
  const sqlite3_int64 frame = p == 0 ? -1 : WalFrame(offset, p, &within);
  if (frame < 0) {
    Note(f, "unexpected write to the WAL header of " + f->name);
    return SQLITE_IOERR_WRITE;
  }
  if (within + amount <= kWalFrameHeaderBytes) {  // frame header fields stay in clear
    if (within == 0 && amount >= 4) {
      f->frame_header_offset = offset;
      f->frame_pgno = Get32BE(in);
    }
    return f->real->pMethods->xWrite(f->real, in, amount, offset);
  }
  if (f->scratch.size() < static_cast<size_t>(p + kWalFrameHeaderBytes)) {
    f->scratch.resize(static_cast<size_t>(p + kWalFrameHeaderBytes));
  }
  if (within == 0 && amount == p + kWalFrameHeaderBytes) {  // a whole frame in one call
    std::memcpy(f->scratch.data(), in, kWalFrameHeaderBytes);
    Seal(f, Get32BE(in), in + kWalFrameHeaderBytes, f->scratch.data() + kWalFrameHeaderBytes, p);
    return f->real->pMethods->xWrite(f->real, f->scratch.data(), amount, offset);
  }
  if (within == kWalFrameHeaderBytes && amount == p) {
    uint32_t pgno = f->frame_pgno;
    if (f->frame_header_offset != offset - kWalFrameHeaderBytes) {
      uint8_t header[4];
      const int rc = f->real->pMethods->xRead(f->real, header, 4, offset - kWalFrameHeaderBytes);
      if (rc != SQLITE_OK) return rc;
      pgno = Get32BE(header);
    }
    Seal(f, pgno, in, f->scratch.data(), p);
    return f->real->pMethods->xWrite(f->real, f->scratch.data(), p, offset);
  }
  // Only a frame split at a sector sync point would land here; the VFS reports powersafe overwrite, so
  // SQLite does not pad or split frames. Refuse rather than write a page in clear.
  Note(f, "refusing a split write inside WAL frame " + std::to_string(frame + 1) + " of " + f->name);
  return SQLITE_IOERR_WRITE;
}

// Rollback journal records are (pgno:4)(page)(checksum:4), written and read in three calls. Headers,
// the checksums and the pgno stay in clear; a page-sized transfer is a page only when it directly follows
// the 4-byte pgno transfer, which tells headers (that can be page-sized too) apart from records.
int ReadJournal(CryptFile* f, uint8_t* out, int amount, sqlite3_int64 offset) {
  int rc = f->real->pMethods->xRead(f->real, out, amount, offset);
  const int p = f->ctx->page_size;
  if (amount == 4 && rc == SQLITE_OK) {
    f->pgno_offset = offset;
    f->pgno = Get32BE(out);
    return rc;
  }
  if (rc == SQLITE_OK && p != 0 && amount == p && f->pgno_offset == offset - 4) {
    f->pgno_offset = -1;
    if (f->scratch.size() < static_cast<size_t>(p)) f->scratch.resize(static_cast<size_t>(p));
    std::memcpy(f->scratch.data(), out, static_cast<size_t>(p));
    if (f->pgno == 0 || !OpenPage(f->ctx->key, f->ctx->db_id, f->pgno, f->scratch.data(), out, p)) {
      std::memset(out, 0, static_cast<size_t>(p));
      return Fail(f, f->pgno, "(in the rollback journal) failed authentication");
    }
    return SQLITE_OK;
  }
  f->pgno_offset = -1;
  return rc;
}

int WriteJournal(CryptFile* f, const uint8_t* in, int amount, sqlite3_int64 offset) {
  const int p = f->ctx->page_size;
  if (amount == 4) {
    f->pgno_offset = offset;
    f->pgno = Get32BE(in);
    return f->real->pMethods->xWrite(f->real, in, amount, offset);
  }
  if (p != 0 && amount == p && f->pgno_offset == offset - 4) {
    f->pgno_offset = -1;
    if (f->scratch.size() < static_cast<size_t>(p)) f->scratch.resize(static_cast<size_t>(p));
    Seal(f, f->pgno, in, f->scratch.data(), p);
    return f->real->pMethods->xWrite(f->real, f->scratch.data(), p, offset);
  }
  f->pgno_offset = -1;
  // What else SQLite writes to a rollback journal: a header (magic, or zeros until the journal is synced;
  // record count, nonce, initial page count, sector size, page size; zero padding), the magic and record
  // count written over it at sync (12 bytes), or zeros (a header cleared at commit). Anything else would
  // be written in clear, so it is refused.
  static constexpr uint8_t kJournalMagic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
  static constexpr uint8_t kNoMagic[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  auto is_zero = [](const uint8_t* b, const uint8_t* e) {
    return std::all_of(b, e, [](uint8_t x) { return x == 0; });
  };
  const bool magic = amount >= 8 && std::memcmp(in, kJournalMagic, 8) == 0;
  const bool header = amount >= 28 && (magic || std::memcmp(in, kNoMagic, 8) == 0) &&
                      ValidPageSize(static_cast<int>(Get32BE(in + 24))) && Get32BE(in + 20) >= 512 &&
                      (Get32BE(in + 20) & (Get32BE(in + 20) - 1)) == 0 && is_zero(in + 28, in + amount);
  const bool sync_stamp = amount == 12 && magic;
  const bool zeros = is_zero(in, in + amount);
  if (!header && !sync_stamp && !zeros) {
    Note(f, "refusing an unrecognised write of " + std::to_string(amount) + " bytes at offset " +
                std::to_string(offset) + " of " + f->name);
    return SQLITE_IOERR_WRITE;
  }
  return f->real->pMethods->xWrite(f->real, in, amount, offset);
}

// ---- sqlite3_io_methods ------------------------------------------------------------------------------

int xClose(sqlite3_file* file) {
  CryptFile* f = AsCrypt(file);
  int rc = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
  f->~CryptFile();
  return rc;
}

int xRead(sqlite3_file* file, void* buf, int amount, sqlite3_int64 offset) {
  CryptFile* f = AsCrypt(file);
  auto* out = static_cast<uint8_t*>(buf);
  switch (f->kind) {
    case FileKind::kMain:
      return ReadMain(f, out, amount, offset);
    case FileKind::kWal:
      return ReadWal(f, out, amount, offset);
    case FileKind::kJournal:
      return ReadJournal(f, out, amount, offset);
  }
  return SQLITE_IOERR_READ;
}

int xWrite(sqlite3_file* file, const void* buf, int amount, sqlite3_int64 offset) {
  CryptFile* f = AsCrypt(file);
  const auto* in = static_cast<const uint8_t*>(buf);
  switch (f->kind) {
    case FileKind::kMain:
      return WriteMain(f, in, amount, offset);
    case FileKind::kWal:
      return WriteWal(f, in, amount, offset);
    case FileKind::kJournal:
      return WriteJournal(f, in, amount, offset);
  }
  return SQLITE_IOERR_WRITE;
}

int xTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return AsCrypt(f)->real->pMethods->xTruncate(AsCrypt(f)->real, size);
}
int xSync(sqlite3_file* f, int flags) {
  return AsCrypt(f)->real->pMethods->xSync(AsCrypt(f)->real, flags);
}
int xFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return AsCrypt(f)->real->pMethods->xFileSize(AsCrypt(f)->real, size);
}
int xLock(sqlite3_file* f, int level) {
  return AsCrypt(f)->real->pMethods->xLock(AsCrypt(f)->real, level);
}
int xUnlock(sqlite3_file* f, int level) {
  return AsCrypt(f)->real->pMethods->xUnlock(AsCrypt(f)->real, level);
}
int xCheckReservedLock(sqlite3_file* f, int* out) {
  return AsCrypt(f)->real->pMethods->xCheckReservedLock(AsCrypt(f)->real, out);
}
int xFileControl(sqlite3_file* file, int op, void* arg) {
  CryptFile* f = AsCrypt(file);
  if (op == SQLITE_FCNTL_MMAP_SIZE) {  // mmap would bypass xRead and hand SQLite sealed pages
    *static_cast<sqlite3_int64*>(arg) = 0;
    return SQLITE_OK;
  }
  if (op == SQLITE_FCNTL_VFSNAME) {
    char** out = static_cast<char**>(arg);
    sqlite3_free(*out);
    *out = sqlite3_mprintf("berth-crypt");
    return SQLITE_OK;
  }
  return f->real->pMethods->xFileControl(f->real, op, arg);
}
int xSectorSize(sqlite3_file* f) {
  return AsCrypt(f)->real->pMethods->xSectorSize(AsCrypt(f)->real);
}
int xDeviceCharacteristics(sqlite3_file* f) {
  // Powersafe overwrite keeps SQLite from padding WAL frames to sector boundaries or splitting a frame
  // write at a sync point (which this shim would have to reassemble). Unix reports it by default too.
  return AsCrypt(f)->real->pMethods->xDeviceCharacteristics(AsCrypt(f)->real) |
         SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}
int xShmMap(sqlite3_file* f, int pg, int sz, int extend, void volatile** out) {
  return AsCrypt(f)->real->pMethods->xShmMap(AsCrypt(f)->real, pg, sz, extend, out);
}
int xShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return AsCrypt(f)->real->pMethods->xShmLock(AsCrypt(f)->real, offset, n, flags);
}
void xShmBarrier(sqlite3_file* f) {
  AsCrypt(f)->real->pMethods->xShmBarrier(AsCrypt(f)->real);
}
int xShmUnmap(sqlite3_file* f, int del) {
  return AsCrypt(f)->real->pMethods->xShmUnmap(AsCrypt(f)->real, del);
}

// Version 2: WAL support, and no xFetch/xUnfetch, so memory-mapped I/O is impossible.
const sqlite3_io_methods kCryptIo = {2,
                                     xClose,
                                     xRead,
                                     xWrite,
                                     xTruncate,
                                     xSync,
                                     xFileSize,
                                     xLock,
                                     xUnlock,
                                     xCheckReservedLock,
                                     xFileControl,
                                     xSectorSize,
                                     xDeviceCharacteristics,
                                     xShmMap,
                                     xShmLock,
                                     xShmBarrier,
                                     xShmUnmap,
                                     nullptr,
                                     nullptr};

std::string BaseName(const char* path) {
  if (path == nullptr) return "(temporary file)";
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

int xOpen(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* cv = reinterpret_cast<CryptVfs*>(vfs->pAppData);
  file->pMethods = nullptr;
  FileKind kind;
  if (flags & SQLITE_OPEN_MAIN_DB) {
    kind = FileKind::kMain;
  } else if (flags & SQLITE_OPEN_WAL) {
    kind = FileKind::kWal;
  } else if (flags & SQLITE_OPEN_MAIN_JOURNAL) {
    kind = FileKind::kJournal;
  } else {
    // Temp databases, statement journals and super-journals: the store keeps temp storage in memory and
    // uses no multi-database transactions, so any of these on disk would be a plaintext leak.
    return SQLITE_CANTOPEN;
  }
  std::shared_ptr<KeyContext> ctx = FindKey(sqlite3_uri_parameter(name, "bk"));
  if (!ctx) return SQLITE_CANTOPEN;  // no key: never open a Berth file (or any file) unencrypted here

  auto* f = new (file) CryptFile();
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<uint8_t*>(file) + sizeof(CryptFile));
  f->real->pMethods = nullptr;
  f->ctx = std::move(ctx);
  f->kind = kind;
  f->name = BaseName(name);
  const int rc = cv->root->xOpen(cv->root, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    f->~CryptFile();
    file->pMethods = nullptr;
    return rc;
  }
  file->pMethods = &kCryptIo;
  return SQLITE_OK;
}

// The remaining VFS methods are the base VFS's own.
#define BERTH_ROOT(vfs) (reinterpret_cast<CryptVfs*>((vfs)->pAppData)->root)
int xDelete(sqlite3_vfs* v, const char* n, int sync) {
  return BERTH_ROOT(v)->xDelete(BERTH_ROOT(v), n, sync);
}
int xAccess(sqlite3_vfs* v, const char* n, int flags, int* out) {
  return BERTH_ROOT(v)->xAccess(BERTH_ROOT(v), n, flags, out);
}
int xFullPathname(sqlite3_vfs* v, const char* n, int size, char* out) {
  return BERTH_ROOT(v)->xFullPathname(BERTH_ROOT(v), n, size, out);
}
void* xDlOpen(sqlite3_vfs* v, const char* n) {
  return BERTH_ROOT(v)->xDlOpen(BERTH_ROOT(v), n);
}
void xDlError(sqlite3_vfs* v, int n, char* out) {
  BERTH_ROOT(v)->xDlError(BERTH_ROOT(v), n, out);
}
void (*xDlSym(sqlite3_vfs* v, void* h, const char* s))(void) {
  return BERTH_ROOT(v)->xDlSym(BERTH_ROOT(v), h, s);
}
void xDlClose(sqlite3_vfs* v, void* h) {
  BERTH_ROOT(v)->xDlClose(BERTH_ROOT(v), h);
}
int xRandomness(sqlite3_vfs* v, int n, char* out) {
  return BERTH_ROOT(v)->xRandomness(BERTH_ROOT(v), n, out);
}
int xSleep(sqlite3_vfs* v, int us) {
  return BERTH_ROOT(v)->xSleep(BERTH_ROOT(v), us);
}
int xCurrentTime(sqlite3_vfs* v, double* out) {
  return BERTH_ROOT(v)->xCurrentTime(BERTH_ROOT(v), out);
}
int xGetLastError(sqlite3_vfs* v, int n, char* out) {
  return BERTH_ROOT(v)->xGetLastError ? BERTH_ROOT(v)->xGetLastError(BERTH_ROOT(v), n, out) : 0;
}
int xCurrentTimeInt64(sqlite3_vfs* v, sqlite3_int64* out) {
  return BERTH_ROOT(v)->xCurrentTimeInt64(BERTH_ROOT(v), out);
}
#undef BERTH_ROOT

std::mutex g_vfs_mu;

}  // namespace

namespace {

// SQLite's memory, page cache included, goes back to the heap zeroed: decrypted pages do not linger in
// freed memory once a store is locked or closed (FORMAT.md, "Threat model").
sqlite3_mem_methods g_heap{};
std::atomic<int64_t> g_wiped_bytes{0};

void* WipingMalloc(int n) {
  return g_heap.xMalloc(n);
}
void WipingFree(void* p) {
  if (p == nullptr) return;
  const int n = g_heap.xSize(p);
  sodium_memzero(p, static_cast<size_t>(n));
  g_wiped_bytes.fetch_add(n, std::memory_order_relaxed);
  g_heap.xFree(p);
}
void* WipingRealloc(void* p, int n) {
  if (p == nullptr) return g_heap.xMalloc(n);
  void* q = g_heap.xMalloc(n);
  if (q == nullptr) return nullptr;
  std::memcpy(q, p, static_cast<size_t>(std::min(n, g_heap.xSize(p))));
  WipingFree(p);
  return q;
}
int WipingSize(void* p) {
  return g_heap.xSize(p);
}
int WipingRoundup(int n) {
  return g_heap.xRoundup(n);
}
int WipingInit(void* app) {
  return g_heap.xInit(app);
}
void WipingShutdown(void* app) {
  g_heap.xShutdown(app);
}

// glibc hands the top of its heap back to the kernel once 128 KiB lie free there, and maps blocks from
// 128 KiB up (a threshold it raises as they are freed) one by one. A store's page cache is thousands of
// 4 KiB pages: a batch's dirty pages grow it past cache_size and its commit frees them, so every pulled page
// gave memory back and faulted it in again (8,800 page faults per 200,000 pulled rows on the development
// machine, and the pull's apply 10-15% slower for it). Up to 128 MiB of free
// memory now stays in the process and blocks up to 32 MiB (the most glibc allows) come from the heap.
// SQLite's blocks are zeroed when freed, Berth's other freed buffers stayed in the process before too
// (glibc raises its mmap threshold past a large block at its first free), and the process writes no core
// and is not dumpable (DisableCoreDumps): memory kept for reuse exposes nothing that memory in use does not.
void KeepFreedMemoryForReuse() {
  (void)mallopt(M_TRIM_THRESHOLD, 128 << 20);
  (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

}  // namespace

void ConfigureSqliteProcess() {
  // Before SQLite initialises (the first sqlite3_open or sqlite3_vfs_find does that). Too late is harmless
  // (SQLITE_MISUSE): the settings stay as they were.
  static const bool done = [] {
    // No global memory statistics: Berth never reads them, and they cost a global mutex on every
    // allocation SQLite makes.
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    KeepFreedMemoryForReuse();
    if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &g_heap) == SQLITE_OK) {
      sqlite3_mem_methods wiping = g_heap;
      wiping.xMalloc = WipingMalloc;
      wiping.xFree = WipingFree;
      wiping.xRealloc = WipingRealloc;
      wiping.xSize = WipingSize;
      wiping.xRoundup = WipingRoundup;
      wiping.xInit = WipingInit;
      wiping.xShutdown = WipingShutdown;
      (void)sqlite3_config(SQLITE_CONFIG_MALLOC, &wiping);
    }
    return true;
  }();
  (void)done;
}

int64_t SqliteBytesWipedOnFree() {
  return g_wiped_bytes.load();
}

Result<std::string> CryptVfsName(const std::string& base_vfs) {
  if (sodium_init() < 0) return InternalError("libsodium failed to initialise");
  ConfigureSqliteProcess();
  std::lock_guard<std::mutex> lock(g_vfs_mu);
  const std::string name = base_vfs.empty() ? "berth-crypt" : "berth-crypt-" + base_vfs;
  if (sqlite3_vfs_find(name.c_str()) != nullptr) return name;
  sqlite3_vfs* root = sqlite3_vfs_find(base_vfs.empty() ? nullptr : base_vfs.c_str());
  if (root == nullptr) return InternalError("no SQLite VFS named '" + base_vfs + "'");
  // Registered VFSes live for the whole process, as SQLite requires.
  auto* cv = new CryptVfs();
  cv->root = root;
  cv->name = name;
  sqlite3_vfs& v = cv->vfs;
  v.iVersion = 2;
  v.szOsFile = static_cast<int>(sizeof(CryptFile)) + root->szOsFile;
  v.mxPathname = root->mxPathname;
  v.zName = cv->name.c_str();
  v.pAppData = cv;
  v.xOpen = xOpen;
  v.xDelete = xDelete;
  v.xAccess = xAccess;
  v.xFullPathname = xFullPathname;
  v.xDlOpen = xDlOpen;
  v.xDlError = xDlError;
  v.xDlSym = xDlSym;
  v.xDlClose = xDlClose;
  v.xRandomness = xRandomness;
  v.xSleep = xSleep;
  v.xCurrentTime = xCurrentTime;
  v.xGetLastError = xGetLastError;
  v.xCurrentTimeInt64 = xCurrentTimeInt64;
  const int rc = sqlite3_vfs_register(&v, 0);
  if (rc != SQLITE_OK) return InternalError("registering the encrypting VFS failed");
  return name;
}

std::string RegisterKey(const Secret& data_key, const DbId& db_id) {
  auto ctx = std::make_shared<KeyContext>();
  ctx->key = data_key.Clone();
  ctx->db_id = db_id;
  randombytes_buf(ctx->nonce_prefix, sizeof ctx->nonce_prefix);
  uint8_t raw[16];
  randombytes_buf(raw, sizeof raw);
  char hex[33];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  std::lock_guard<std::mutex> lock(g_registry_mu);
  Registry()[hex] = std::move(ctx);
  return hex;
}

void UnregisterKey(const std::string& handle) {
  std::shared_ptr<KeyContext> ctx;
  {
    std::lock_guard<std::mutex> lock(g_registry_mu);
    auto it = Registry().find(handle);
    if (it == Registry().end()) return;
    ctx = std::move(it->second);
    Registry().erase(it);
  }
  // Files still open hold their own reference; the key is wiped when the last one closes.
}

std::string LastCryptError(const std::string& handle) {
  auto ctx = FindKey(handle.c_str());
  if (!ctx) return {};
  std::lock_guard<std::mutex> lock(ctx->mu);
  return ctx->last_error;
}

}  // namespace berth

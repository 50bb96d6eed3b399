// The encrypting SQLite VFS. Every page of the database file, of the WAL and of rollback journals is
// sealed with XChaCha20-Poly1305 under the store's data key; see schema/FORMAT.md for the layout.
//
// Keys reach the VFS through a registry: RegisterKey() returns a handle that the Store passes as the
// `bk` URI parameter when it opens the database. The VFS finds the key for a WAL or journal file through
// the same parameter, so every file of one database shares one key context.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "berth/schema/secret.h"
#include "berth/schema/status.h"

namespace berth {

inline constexpr int kReserveBytes = 40;  // 24-byte nonce + 16-byte tag at the end of every page
inline constexpr int kDbIdBytes = 16;
using DbId = std::array<uint8_t, kDbIdBytes>;

// Registers (once) and returns the name of the encrypting VFS layered over `base_vfs` (empty: SQLite's
// default VFS). Tests layer it over a fault-injecting VFS.
Result<std::string> CryptVfsName(const std::string& base_vfs = "");

// Process-wide SQLite configuration, applied once before SQLite initialises (CryptVfsName and Db::Open
// call it): no memory statistics, an allocator that zeroes every block SQLite frees, so decrypted pages do
// not linger in the heap after a store is locked or closed, and a heap (glibc's malloc) that keeps up to
// 128 MiB of freed memory for reuse rather than returning it to the kernel and faulting it in again.
void ConfigureSqliteProcess();
// Bytes SQLite has freed (and zeroed) through that allocator so far in this process.
int64_t SqliteBytesWipedOnFree();

// Makes the key available to the VFS under a fresh random handle. The registry keeps its own copy in
// sodium_malloc memory until UnregisterKey(), which wipes it.
std::string RegisterKey(const Secret& data_key, const DbId& db_id);
void UnregisterKey(const std::string& handle);

// The last authentication failure the VFS saw for this handle, e.g. "page 7 of berth.db failed
// authentication", or empty. Used to name the page in integrity errors.
std::string LastCryptError(const std::string& handle);

// Page sealing, exposed for `verify` (which authenticates every page of the file directly) and tests.
// `page` is one whole page as stored on disk, `size` bytes; pgno is 1-based.
bool OpenPage(const Secret& key, const DbId& db_id, uint32_t pgno, const uint8_t* sealed, uint8_t* plain,
              int size);
void SealPage(const Secret& key, const DbId& db_id, uint32_t pgno, const uint8_t* plain, uint8_t* sealed,
              int size);  // with a random nonce
void SealPageWithNonce(const Secret& key, const DbId& db_id, uint32_t pgno, const uint8_t* plain,
                       uint8_t* sealed, int size,
                       const uint8_t* fresh_nonce);  // 24 bytes, never reused under this key

}  // namespace berth

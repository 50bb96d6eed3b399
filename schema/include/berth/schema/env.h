// Env: what Berth asks of the operating system outside SQLite, in one seam (after leveldb's Env): the
// clock, and the files around the database (the key file, rekey's side files, a wipe). SQLite's own file
// I/O goes through its VFS instead (crypt_vfs.h), which tests wrap the same way.
//
// Production code takes an Env from its caller (a Store's, a SyncOptions', a HubOptions') and falls back to
// Env::Default() only where the caller has none. Tests pass their own Env (tests/support) to stop the
// clock, to make a wait return at once, to fail a file write or to crash the process at a chosen file
// operation, so no test sleeps or calibrates a kill.
//
// Threads: every method may be called from any thread; Default() lives for the whole process.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "berth/schema/status.h"

namespace berth {

class Env {
 public:
  virtual ~Env() = default;

  // The real clock and file system; never null, never destroyed.
  static Env* Default();

  // Milliseconds since the Unix epoch (wall clock).
  virtual int64_t NowMs() = 0;
  // Milliseconds on a clock that never goes back, for deadlines and timeouts (unrelated to NowMs). The
  // default is the system's steady clock.
  virtual int64_t MonotonicMs();
  // Blocks the calling thread for `ms` milliseconds (a retry's backoff, a wait for a lock). A test's Env
  // moves its clock here and returns at once. The default sleeps.
  virtual void SleepForMs(int64_t ms);

  // The whole file. kNotFound when it does not exist, kIo when it cannot be read.
  virtual Result<std::string> ReadFile(const std::string& path) = 0;
  // Creates or truncates `path` with mode 0600, writes `bytes` and syncs them to disk.
  virtual Status WriteFile(const std::string& path, std::string_view bytes) = 0;
  // Renames `from` over `to` and syncs the directory, so the rename survives a power cut.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Removes `path`; a file that does not exist is not an error.
  virtual Status RemoveFile(const std::string& path) = 0;
  virtual bool FileExists(const std::string& path) = 0;
  // Writes zeros over the file's bytes in place (no truncation first, so the old bytes' blocks are written
  // over rather than released) and syncs them: for secrets that must not outlive a wipe. A file that does
  // not exist is not an error. The default is the POSIX one.
  virtual Status OverwriteFile(const std::string& path);
};

// Writes `bytes` to `path` so that a crash leaves either the old file or the new one: a temporary file
// beside it ("<path>.tmp"), synced, renamed over `path`, the directory synced.
Status WriteFileAtomically(Env& env, const std::string& path, std::string_view bytes);

}  // namespace berth

// Helpers for Berth's tests: temporary directories, file scanning, a fault-injecting SQLite VFS.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "berth/schema/env.h"
#include "berth/schema/status.h"

namespace berth::testing {

// A fresh directory under $TMPDIR, removed with everything in it when the object goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::vector<uint8_t> ReadFileBytes(const std::string& path);
void WriteFileBytes(const std::string& path, const std::vector<uint8_t>& bytes);
std::string ReadFileText(const std::string& path);
// Every regular file below `dir`, recursively.
std::vector<std::string> ListFiles(const std::string& dir);
// True when `needle` occurs anywhere in the file.
bool FileContains(const std::string& path, const std::string& needle);

// A valid NHS number (10 digits, modulus-11 check digit) made from nine digits; nine digits whose check
// would be 10 are bumped to the next that has one.
std::string ValidNhsNumber(int64_t nine);

// Runs a command through /bin/sh; returns its exit code, with stdout (and stderr) in *output.
int RunCommand(const std::string& command, std::string* output = nullptr);

// Path to a program built by this tree, e.g. Program("app/berth").
std::string Program(const std::string& relative);

// A VFS layered over SQLite's default that fails the Nth read, write or sync (counted together from
// Arm()) with SQLITE_IOERR, and every one after it until Disarm() -- as a disk that went away would.
class FaultVfs {
 public:
  static const char* Name();  // registers on first use
  static void Arm(int64_t fail_at);
  static void Disarm();
  static int64_t Count();  // operations seen since Arm()
  static bool Fired();
};

// Crash points, after SQLite's crash tests: every operation that changes a file (a write, truncate, sync
// or delete through FaultVfs; a write, rename or remove through CrashEnv) is counted from Arm(), and the
// Nth ends the process with _exit(kExitCode) before it takes effect, as a SIGKILL at that moment would.
// A test forks a child, arms it, and sweeps N over the whole operation under test; no timing involved.
// For forked children only: the parent never arms it.
class CrashPoints {
 public:
  static constexpr int kExitCode = 86;
  static void Arm(int64_t crash_at);
  static void Disarm();
  static int64_t Count();  // file changes seen since Arm()
  // Called before each file change: counts it, and exits when it is the armed one.
  static void Pass();
};

// Env::Default()'s files with a clock that moves only when the test moves it: schedules are tested by
// moving time, never by sleeping. Its monotonic clock is the same one; a sleep moves it and returns at
// once (a retry's backoff costs no time), and `slept_ms()` is the total asked for.
class ManualClockEnv final : public Env {
 public:
  explicit ManualClockEnv(int64_t start_ms) : now_(start_ms) {}
  void Advance(int64_t ms) { now_ += ms; }
  int64_t NowMs() override { return now_.load(); }
  int64_t MonotonicMs() override { return now_.load(); }
  void SleepForMs(int64_t ms) override {
    now_ += ms;
    slept_ += ms;
  }
  int64_t slept_ms() const { return slept_.load(); }
  Result<std::string> ReadFile(const std::string& path) override { return Env::Default()->ReadFile(path); }
  Status WriteFile(const std::string& path, std::string_view bytes) override {
    return Env::Default()->WriteFile(path, bytes);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return Env::Default()->RenameFile(from, to);
  }
  Status RemoveFile(const std::string& path) override { return Env::Default()->RemoveFile(path); }
  bool FileExists(const std::string& path) override { return Env::Default()->FileExists(path); }

 private:
  std::atomic<int64_t> now_;
  std::atomic<int64_t> slept_{0};
};

// Env::Default() with its file changes counted as crash points.
class CrashEnv final : public Env {
 public:
  int64_t NowMs() override;
  Result<std::string> ReadFile(const std::string& path) override;
  Status WriteFile(const std::string& path, std::string_view bytes) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  bool FileExists(const std::string& path) override;
};

// Env::Default() on a disk that refuses writes from a chosen one on: the Nth WriteFile or RenameFile
// counted from FailFrom(N) (1: the next) fails with kIo, and so does every one after it, with nothing
// changed on disk, as a full or read-only disk would. Reads, removals and the clock work as usual.
class FailingWriteEnv final : public Env {
 public:
  void FailFrom(int64_t nth) {
    seen_ = 0;
    fail_from_ = nth;
  }
  void Heal() { fail_from_ = 0; }
  int64_t failed() const { return failed_.load(); }  // writes and renames refused so far

  int64_t NowMs() override { return Env::Default()->NowMs(); }
  Result<std::string> ReadFile(const std::string& path) override { return Env::Default()->ReadFile(path); }
  Status WriteFile(const std::string& path, std::string_view bytes) override {
    if (Refuse()) return IoError("cannot write " + path + " (the test's disk refuses writes)");
    return Env::Default()->WriteFile(path, bytes);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    if (Refuse()) return IoError("cannot rename " + from + " (the test's disk refuses writes)");
    return Env::Default()->RenameFile(from, to);
  }
  Status RemoveFile(const std::string& path) override { return Env::Default()->RemoveFile(path); }
  bool FileExists(const std::string& path) override { return Env::Default()->FileExists(path); }

 private:
  bool Refuse() {
    const int64_t n = ++seen_;
    const bool refuse = fail_from_.load() > 0 && n >= fail_from_.load();
    if (refuse) ++failed_;
    return refuse;
  }
  std::atomic<int64_t> seen_{0};
  std::atomic<int64_t> fail_from_{0};
  std::atomic<int64_t> failed_{0};
};

}  // namespace berth::testing

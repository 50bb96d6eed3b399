// Test support shared by every suite: private temporary directories, demo stores and passphrases.

#include "test_support.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace berth::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  // Files the tests make (passphrase files among them) are private to the user, as on a careful user's
  // machine: berth refuses a passphrase file others can read.
  ::umask(077);
  std::string templ = (fs::temp_directory_path() / "berth-test-XXXXXX").string();
  char* made = mkdtemp(templ.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFileBytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::string ReadFileText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path().string());
  }
  return out;
}

bool FileContains(const std::string& path, const std::string& needle) {
  return ReadFileText(path).find(needle) != std::string::npos;
}

std::string ValidNhsNumber(int64_t nine) {
  for (;; ++nine) {
    std::string d = std::to_string(nine);
    d = std::string(9 - d.size(), '0') + d;
    int sum = 0;
    for (int i = 0; i < 9; ++i) sum += (d[static_cast<size_t>(i)] - '0') * (10 - i);
    const int check = 11 - sum % 11;
    if (check == 10) continue;
    return d + std::to_string(check == 11 ? 0 : check);
  }
}

int RunCommand(const std::string& command, std::string* output) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  std::string text;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
  const int status = pclose(p);
  if (output != nullptr) *output = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Program(const std::string& relative) {
  return std::string(BERTH_BINARY_DIR) + "/" + relative;
}

// ---- FaultVfs ------------------------------------------------------------------------------------------

namespace {
std::atomic<int64_t> g_fail_at{-1};
std::atomic<int64_t> g_count{0};
std::atomic<bool> g_fired{false};
sqlite3_vfs* g_root = nullptr;

struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;
};

bool ShouldFail() {
  if (g_fail_at.load() < 0) return false;
  const int64_t n = ++g_count;
  if (n >= g_fail_at.load()) {
    g_fired = true;
    return true;
  }
  return false;
}

sqlite3_file* Real(sqlite3_file* f) {
  return reinterpret_cast<FaultFile*>(f)->real;
}

int FClose(sqlite3_file* f) {
  return Real(f)->pMethods->xClose(Real(f));
}
int FRead(sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
  if (ShouldFail()) return SQLITE_IOERR_READ;
  return Real(f)->pMethods->xRead(Real(f), b, n, o);
}
int FWrite(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  CrashPoints::Pass();
  if (ShouldFail()) return SQLITE_IOERR_WRITE;
  return Real(f)->pMethods->xWrite(Real(f), b, n, o);
}
int FTruncate(sqlite3_file* f, sqlite3_int64 s) {
  CrashPoints::Pass();
  if (ShouldFail()) return SQLITE_IOERR_TRUNCATE;
  return Real(f)->pMethods->xTruncate(Real(f), s);
}
int FSync(sqlite3_file* f, int flags) {
  CrashPoints::Pass();
  if (ShouldFail()) return SQLITE_IOERR_FSYNC;
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int FFileSize(sqlite3_file* f, sqlite3_int64* s) {
  return Real(f)->pMethods->xFileSize(Real(f), s);
}
int FLock(sqlite3_file* f, int l) {
  return Real(f)->pMethods->xLock(Real(f), l);
}
int FUnlock(sqlite3_file* f, int l) {
  return Real(f)->pMethods->xUnlock(Real(f), l);
}
int FCheck(sqlite3_file* f, int* o) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), o);
}
int FControl(sqlite3_file* f, int op, void* a) {
  return Real(f)->pMethods->xFileControl(Real(f), op, a);
}
int FSector(sqlite3_file* f) {
  return Real(f)->pMethods->xSectorSize(Real(f));
}
int FDevice(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int FShmMap(sqlite3_file* f, int p, int s, int e, void volatile** o) {
  return Real(f)->pMethods->xShmMap(Real(f), p, s, e, o);
}
int FShmLock(sqlite3_file* f, int o, int n, int fl) {
  return Real(f)->pMethods->xShmLock(Real(f), o, n, fl);
}
void FShmBarrier(sqlite3_file* f) {
  Real(f)->pMethods->xShmBarrier(Real(f));
}
int FShmUnmap(sqlite3_file* f, int d) {
  return Real(f)->pMethods->xShmUnmap(Real(f), d);
}

const sqlite3_io_methods kFaultIo = {
    2,        FClose,  FRead,   FWrite,  FTruncate, FSync,       FFileSize, FLock,   FUnlock, FCheck,
    FControl, FSector, FDevice, FShmMap, FShmLock,  FShmBarrier, FShmUnmap, nullptr, nullptr};

int FOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out) {
  auto* f = reinterpret_cast<FaultFile*>(file);
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  file->pMethods = nullptr;
  const int rc = g_root->xOpen(g_root, name, f->real, flags, out);
  if (rc == SQLITE_OK) file->pMethods = &kFaultIo;
  return rc;
}
int FDelete(sqlite3_vfs*, const char* n, int s) {
  CrashPoints::Pass();
  return g_root->xDelete(g_root, n, s);
}
int FAccess(sqlite3_vfs*, const char* n, int fl, int* o) {
  return g_root->xAccess(g_root, n, fl, o);
}
int FFull(sqlite3_vfs*, const char* n, int s, char* o) {
  return g_root->xFullPathname(g_root, n, s, o);
}
int FRandom(sqlite3_vfs*, int n, char* o) {
  return g_root->xRandomness(g_root, n, o);
}
int FSleep(sqlite3_vfs*, int us) {
  return g_root->xSleep(g_root, us);
}
int FTime(sqlite3_vfs*, double* o) {
  return g_root->xCurrentTime(g_root, o);
}
int FLastError(sqlite3_vfs*, int n, char* o) {
  return g_root->xGetLastError(g_root, n, o);
}
int FTime64(sqlite3_vfs*, sqlite3_int64* o) {
  return g_root->xCurrentTimeInt64(g_root, o);
}
}  // namespace

const char* FaultVfs::Name() {
  static sqlite3_vfs vfs;
  static bool registered = false;
  if (!registered) {
    g_root = sqlite3_vfs_find(nullptr);
    vfs.iVersion = 2;
    vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_root->szOsFile;
    vfs.mxPathname = g_root->mxPathname;
    vfs.zName = "berth-fault";
    vfs.xOpen = FOpen;
    vfs.xDelete = FDelete;
    vfs.xAccess = FAccess;
    vfs.xFullPathname = FFull;
    vfs.xRandomness = FRandom;
    vfs.xSleep = FSleep;
    vfs.xCurrentTime = FTime;
    vfs.xGetLastError = FLastError;
    vfs.xCurrentTimeInt64 = FTime64;
    sqlite3_vfs_register(&vfs, 0);
    registered = true;
  }
  return "berth-fault";
}

void FaultVfs::Arm(int64_t fail_at) {
  g_count = 0;
  g_fired = false;
  g_fail_at = fail_at;
}
void FaultVfs::Disarm() {
  g_fail_at = -1;
}
int64_t FaultVfs::Count() {
  return g_count.load();
}
bool FaultVfs::Fired() {
  return g_fired.load();
}

// ---- CrashPoints and CrashEnv ----------------------------------------------------------------------------

namespace {
std::atomic<int64_t> g_crash_at{-1};
std::atomic<int64_t> g_crash_count{0};
}  // namespace

void CrashPoints::Arm(int64_t crash_at) {
  g_crash_count = 0;
  g_crash_at = crash_at;
}
void CrashPoints::Disarm() {
  g_crash_at = -1;
}
int64_t CrashPoints::Count() {
  return g_crash_count.load();
}
void CrashPoints::Pass() {
  if (g_crash_at.load() < 0) return;
  if (++g_crash_count >= g_crash_at.load()) _exit(kExitCode);
}

int64_t CrashEnv::NowMs() {
  return Env::Default()->NowMs();
}
Result<std::string> CrashEnv::ReadFile(const std::string& path) {
  return Env::Default()->ReadFile(path);
}
Status CrashEnv::WriteFile(const std::string& path, std::string_view bytes) {
  CrashPoints::Pass();
  return Env::Default()->WriteFile(path, bytes);
}
Status CrashEnv::RenameFile(const std::string& from, const std::string& to) {
  CrashPoints::Pass();
  return Env::Default()->RenameFile(from, to);
}
Status CrashEnv::RemoveFile(const std::string& path) {
  if (!Env::Default()->FileExists(path)) return Status::Ok();  // nothing changes on disk: no crash point
  CrashPoints::Pass();
  return Env::Default()->RemoveFile(path);
}
bool CrashEnv::FileExists(const std::string& path) {
  return Env::Default()->FileExists(path);
}

}  // namespace berth::testing

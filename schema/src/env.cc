// The production Env: the system clock and POSIX file calls.
#include "berth/schema/env.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <thread>

namespace berth {
namespace {

Status SyncDirectoryOf(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open directory " + dir);
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : IoError("cannot sync directory " + dir);
}

class PosixEnv final : public Env {
 public:
  int64_t NowMs() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  Result<std::string> ReadFile(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return NotFound(path + " does not exist");
      return IoError("cannot read " + path);
    }
    std::string out;
    char buf[65536];
    while (true) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ::close(fd);
        return IoError("cannot read " + path);
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }

  Status WriteFile(const std::string& path, std::string_view bytes) override {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return IoError("cannot write " + path);
    size_t done = 0;
    bool ok = true;
    while (ok && done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      ok = n > 0;
      if (ok) done += static_cast<size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    ::close(fd);
    return ok ? Status::Ok() : IoError("cannot write " + path);
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (std::rename(from.c_str(), to.c_str()) != 0) return IoError("cannot rename " + from + " to " + to);
    return SyncDirectoryOf(to);
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("cannot remove " + path);
    return Status::Ok();
  }

  bool FileExists(const std::string& path) override {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }
};

}  // namespace

int64_t Env::MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Env::SleepForMs(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

Status Env::OverwriteFile(const std::string& path) {
  // Never through a symbolic link: a link planted in the store directory must not aim the zeros elsewhere.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return errno == ENOENT ? Status::Ok() : IoError("cannot overwrite " + path);
  struct stat st;
  bool ok = ::fstat(fd, &st) == 0;
  const char zeros[4096] = {};
  off_t done = 0;
  while (ok && done < st.st_size) {
    const size_t n = static_cast<size_t>(std::min<off_t>(sizeof zeros, st.st_size - done));
    const ssize_t w = ::pwrite(fd, zeros, n, done);
    if (w < 0 && errno == EINTR) continue;
    ok = w > 0;
    if (ok) done += w;
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  return ok ? Status::Ok() : IoError("cannot overwrite " + path);
}

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();  // never destroyed: usable from static destructors and threads
  return env;
}

Status WriteFileAtomically(Env& env, const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  Status st = env.WriteFile(tmp, bytes);
  if (st.ok()) st = env.RenameFile(tmp, path);
  if (!st.ok()) (void)env.RemoveFile(tmp);
  return st;
}

}  // namespace berth

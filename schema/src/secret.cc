// Memory for keys and passphrases (secret.h): libsodium's guarded allocations, wiped when freed.

#include "berth/schema/secret.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "berth/schema/passphrase.h"

namespace berth {
namespace {
std::atomic<size_t> g_live_bytes{0};

uint8_t* Allocate(size_t size) {
  if (sodium_init() < 0) std::abort();  // libsodium cannot run safely; nothing sensible to do
  if (size == 0) return nullptr;
  auto* p = static_cast<uint8_t*>(sodium_malloc(size));
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, size);
  g_live_bytes += size;
  return p;
}
}  // namespace

size_t Secret::LiveBytes() {
  return g_live_bytes.load();
}

Secret::Secret(size_t size) : data_(Allocate(size)), size_(size) {}

Secret::Secret(std::string_view text) : Secret(text.size()) {
  if (!text.empty()) std::memcpy(data_, text.data(), text.size());
}

Secret::Secret(Secret&& other) noexcept : data_(other.data_), size_(other.size_) {
  other.data_ = nullptr;
  other.size_ = 0;
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    Wipe();
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

Secret::~Secret() {
  Wipe();
}

Secret Secret::Random(size_t size) {
  Secret s(size);
  randombytes_buf(s.data_, size);
  return s;
}

Secret Secret::Clone() const {
  Secret s(size_);
  if (size_ != 0) std::memcpy(s.data_, data_, size_);
  return s;
}

void Secret::Wipe() {
  if (data_ != nullptr) {
    sodium_free(data_);  // sodium_free zeroes before freeing
    g_live_bytes -= size_;
  }
  data_ = nullptr;
  size_ = 0;
}

void WipeString(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

Result<Secret> ReadSecretFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return BadInput("cannot read " + path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return BadInput(path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return BadInput(path + " can be read or changed by other users (mode " + mode + "): run chmod 600 " +
                    path);
  }
  // One line; a passphrase is short, so anything past 4 KiB is not one.
  Secret buffer(4096);
  ssize_t got = 0;
  while (static_cast<size_t>(got) < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + got, buffer.size() - static_cast<size_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += n;
  }
  ::close(fd);
  size_t len = 0;
  while (len < static_cast<size_t>(got) && buffer.data()[len] != '\n') ++len;
  if (len > 0 && buffer.data()[len - 1] == '\r') --len;
  return Secret(std::string_view(reinterpret_cast<const char*>(buffer.data()), len));
}

Secret TakeSecretFromEnvironment(const char* name) {
  char* value = std::getenv(name);
  if (value == nullptr) return Secret();
  Secret s{std::string_view(value)};
  sodium_memzero(value, std::strlen(value));
  ::unsetenv(name);
  return s;
}

Status CheckNewPassphrase(const Secret& passphrase) {
  if (passphrase.size() < kMinPassphraseLength) {
    return BadInput("a passphrase needs at least " + std::to_string(kMinPassphraseLength) +
                    " characters (three or four unrelated words make a good one)");
  }
  return Status::Ok();
}

void DisableCoreDumps() {
  const rlimit none{0, 0};
  (void)setrlimit(RLIMIT_CORE, &none);
  (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

}  // namespace berth

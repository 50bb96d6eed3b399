// Secret bytes (keys, passphrases, recovery keys) in sodium_malloc memory: guarded pages, locked out of
// swap where the OS allows, and wiped (sodium_free zeroes them) when the Secret is destroyed or Wipe()d.
// Move-only, so a key is never silently copied into ordinary heap memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "berth/schema/status.h"

namespace berth {

class Secret {
 public:
  Secret() = default;
  explicit Secret(size_t size);            // zero-filled
  explicit Secret(std::string_view text);  // copies; the caller wipes its own copy
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret();

  static Secret Random(size_t size);

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size_}; }
  Secret Clone() const;
  void Wipe();  // zeroes and frees; the Secret becomes empty

  // Bytes held by every live Secret in the process: what a lock leaves in memory. Zero once a locked
  // process holds no key or passphrase: how a test proves that locking wiped them.
  static size_t LiveBytes();

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Wipes a std::string that held a secret (e.g. a passphrase read from a file) before it is freed.
void WipeString(std::string& s);

// The first line of a file holding a secret (a passphrase file). Refused (kBadInput, nothing read) when
// the file is not a regular file or other users may read or write it: `chmod 600` it.
Result<Secret> ReadSecretFile(const std::string& path);

// Takes a secret out of the environment: returns its value (empty if unset), overwrites it where it lies
// (the environment block the process started with) and unsets it, so child processes never inherit it.
Secret TakeSecretFromEnvironment(const char* name);

// For a process that holds keys: no core dumps (RLIMIT_CORE 0, and not dumpable, which also keeps other
// processes of the same user from attaching a debugger to it).
void DisableCoreDumps();

}  // namespace berth

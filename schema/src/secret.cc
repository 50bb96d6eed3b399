#include "berth/schema/secret.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace berth {
namespace {
uint8_t* Allocate(size_t size) {
  if (sodium_init() < 0) std::abort();  // libsodium cannot run safely; nothing sensible to do
  if (size == 0) return nullptr;
  auto* p = static_cast<uint8_t*>(sodium_malloc(size));
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, size);
  return p;
}
}  // namespace

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
  if (data_ != nullptr) sodium_free(data_);  // sodium_free zeroes before freeing
  data_ = nullptr;
  size_ = 0;
}

void WipeString(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

}  // namespace berth

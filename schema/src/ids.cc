// Row ids (ids.h): time-ordered UUIDv7 and random identifiers.

#include "berth/schema/ids.h"

#include <pthread.h>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "berth/schema/env.h"

namespace berth {

int64_t NowMs() {
  return Env::Default()->NowMs();
}

namespace {

// Random bytes for ids drawn from libsodium 4 KiB at a time: randombytes_buf makes a getrandom system call
// per request, which was a twentieth of a bulk write's time (a new id per row and per mutation). Each
// thread keeps its own buffer; a forked child draws afresh (the generation moves on at fork), so parent
// and child never hand out the same bytes.
std::atomic<uint64_t> g_fork_generation{0};

void RandomIdBytes(uint8_t* out, size_t n) {
  static std::once_flag once;
  std::call_once(once, [] { pthread_atfork(nullptr, nullptr, [] { ++g_fork_generation; }); });
  struct Buffer {
    uint8_t bytes[4096];
    size_t used = sizeof bytes;
    uint64_t generation = 0;
  };
  thread_local Buffer buf;
  const uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
  if (buf.generation != generation || buf.used + n > sizeof buf.bytes) {
    randombytes_buf(buf.bytes, sizeof buf.bytes);
    buf.used = 0;
    buf.generation = generation;
  }
  std::memcpy(out, buf.bytes + buf.used, n);
  sodium_memzero(buf.bytes + buf.used, n);  // handed out once
  buf.used += n;
}

}  // namespace

std::string NewUuidV7(Env* env) {
  uint8_t b[16];
  RandomIdBytes(b, sizeof b);
  const uint64_t ms = static_cast<uint64_t>((env != nullptr ? env : Env::Default())->NowMs());
  for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
  b[6] = static_cast<uint8_t>(0x70 | (b[6] & 0x0F));  // version 7
  b[8] = static_cast<uint8_t>(0x80 | (b[8] & 0x3F));  // RFC 9562 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t o = 0;
  for (int i = 0; i < 16; ++i) {
    if (o == 8 || o == 13 || o == 18 || o == 23) ++o;  // the dashes, already there
    out[o++] = kHex[b[i] >> 4];
    out[o++] = kHex[b[i] & 15];
  }
  return out;
}

bool IsUuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::string Hlc::ToString() const {
  char out[32];
  std::snprintf(out, sizeof out, "%016llx-%04x", static_cast<unsigned long long>(wall_ms), counter);
  return out;
}

Result<Hlc> Hlc::Parse(std::string_view text) {
  if (text.size() < 21 || text[16] != '-') return BadInput("malformed HLC stamp");
  uint64_t wall = 0;
  uint32_t counter = 0;
  const char* begin = text.data();
  const auto w = std::from_chars(begin, begin + 16, wall, 16);
  const auto c = std::from_chars(begin + 17, begin + 21, counter, 16);
  if (w.ec != std::errc() || w.ptr != begin + 16 || c.ec != std::errc() || c.ptr != begin + 21) {
    return BadInput("malformed HLC stamp");
  }
  Hlc h;
  h.wall_ms = static_cast<int64_t>(wall);
  h.counter = counter;
  return h;
}

Hlc HlcClock::Tick(int64_t now_ms) {
  const int64_t now = now_ms != 0 ? now_ms : NowMs();
  if (now > last_.wall_ms) {
    last_ = Hlc{now, 0};
  } else {
    ++last_.counter;
  }
  return last_;
}

Hlc HlcClock::Observe(const Hlc& remote, int64_t now_ms) {
  const int64_t now = now_ms != 0 ? now_ms : NowMs();
  const int64_t wall = std::max({now, last_.wall_ms, remote.wall_ms});
  uint32_t counter = 0;
  if (wall == last_.wall_ms && wall == remote.wall_ms) {
    counter = std::max(last_.counter, remote.counter) + 1;
  } else if (wall == last_.wall_ms) {
    counter = last_.counter + 1;
  } else if (wall == remote.wall_ms) {
    counter = remote.counter + 1;
  }
  last_ = Hlc{wall, counter};
  return last_;
}

}  // namespace berth

// Identifiers and clocks for rows that sync: UUIDv7 ids made on the device and hybrid logical clock stamps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "berth/schema/status.h"

namespace berth {

class Env;

// A time-ordered UUID (RFC 9562 version 7) in its canonical 36-character lower-case form, its time from
// `env`'s clock (null: Env::Default()).
std::string NewUuidV7(Env* env = nullptr);
bool IsUuid(std::string_view text);

// Hybrid logical clock stamp: milliseconds since the Unix epoch plus a counter that orders events within
// one millisecond. Ties between devices are broken by the origin device id (kept beside the stamp).
// Its text form sorts like the stamp: "0000019352a1b2c3-0000" (hex wall time, hex counter).
struct Hlc {
  int64_t wall_ms = 0;
  uint32_t counter = 0;

  std::string ToString() const;
  static Result<Hlc> Parse(std::string_view text);
  friend auto operator<=>(const Hlc&, const Hlc&) = default;
};

// The device's clock. Not thread-safe; the Store owns one and serialises access.
class HlcClock {
 public:
  // `now_ms` is the caller's clock (a Store passes its Env's); 0 means Env::Default()'s.
  Hlc Tick(int64_t now_ms = 0);
  // Merges a stamp seen from elsewhere so later local stamps sort after it.
  Hlc Observe(const Hlc& remote, int64_t now_ms = 0);
  Hlc last() const { return last_; }
  void Restore(const Hlc& last) { last_ = last; }

 private:
  Hlc last_;
};

// Env::Default()'s wall clock, for callers that have no Env of their own (tests, tools). Code given an Env
// reads that one's.
int64_t NowMs();

}  // namespace berth

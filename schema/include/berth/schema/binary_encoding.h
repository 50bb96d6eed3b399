// Berth's one binary encoding: a cereal binary archive (FORMAT.md: outbox payloads; PROTOCOL.md: every
// message). Decoding is not here: bytes from a file or the wire are read through sync's bounded archive,
// which checks each declared length against the bytes that remain.
#pragma once

#include <cereal/archives/binary.hpp>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace berth {

// `value` as a cereal binary archive. The caller includes the cereal/types/... headers `T` needs.
template <class T>
std::vector<uint8_t> EncodeBinary(const T& value) {
  std::ostringstream out(std::ios::binary);
  {
    cereal::BinaryOutputArchive ar(out);
    ar(value);
  }
  const std::string s = out.str();
  return std::vector<uint8_t>(s.begin(), s.end());
}

}  // namespace berth

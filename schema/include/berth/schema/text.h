// Small text helpers every layer uses (schema is the one they all reach).
#pragma once

#include <string>
#include <string_view>

namespace berth {

// ASCII letters lowered; every other byte (UTF-8 included) kept as it is, whatever the C locale says.
inline std::string AsciiLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace berth

// NHS number parsing and its modulus 11 check digit (nhs_number.h).

#include "berth/core/nhs_number.h"

namespace berth::core {

Result<std::string> ParseNhsNumber(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (c == ' ' || c == '-') continue;
    if (c < '0' || c > '9') return BadInput("an NHS number has only digits");
    digits.push_back(c);
  }
  if (digits.size() != 10)
    return BadInput("an NHS number has 10 digits, this has " + std::to_string(digits.size()));
  int sum = 0;
  for (int i = 0; i < 9; ++i) sum += (digits[i] - '0') * (10 - i);
  int check = 11 - (sum % 11);
  if (check == 11) check = 0;
  if (check == 10) return BadInput("NHS number " + digits + " cannot be valid (its check digit would be 10)");
  if (check != digits[9] - '0') return BadInput("NHS number " + digits + " fails its check digit");
  return digits;
}

std::string FormatNhsNumber(std::string_view d) {
  if (d.size() != 10) return std::string(d);
  return std::string(d.substr(0, 3)) + " " + std::string(d.substr(3, 3)) + " " + std::string(d.substr(6));
}

}  // namespace berth::core

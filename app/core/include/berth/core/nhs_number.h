// NHS numbers: 10 digits, the last a modulus-11 check digit (NHS Data Dictionary).
#pragma once

#include <string>
#include <string_view>

#include "berth/schema/status.h"

namespace berth::core {

// Accepts "9434765919" or "943 476 5919"; returns the 10 digits, or kBadInput saying what is wrong.
Result<std::string> ParseNhsNumber(std::string_view text);

// "943 476 5919", the way the NHS prints it.
std::string FormatNhsNumber(std::string_view digits);

}  // namespace berth::core

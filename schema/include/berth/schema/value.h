// A column value as Berth moves it between SQLite, mutations and the wire.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

namespace berth {

// std::monostate is SQL NULL.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

}  // namespace berth

// Report tables as aligned text or CSV, shared by every `berth report` command.

#include "report_text.h"

#include <fmt/format.h>

#include <algorithm>

namespace berth::core::report_text {

std::string CsvLine(const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + CsvCell(cells[i]);
  return out + "\n";
}

std::string Csv(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string out = CsvLine(header);
  for (const auto& row : rows) out += CsvLine(row);
  return out;
}

std::string Pounds2(int64_t pence) {
  const bool neg = pence < 0;
  if (neg) pence = -pence;
  return fmt::format("{}{}.{:02}", neg ? "-" : "", pence / 100, pence % 100);
}

std::string TextTable(const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right) {
  std::vector<size_t> w(header.size());
  for (size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      const std::string pad(w[i] - std::min(w[i], cells[i].size()), ' ');
      out += (i ? "  " : "") + (right[i] ? pad + cells[i] : cells[i] + (i + 1 < cells.size() ? pad : ""));
    }
    return out + "\n";
  };
  std::string out = line(header);
  std::vector<std::string> rule;
  for (size_t x : w) rule.emplace_back(x, '-');
  out += line(rule);
  for (const auto& r : rows) out += line(r);
  return out;
}

std::string Truncate(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(0, n - 3) + "...";
}

}  // namespace berth::core::report_text

// Text, CSV and money formatting shared by the report renderers (reports.cc, commissioning_render.cc).
// Internal to berth_core.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "berth/core/csv.h"

namespace berth::core::report_text {

using core::CsvCell;  // berth/core/csv.h
// A CSV record with its line end.
std::string CsvLine(const std::vector<std::string>& cells);
// A header line then every row, as CSV.
std::string Csv(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
// "1234.56" (CSV money: no symbol, no thousands separator).
std::string Pounds2(int64_t pence);
// A plain text table: column widths from the content, `right` columns right-aligned.
std::string TextTable(const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows, const std::vector<bool>& right);
// At most n characters, "..." marking a cut.
std::string Truncate(const std::string& s, size_t n);

}  // namespace berth::core::report_text

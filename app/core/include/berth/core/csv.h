// A strict RFC 4180 CSV reader: quoted fields may hold commas, doubled quotes and newlines; CRLF or LF line
// ends; a UTF-8 byte-order mark is skipped. Input that is not text (NUL bytes, invalid UTF-8) or has an
// unterminated or misplaced quote is refused with the line it was found on, so importers can refuse a
// file clearly instead of importing garbage.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "berth/schema/status.h"

namespace berth::core {

class CsvReader {
 public:
  explicit CsvReader(std::string_view data);
  // Reads the next record into *fields. true: a record was read; false: end of input; an error names the
  // line. Blank lines are skipped.
  Result<bool> Next(std::vector<std::string>* fields);
  // The line the last record returned by Next() started on (1-based).
  int64_t line() const { return record_line_; }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  int64_t record_line_ = 0;
};

// kBadInput when `data` holds NUL bytes or is not valid UTF-8, naming the line of the first bad byte.
Status CheckText(std::string_view data);

// Trims ASCII spaces and tabs at both ends.
std::string Trim(std::string_view text);
// Lower-case ASCII letters and digits only: "CQC Location ID (for office use only)" ->
// "cqclocationidforofficeuseonly".
std::string NormaliseHeader(std::string_view text);
// Splits on `sep`, trimming each part and dropping empty ones.
std::vector<std::string> SplitTrim(std::string_view text, char sep);
// Reads a whole file; kNotFound / kIo when it cannot. "-" reads standard input.
Result<std::string> ReadInput(const std::string& path);

// One RFC 4180 cell, as the reports and the window's exports write it: quoted when it holds a comma, quote
// or line break.
std::string CsvCell(const std::string& s);

}  // namespace berth::core

// The CSV reader every importer uses (csv.h): refuses binary and unterminated quotes with the line they
// are on, normalises header names, and reads a file or stdin.

#include "berth/core/csv.h"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace berth::core {

Status CheckText(std::string_view d) {
  int64_t line = 1;
  size_t i = 0;
  auto byte = [&](size_t k) { return static_cast<unsigned char>(d[k]); };
  while (i < d.size()) {
    const unsigned char c = byte(i);
    if (c == '\n') ++line;
    if (c == 0)
      return BadInput(fmt::format("line {}: binary data (a NUL byte); this is not a text file", line));
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t extra = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
    }
    bool ok = extra > 0 && i + extra < d.size();
    for (size_t k = 1; ok && k <= extra; ++k) ok = (byte(i + k) & 0xC0) == 0x80;
    if (ok && extra == 2) ok = !(c == 0xE0 && byte(i + 1) < 0xA0) && !(c == 0xED && byte(i + 1) >= 0xA0);
    if (ok && extra == 3) ok = !(c == 0xF0 && byte(i + 1) < 0x90) && !(c == 0xF4 && byte(i + 1) >= 0x90);
    if (!ok)
      return BadInput(
          fmt::format("line {}: not UTF-8 text (byte 0x{:02X}); is this a binary file?", line, c));
    i += extra + 1;
  }
  return Status::Ok();
}

CsvReader::CsvReader(std::string_view data) : data_(data) {
  if (data_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

Result<bool> CsvReader::Next(std::vector<std::string>* fields) {
  fields->clear();
  // Skip blank lines between records.
  while (pos_ < data_.size() && (data_[pos_] == '\n' || data_[pos_] == '\r')) {
    if (data_[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= data_.size()) return false;
  record_line_ = line_;
  std::string field;
  while (true) {
    if (pos_ < data_.size() && data_[pos_] == '"') {
      // Quoted field: up to the closing quote; "" is a quote.
      const int64_t opened_on = line_;
      ++pos_;
      while (true) {
        if (pos_ >= data_.size()) {
          return BadInput(fmt::format("line {}: a quoted field is never closed", opened_on));
        }
        const char c = data_[pos_++];
        if (c == '"') {
          if (pos_ < data_.size() && data_[pos_] == '"') {
            field += '"';
            ++pos_;
            continue;
          }
          break;
        }
        if (c == '\n') ++line_;
        field += c;
      }
      if (pos_ < data_.size() && data_[pos_] != ',' && data_[pos_] != '\n' && data_[pos_] != '\r') {
        return BadInput(fmt::format(
            "line {}: text after a closing quote (a quote inside a field must be doubled)", line_));
      }
    } else {
      while (pos_ < data_.size() && data_[pos_] != ',' && data_[pos_] != '\n' && data_[pos_] != '\r') {
        if (data_[pos_] == '"') {
          return BadInput(fmt::format("line {}: a quote in the middle of an unquoted field", line_));
        }
        field += data_[pos_++];
      }
    }
    fields->push_back(std::move(field));
    field.clear();
    if (pos_ >= data_.size()) return true;
    const char sep = data_[pos_++];
    if (sep == ',') continue;
    if (sep == '\r' && pos_ < data_.size() && data_[pos_] == '\n') ++pos_;
    ++line_;
    return true;
  }
}

std::string Trim(std::string_view t) {
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  return std::string(t);
}

std::string NormaliseHeader(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') out += static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out += c;
  }
  return out;
}

std::vector<std::string> SplitTrim(std::string_view text, char sep) {
  std::vector<std::string> out;
  while (true) {
    const size_t at = text.find(sep);
    std::string part = Trim(text.substr(0, at));
    if (!part.empty()) out.push_back(std::move(part));
    if (at == std::string_view::npos) break;
    text.remove_prefix(at + 1);
  }
  return out;
}

Result<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path);
  // Read in blocks: a character-by-character iterator costs most of a debug build's start-up on the
  // geography tables every matching process reads.
  std::string data;
  char block[1 << 16];
  while (in.read(block, sizeof block) || in.gcount() > 0)
    data.append(block, static_cast<size_t>(in.gcount()));
  if (in.bad()) return IoError("reading " + path + " failed");
  return data;
}

std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace berth::core

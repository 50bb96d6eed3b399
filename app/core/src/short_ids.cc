// Short ids (short_ids.h): suffixes of the random part of UUIDv7 ids, as short as uniqueness allows.
#include "berth/core/short_ids.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace berth::core {
namespace {

// Lower-case hex digits only: "0192AB-..." -> "0192ab...".
std::string Digits(std::string_view id) {
  std::string out;
  out.reserve(id.size());
  for (char c : id) {
    if (c == '-') continue;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  return out;
}

Result<std::vector<std::string>> LiveIds(Db& db, std::string_view table) {
  // Table names come from Berth's code, never from input; still, only plain names reach the SQL.
  for (char c : table) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return UsageError("not a table name");
  }
  BERTH_ASSIGN_OR_RETURN(Statement q, db.Prepare(fmt::format("SELECT id FROM {} WHERE deleted = 0", table)));
  std::vector<std::string> ids;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ids.push_back(q.Text(0));
  }
  return ids;
}

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

Result<std::unordered_map<std::string, std::string>> ShortIds(Db& db, std::string_view table) {
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> ids, LiveIds(db, table));
  // Sorted by reversed digits, an id's longest shared suffix is with one of its two neighbours.
  std::vector<std::pair<std::string, std::string>> rev;  // reversed digits, id
  rev.reserve(ids.size());
  for (const auto& id : ids) {
    std::string d = Digits(id);
    std::reverse(d.begin(), d.end());
    rev.emplace_back(std::move(d), id);
  }
  std::sort(rev.begin(), rev.end());
  std::unordered_map<std::string, std::string> out;
  for (size_t i = 0; i < rev.size(); ++i) {
    size_t shared = 0;
    auto common_prefix = [](const std::string& a, const std::string& b) {
      size_t n = 0;
      while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
      return n;
    };
    if (i > 0) shared = std::max(shared, common_prefix(rev[i].first, rev[i - 1].first));
    if (i + 1 < rev.size()) shared = std::max(shared, common_prefix(rev[i].first, rev[i + 1].first));
    const std::string digits = Digits(rev[i].second);
    const size_t n = std::min(digits.size(), std::max(kMinShortId, shared + 1));
    out[rev[i].second] = digits.substr(digits.size() - n);
  }
  return out;
}

Result<std::string> ResolveId(Db& db, std::string_view table, std::string_view what, std::string_view text) {
  const std::string wanted = Digits(text);
  if (wanted.empty()) return BadInput(fmt::format("a {} id is required", what));
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> ids, LiveIds(db, table));
  std::vector<std::string> found;
  for (const auto& id : ids) {
    const std::string d = Digits(id);
    if (d == wanted) return id;
    const bool prefix = d.compare(0, wanted.size(), wanted) == 0;
    const bool suffix = wanted.size() >= kMinShortId && EndsWith(d, wanted);
    if (prefix || suffix) found.push_back(id);
  }
  const std::string shown(text.substr(0, 40));
  if (found.empty()) return NotFound(fmt::format("no {} with id {}", what, shown));
  if (found.size() > 1) {
    std::sort(found.begin(), found.end());
    std::string list;
    for (size_t i = 0; i < found.size() && i < 10; ++i) list += "\n  " + found[i];
    if (found.size() > 10) list += fmt::format("\n  ... and {} more", found.size() - 10);
    return BadInput(
        fmt::format("'{}' matches {} {}s; give more of the id:{}", shown, found.size(), what, list));
  }
  return found.front();
}

}  // namespace berth::core

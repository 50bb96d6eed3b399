// The capacity-return importers (importers.h): providers' bed and homecare-hours returns, and the row
// report (created/updated/unchanged/refused) every importer shares. A broken row refuses the whole file.

#include "berth/core/importers.h"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <initializer_list>
#include <map>
#include <set>
#include <unordered_map>

#include "berth/core/csv.h"
#include "berth/schema/repository.h"
#include "berth/schema/text.h"
#include "import_support.h"

namespace berth::core {

std::string_view RowOutcomeName(RowOutcome o) {
  switch (o) {
    case RowOutcome::kCreated:
      return "created";
    case RowOutcome::kUpdated:
      return "updated";
    case RowOutcome::kUnchanged:
      return "unchanged";
    case RowOutcome::kSkipped:
      return "skipped";
    case RowOutcome::kRejected:
      return "rejected";
  }
  return "?";
}

void ImportReport::Add(ImportLine l) {
  if (!l.warnings.empty() && l.outcome != RowOutcome::kRejected) ++warned;
  switch (l.outcome) {
    case RowOutcome::kCreated:
      ++created;
      break;
    case RowOutcome::kUpdated:
      ++updated;
      break;
    case RowOutcome::kUnchanged:
      ++unchanged;
      break;
    case RowOutcome::kSkipped:
      ++skipped;
      break;
    case RowOutcome::kRejected:
      ++rejected;
      break;
  }
  lines.push_back(std::move(l));
}

std::string ImportReport::Text(bool verbose) const {
  std::string out =
      fmt::format("{}: {} rows read: {} created, {} updated, {} unchanged, {} skipped, {} rejected{}\n", what,
                  rows, created, updated, unchanged, skipped, rejected,
                  warned > 0 ? fmt::format(" ({} with warnings)", warned) : "");
  if (!format.empty()) out += "  format: " + format + "\n";
  for (const auto& n : notes) out += "  note: " + n + "\n";
  for (const auto& l : lines) {
    for (const auto& w : l.warnings) out += fmt::format("  line {}: warning: {} {}\n", l.line, l.key, w);
  }
  std::map<std::string, int64_t> skipped_by_reason;
  for (const auto& l : lines) {
    if (l.outcome == RowOutcome::kUnchanged) continue;
    if (l.outcome == RowOutcome::kSkipped && !verbose) {
      ++skipped_by_reason[l.reason];
      continue;
    }
    out += fmt::format("  line {}: {} {}{}\n", l.line, RowOutcomeName(l.outcome), l.key,
                       l.reason.empty() ? "" : " (" + l.reason + ")");
  }
  for (const auto& [reason, n] : skipped_by_reason) out += fmt::format("  skipped {} rows: {}\n", n, reason);
  if (!by_authority.empty()) {
    out += "by local authority (care homes, homecare agencies):\n";
    for (const auto& [la, n] : by_authority)
      out += fmt::format("  {}: {}, {}\n", la.empty() ? "(none)" : la, n.first, n.second);
  }
  return out;
}

Result<int64_t> ParsePounds(std::string_view text) {
  std::string t = Trim(text);
  if (t.rfind("\xC2\xA3", 0) == 0) t.erase(0, 2);  // £
  std::string digits;
  for (char c : t) {
    if (c != ',') digits += c;
  }
  const size_t dot = digits.find('.');
  const std::string whole = digits.substr(0, dot);
  const std::string frac = dot == std::string::npos ? "" : digits.substr(dot + 1);
  auto all_digits = [](const std::string& s) {
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  };
  if (whole.empty() || whole.size() > 9 || !all_digits(whole) || frac.size() > 2 || !all_digits(frac) ||
      (dot != std::string::npos && frac.empty())) {
    return BadInput("'" + Trim(text).substr(0, 20) + "' is not an amount in pounds (e.g. 850 or 850.50)");
  }
  int64_t pence = std::stoll(whole) * 100;
  if (frac.size() == 1) pence += (frac[0] - '0') * 10;
  if (frac.size() == 2) pence += std::stoll(frac);
  return pence;
}

Result<std::string> ParseFlexibleDate(std::string_view text) {
  std::string t = Trim(text);
  if (IsIsoDate(t)) return t;
  // CQC writes "16/11/2015 - 00:00".
  const std::string day = t.substr(0, 10);
  if (day.size() == 10 && day[2] == '/' && day[5] == '/') {
    const std::string iso = day.substr(6, 4) + "-" + day.substr(3, 2) + "-" + day.substr(0, 2);
    const std::string rest = Trim(t.substr(10));
    if (IsIsoDate(iso) && (rest.empty() || rest[0] == '-')) return iso;
  }
  return BadInput("'" + t.substr(0, 24) + "' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)");
}

using import_support::Outcome;
using import_support::Refuse;

namespace {

// --- capacity returns ------------------------------------------------------------------------------------

// A header-mapped CSV: each column named once, every required column present, no unknown columns.
struct Table {
  std::map<std::string, size_t> index;  // column name -> cell index
  std::vector<std::string> cells;
  std::string Get(const char* name) const {
    auto it = index.find(name);
    return it == index.end() || it->second >= cells.size() ? std::string() : Trim(cells[it->second]);
  }
};

Status ReadHeader(CsvReader& reader, Table& t, const std::string& what,
                  const std::vector<std::string>& required, const std::vector<std::string>& optional) {
  std::vector<std::string> header;
  auto next = reader.Next(&header);
  if (!next.ok()) return next.status().Context(what);
  if (!*next) return BadInput(what + ": the file is empty (a header row is required)");
  std::string known;
  for (const auto& k : required) known += (known.empty() ? "" : ", ") + k;
  for (const auto& k : optional) known += ", " + k;
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name = AsciiLower(Trim(header[i]));
    bool ok = false;
    for (const auto& k : required) ok = ok || k == name;
    for (const auto& k : optional) ok = ok || k == name;
    if (!ok) {
      return BadInput(fmt::format("{}: line 1: unknown column '{}' (the columns are: {})", what,
                                  name.substr(0, 40), known));
    }
    if (t.index.count(name))
      return BadInput(fmt::format("{}: line 1: column '{}' appears twice", what, name));
    t.index[name] = i;
  }
  for (const auto& k : required) {
    if (!t.index.count(k)) return BadInput(fmt::format("{}: line 1: the header has no '{}' column", what, k));
  }
  return Status::Ok();
}

Result<bool> ParseFlag(const std::string& text) {
  const std::string t = AsciiLower(text);
  if (t.empty() || t == "no" || t == "n" || t == "false" || t == "0") return false;
  if (t == "yes" || t == "y" || t == "true" || t == "1") return true;
  return BadInput("'" + text.substr(0, 12) + "' is not yes or no");
}

struct ProviderIndex {
  std::unordered_map<std::string, Provider> by_cqc;
  static Result<ProviderIndex> Load(Db& db) {
    ProviderIndex idx;
    BERTH_ASSIGN_OR_RETURN(std::vector<Provider> all, LoadProviders(db));
    for (auto& p : all) {
      if (!p.cqc_location_id.empty()) idx.by_cqc[p.cqc_location_id] = std::move(p);
    }
    return idx;
  }
};

// The first column of a row that failed to parse, in the order given: the parser's message, after the
// column's name where the message does not say it (`column` empty). Empty when every column parsed.
std::string FirstProblem(std::initializer_list<std::pair<const char*, Status>> columns) {
  for (const auto& [column, st] : columns) {
    if (!st.ok()) return (column[0] == '\0' ? std::string() : std::string(column) + ": ") + st.message();
  }
  return std::string();
}

}  // namespace

Result<ImportReport> ImportBedReturn(Store& store, std::string_view csv, const std::string& today) {
  ImportReport report;
  report.what = "bed return";
  BERTH_RETURN_IF_ERROR(CheckText(csv).Context(report.what));
  CsvReader reader(csv);
  Table t;
  BERTH_RETURN_IF_ERROR(ReadHeader(
      reader, t, report.what, {"cqc_location_id", "room", "category", "contract", "weekly_rate", "status"},
      {"block_tier", "features", "single_sex_unit", "flexibility_clause", "status_since"}));
  BERTH_ASSIGN_OR_RETURN(ProviderIndex providers, ProviderIndex::Load(store.db()));
  std::map<std::string, int64_t> seen;
  std::vector<std::pair<int64_t, Bed>> beds;
  while (true) {
    auto next = reader.Next(&t.cells);
    if (!next.ok()) return next.status().Context(report.what);
    if (!*next) break;
    const int64_t line = reader.line();
    ++report.rows;
    auto reject = [&](const std::string& key, const std::string& why) {
      report.Add({line, key, RowOutcome::kRejected, why});
    };
    if (t.cells.size() != t.index.size()) {
      reject("", fmt::format("has {} columns, the header has {}", t.cells.size(), t.index.size()));
      continue;
    }
    const std::string loc = t.Get("cqc_location_id");
    const std::string room = t.Get("room");
    const std::string key = loc + " room " + room;
    auto prov = providers.by_cqc.find(loc);
    if (prov == providers.by_cqc.end()) {
      reject(key,
             "no provider with CQC location id '" + loc.substr(0, 20) + "' (import the CQC directory first)");
      continue;
    }
    if (prov->second.kind != ProviderKind::kCareHome) {
      reject(key, "provider " + loc + " is not a care home");
      continue;
    }
    if (room.empty()) {
      reject(key, "no room");
      continue;
    }
    if (auto it = seen.find(loc + "\n" + room); it != seen.end()) {
      reject(key, fmt::format("duplicate bed: room {} of {} is also on line {}", room, loc, it->second));
      continue;
    }
    seen[loc + "\n" + room] = line;
    Bed b;
    b.id = StableId("bed", loc + "/" + room);
    b.provider_id = prov->second.id;
    b.room = room;
    auto category = FromString<BedCategory>(t.Get("category"));
    auto contract = FromString<ContractType>(t.Get("contract"));
    auto tier = FromString<BlockTier>(t.Get("block_tier"));
    auto rate = ParsePounds(t.Get("weekly_rate"));
    auto status = FromString<BedStatus>(t.Get("status"));
    auto sex = FromString<SexPreference>(AsciiLower(t.Get("single_sex_unit")));
    auto flex = ParseFlag(t.Get("flexibility_clause"));
    std::string why = FirstProblem({{"", category.status()},
                                    {"", contract.status()},
                                    {"", tier.status()},
                                    {"weekly_rate", rate.status()},
                                    {"", status.status()},
                                    {"single_sex_unit", sex.status()},
                                    {"flexibility_clause", flex.status()}});
    if (why.empty()) {
      b.category = *category;
      b.contract = *contract;
      b.tier = *tier;
      b.weekly_rate_pence = *rate;
      b.status = *status;
      b.features.single_sex_unit = *sex;
      b.flexibility_clause = *flex;
      if (b.status == BedStatus::kHeld) why = "status 'held' is set by brokers in Berth, not by a return";
      if (b.contract == ContractType::kBlock && b.tier == BlockTier::kNone) b.tier = BlockTier::kT1;
      if (b.contract != ContractType::kBlock && b.tier != BlockTier::kNone)
        why = "block_tier is only for block beds";
    }
    if (why.empty()) {
      for (const auto& f : SplitTrim(t.Get("features"), '|')) {
        const std::string n = AsciiLower(f);
        if (n == "en_suite")
          b.features.en_suite = true;
        else if (n == "ground_floor")
          b.features.ground_floor = true;
        else if (n == "bariatric")
          b.features.bariatric = true;
        else if (n == "hoist")
          b.features.hoist = true;
        else
          why =
              "unknown feature '" + n.substr(0, 24) + "' (expected en_suite, ground_floor, bariatric, hoist)";
      }
    }
    if (why.empty()) {
      const std::string since = t.Get("status_since");
      if (since.empty()) {
        b.status_since = today;
      } else if (auto d = ParseFlexibleDate(since); d.ok()) {
        b.status_since = *d;
      } else {
        why = "status_since: " + d.status().message();
      }
    }
    if (!why.empty()) {
      reject(key, why);
      continue;
    }
    beds.emplace_back(line, std::move(b));
  }
  if (report.rejected > 0) return Refuse(report);
  const Status written = store.db().Transaction([&]() -> Status {
    for (auto& [line, b] : beds) {
      // A hold is a broker's claim in Berth; a return does not overwrite it.
      auto old = LoadBed(store.db(), b.id);
      if (old.ok() && old->status == BedStatus::kHeld) {
        b.status = old->status;
        b.status_since = old->status_since;
        b.held_for_referral_id = old->held_for_referral_id;
        b.held_until = old->held_until;
      }
      if (old.ok() && old->status == b.status && b.status != BedStatus::kHeld)
        b.status_since = old->status_since;
      BERTH_RETURN_IF_ERROR(Outcome(report, line, b.room, SaveChanges(store, b)));
    }
    return Status::Ok();
  });
  BERTH_RETURN_IF_ERROR(written);
  return report;
}

Result<ImportReport> ImportHomecareReturn(Store& store, std::string_view csv) {
  ImportReport report;
  report.what = "homecare return";
  BERTH_RETURN_IF_ERROR(CheckText(csv).Context(report.what));
  CsvReader reader(csv);
  Table t;
  BERTH_RETURN_IF_ERROR(
      ReadHeader(reader, t, report.what,
                 {"cqc_location_id", "zone", "band", "hours_per_week", "contract", "hourly_rate"},
                 {"available_from", "double_up", "carer_genders"}));
  BERTH_ASSIGN_OR_RETURN(ProviderIndex providers, ProviderIndex::Load(store.db()));
  std::map<std::string, int64_t> seen;
  std::vector<std::pair<int64_t, HomecareCapacity>> caps;
  while (true) {
    auto next = reader.Next(&t.cells);
    if (!next.ok()) return next.status().Context(report.what);
    if (!*next) break;
    const int64_t line = reader.line();
    ++report.rows;
    auto reject = [&](const std::string& key, const std::string& why) {
      report.Add({line, key, RowOutcome::kRejected, why});
    };
    if (t.cells.size() != t.index.size()) {
      reject("", fmt::format("has {} columns, the header has {}", t.cells.size(), t.index.size()));
      continue;
    }
    const std::string loc = t.Get("cqc_location_id");
    const std::string zone = t.Get("zone");
    const std::string band_text = AsciiLower(t.Get("band"));
    const std::string key = loc + " " + zone + "/" + band_text;
    auto prov = providers.by_cqc.find(loc);
    if (prov == providers.by_cqc.end()) {
      reject(key,
             "no provider with CQC location id '" + loc.substr(0, 20) + "' (import the CQC directory first)");
      continue;
    }
    if (zone.empty()) {
      reject(key, "no zone");
      continue;
    }
    const std::string dedup = loc + "\n" + zone + "\n" + band_text;
    if (auto it = seen.find(dedup); it != seen.end()) {
      reject(key, fmt::format("duplicate: {} zone {} band {} is also on line {}", loc, zone, band_text,
                              it->second));
      continue;
    }
    seen[dedup] = line;
    HomecareCapacity c;
    c.id = StableId("homecare", loc + "/" + zone + "/" + band_text);
    c.provider_id = prov->second.id;
    c.zone = zone;
    auto band = FromString<TimeBand>(band_text);
    auto contract = FromString<HomecareContract>(AsciiLower(t.Get("contract")));
    auto rate = ParsePounds(t.Get("hourly_rate"));
    auto double_up = ParseFlag(t.Get("double_up"));
    std::string why = FirstProblem({{"", band.status()},
                                    {"", contract.status()},
                                    {"hourly_rate", rate.status()},
                                    {"double_up", double_up.status()}});
    if (why.empty()) {
      c.band = *band;
      c.contract = *contract;
      c.hourly_rate_pence = *rate;
      c.double_up = *double_up;
      const std::string hours = t.Get("hours_per_week");
      char* end = nullptr;
      const double h = hours.empty() ? -1 : std::strtod(hours.c_str(), &end);
      if (hours.empty() || end == nullptr || *end != '\0' || !std::isfinite(h) || h < 0 || h > 5000) {
        why = "hours_per_week '" + hours.substr(0, 12) + "' is not a number of hours between 0 and 5000";
      } else {
        c.hours_per_week = std::round(h * 4) / 4;  // quarter hours
      }
    }
    if (why.empty()) {
      const auto genders = SplitTrim(AsciiLower(t.Get("carer_genders")), '|');
      if (!genders.empty()) {
        c.female_carers = c.male_carers = false;
        for (const auto& g : genders) {
          if (g == "female")
            c.female_carers = true;
          else if (g == "male")
            c.male_carers = true;
          else
            why = "carer_genders: unknown '" + g.substr(0, 12) + "' (expected female, male or female|male)";
        }
      }
    }
    if (why.empty()) {
      const std::string from = t.Get("available_from");
      if (!from.empty()) {
        auto d = ParseFlexibleDate(from);
        if (d.ok())
          c.available_from = *d;
        else
          why = "available_from: " + d.status().message();
      }
    }
    if (!why.empty()) {
      reject(key, why);
      continue;
    }
    caps.emplace_back(line, std::move(c));
  }
  if (report.rejected > 0) return Refuse(report);
  const Status written = store.db().Transaction([&]() -> Status {
    for (auto& [line, c] : caps) {
      BERTH_RETURN_IF_ERROR(
          Outcome(report, line, c.zone + "/" + std::string(ToString(c.band)), SaveChanges(store, c)));
    }
    return Status::Ok();
  });
  BERTH_RETURN_IF_ERROR(written);
  return report;
}

namespace import_support {

Status Refuse(const ImportReport& report) {
  std::string msg = fmt::format("{}: {} of {} rows are malformed; nothing was imported", report.what,
                                report.rejected, report.rows);
  int shown = 0;
  for (const auto& l : report.lines) {
    if (l.outcome != RowOutcome::kRejected) continue;
    if (++shown > 30) {
      msg += fmt::format("\n  ... and {} more", report.rejected - 30);
      break;
    }
    msg += fmt::format("\n  line {}: {}", l.line, l.reason);
  }
  return BadInput(msg);
}

Status Outcome(ImportReport& report, int64_t line, const std::string& key, Result<SaveOutcome> saved,
               std::vector<std::string> warnings) {
  if (!saved.ok()) return saved.status().Context(fmt::format("line {}", line));
  const RowOutcome o = *saved == SaveOutcome::kCreated   ? RowOutcome::kCreated
                       : *saved == SaveOutcome::kUpdated ? RowOutcome::kUpdated
                                                         : RowOutcome::kUnchanged;
  report.Add({line, key, o, "", std::move(warnings)});
  return Status::Ok();
}

bool IsCqcId(std::string_view id) {
  if (id.size() < 3 || id.size() > 20 || id.substr(0, 2) != "1-") return false;
  for (char c : id.substr(2)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace import_support

}  // namespace berth::core

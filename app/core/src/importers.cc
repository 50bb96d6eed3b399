#include "berth/core/importers.h"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "berth/core/csv.h"
#include "berth/schema/repository.h"
#include "berth/schema/text.h"

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
      fmt::format("{}: {} rows read: {} created, {} updated, {} unchanged, {} skipped, {} rejected\n", what,
                  rows, created, updated, unchanged, skipped, rejected);
  for (const auto& n : notes) out += "  note: " + n + "\n";
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

namespace {

// Refuses the whole import, listing the bad rows (at most 30) so the user can fix them all at once.
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

Status Outcome(ImportReport& report, int64_t line, const std::string& key, Result<SaveOutcome> saved) {
  if (!saved.ok()) return saved.status().Context(fmt::format("line {}", line));
  const RowOutcome o = *saved == SaveOutcome::kCreated   ? RowOutcome::kCreated
                       : *saved == SaveOutcome::kUpdated ? RowOutcome::kUpdated
                                                         : RowOutcome::kUnchanged;
  report.Add({line, key, o, ""});
  return Status::Ok();
}

bool IsCqcLocationId(std::string_view id) {
  if (id.size() < 3 || id.size() > 20 || id.substr(0, 2) != "1-") return false;
  for (char c : id.substr(2)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// --- CQC directory ---------------------------------------------------------------------------------------

enum CqcColumn {
  kName,
  kAlsoKnownAs,
  kAddress,
  kPostcode,
  kPhone,
  kWebsite,
  kServiceTypes,
  kLatestCheck,
  kSpecialisms,
  kProviderName,
  kLocalAuthority,
  kRegion,
  kLocationUrl,
  kLocationId,
  kProviderId,
  kBeds,
  kRating,
  kColumnCount
};

// Maps a header cell to a column, by its normalised name; -1 when Berth does not use it.
int CqcColumnFor(const std::string& header) {
  const std::string h = NormaliseHeader(header);
  auto starts = [&](std::string_view p) { return h.rfind(p, 0) == 0; };
  if (h == "name" || h == "locationname") return kName;
  if (h == "alsoknownas") return kAlsoKnownAs;
  if (h == "address" || h == "locationaddress") return kAddress;
  if (h == "postcode" || h == "locationpostcode") return kPostcode;
  if (starts("phone") || h == "locationphonenumber") return kPhone;
  if (h.find("website") != std::string::npos) return kWebsite;
  if (h == "servicetypes" || h == "servicetype") return kServiceTypes;
  if (starts("dateoflatestcheck") || starts("publicationdate") || starts("latestinspection"))
    return kLatestCheck;
  if (starts("specialisms")) return kSpecialisms;
  if (h == "providername") return kProviderName;
  if (h == "localauthority" || h == "locationlocalauthority") return kLocalAuthority;
  if (h == "region" || h == "locationregion") return kRegion;
  if (h == "locationurl") return kLocationUrl;
  if (starts("cqclocationid") || h == "locationid") return kLocationId;
  if (starts("cqcproviderid") || h == "providerid") return kProviderId;
  if (h.find("beds") != std::string::npos) return kBeds;
  if (h.find("rating") != std::string::npos) return kRating;
  return -1;
}

bool LooksLikeCqcHeader(const std::vector<std::string>& cells) {
  bool id = false, name = false;
  for (const auto& c : cells) {
    const int col = CqcColumnFor(c);
    id = id || col == kLocationId;
    name = name || col == kName;
  }
  return id && name;
}

Result<CqcRating> ParseRating(std::string_view text) {
  const std::string r = NormaliseHeader(text);
  if (r.empty() || r == "notyetrated" || r == "notrated" || r == "norating") return CqcRating::kUnrated;
  if (r == "outstanding") return CqcRating::kOutstanding;
  if (r == "good") return CqcRating::kGood;
  if (r == "requiresimprovement") return CqcRating::kRequiresImprovement;
  if (r == "inadequate") return CqcRating::kInadequate;
  return BadInput("unknown CQC rating '" + Trim(text).substr(0, 30) +
                  "' (expected Outstanding, Good, Requires improvement, Inadequate or Not yet rated)");
}

std::vector<Specialism> MapSpecialisms(const std::vector<std::string>& cqc) {
  static const std::unordered_map<std::string, Specialism> kMap = {
      {"dementia", Specialism::kDementia},
      {"learningdisabilities", Specialism::kLearningDisability},
      {"mentalhealthconditions", Specialism::kMentalHealth},
      {"physicaldisabilities", Specialism::kPhysicalDisability},
      {"sensoryimpairments", Specialism::kSensoryImpairment},
      {"substancemisuseproblems", Specialism::kSubstanceMisuse},
      {"eatingdisorders", Specialism::kEatingDisorder},
      {"caringforadultsover65yrs", Specialism::kOlderPeople},
      {"caringforadultsunder65yrs", Specialism::kYoungerAdults},
      {"caringforchildren018yrs", Specialism::kChildren},
  };
  std::vector<Specialism> out;
  for (const auto& s : cqc) {
    auto it = kMap.find(NormaliseHeader(s));
    if (it != kMap.end() && !Contains(out, it->second)) out.push_back(it->second);
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct CqcRow {
  int64_t line = 0;
  Provider p;
  bool has_beds = false;
  bool has_rating = false;
};

}  // namespace

Result<ImportReport> ImportCqcDirectory(Store& store, const Geography& geo, std::string_view csv,
                                        const CqcImportOptions& options) {
  ImportReport report;
  report.what = "CQC directory";
  BERTH_RETURN_IF_ERROR(CheckText(csv).Context("CQC directory"));
  CsvReader reader(csv);
  std::vector<std::string> cells;
  std::vector<int> map;  // cell index -> CqcColumn (or -1)
  bool header_read = false;
  std::map<std::string, int64_t> seen;  // location id -> line
  std::vector<CqcRow> rows;
  const std::string want_la = AsciiLower(Trim(options.local_authority));
  const std::string want_region = AsciiLower(Trim(options.region));
  while (true) {
    auto next = reader.Next(&cells);
    if (!next.ok()) return next.status().Context("CQC directory");
    if (!*next) break;
    const int64_t line = reader.line();
    if (!header_read) {
      header_read = true;
      if (LooksLikeCqcHeader(cells)) {
        std::set<int> found;
        for (const auto& c : cells) {
          const int col = CqcColumnFor(c);
          if (col >= 0 && !found.insert(col).second) {
            return BadInput(
                fmt::format("CQC directory: line 1: column '{}' appears twice", Trim(c).substr(0, 40)));
          }
          map.push_back(col);
          if (col < 0) report.notes.push_back("column '" + Trim(c).substr(0, 40) + "' is not used by Berth");
        }
        for (int need : {kName, kPostcode, kServiceTypes, kLocalAuthority, kLocationId}) {
          if (!found.count(need)) {
            return BadInput(
                "CQC directory: line 1: the header has no name, postcode, service types, local authority or "
                "CQC location id column");
          }
        }
        report.notes.push_back("header row found; columns matched by name");
        continue;
      }
      // No header: the 2016 layout, optionally followed by bed count and rating.
      report.notes.push_back("no header row; the 15 columns of the CQC care directory assumed");
    }
    ++report.rows;
    const size_t expected = map.empty() ? 0 : map.size();
    if (map.empty() ? (cells.size() < 15 || cells.size() > 17) : cells.size() != expected) {
      report.Add({line, "", RowOutcome::kRejected,
                  map.empty() ? fmt::format("has {} columns, expected 15 (or 16-17 with beds and rating)",
                                            cells.size())
                              : fmt::format("has {} columns, the header has {}", cells.size(), expected)});
      continue;
    }
    std::array<std::string, kColumnCount> v;
    std::array<bool, kColumnCount> present{};
    for (size_t i = 0; i < cells.size(); ++i) {
      const int col = map.empty() ? static_cast<int>(i) : map[i];
      if (col < 0) continue;
      v[static_cast<size_t>(col)] = Trim(cells[i]);
      present[static_cast<size_t>(col)] = true;
    }
    const std::string& id = v[kLocationId];
    if (!IsCqcLocationId(id)) {
      report.Add({line, "", RowOutcome::kRejected,
                  id.empty() ? "no CQC location id"
                             : "'" + id.substr(0, 24) + "' is not a CQC location id (1-digits)"});
      continue;
    }
    if (auto it = seen.find(id); it != seen.end()) {
      report.Add({line, id, RowOutcome::kRejected,
                  fmt::format("duplicate CQC location id {} (first on line {})", id, it->second)});
      continue;
    }
    seen[id] = line;
    if (v[kName].empty()) {
      report.Add({line, id, RowOutcome::kRejected, "no name"});
      continue;
    }
    CqcRow row;
    row.line = line;
    Provider& p = row.p;
    p.cqc_location_id = id;
    p.id = StableId("cqc-location", id);
    if (!v[kLatestCheck].empty()) {
      auto d = ParseFlexibleDate(v[kLatestCheck]);
      if (!d.ok()) {
        report.Add({line, id, RowOutcome::kRejected, "date of latest check: " + d.status().message()});
        continue;
      }
      p.last_inspection = *d;
    }
    if (present[kBeds] && !v[kBeds].empty()) {
      const std::string& b = v[kBeds];
      bool digits = b.size() <= 5;
      for (char c : b) digits = digits && c >= '0' && c <= '9';
      if (!digits) {
        report.Add(
            {line, id, RowOutcome::kRejected, "bed count '" + b.substr(0, 12) + "' is not a whole number"});
        continue;
      }
      p.registered_beds = std::stoll(b);
      row.has_beds = true;
    }
    if (present[kRating]) {
      auto r = ParseRating(v[kRating]);
      if (!r.ok()) {
        report.Add({line, id, RowOutcome::kRejected, r.status().message()});
        continue;
      }
      p.rating = *r;
      row.has_rating = true;
    }
    // Scope: care homes and homecare agencies only, in the requested area.
    const std::vector<std::string> types = SplitTrim(v[kServiceTypes], '|');
    bool nursing = false, residential = false, homecare = false;
    for (const auto& t : types) {
      const std::string n = NormaliseHeader(t);
      nursing = nursing || n == "nursinghomes" || n == "carehomewithnursing";
      residential = residential || n == "residentialhomes" || n == "carehomewithoutnursing";
      homecare = homecare || n == "homecareagencies" || n == "domiciliarycareservice";
    }
    if (!want_la.empty() && AsciiLower(v[kLocalAuthority]) != want_la) {
      report.Add({line, id, RowOutcome::kSkipped, "outside --la " + options.local_authority});
      continue;
    }
    if (!want_region.empty() && AsciiLower(v[kRegion]) != want_region) {
      report.Add({line, id, RowOutcome::kSkipped, "outside --region " + options.region});
      continue;
    }
    if (!nursing && !residential && !homecare) {
      report.Add({line, id, RowOutcome::kSkipped, "not a care home or homecare agency"});
      continue;
    }
    p.kind = (nursing || residential) ? ProviderKind::kCareHome : ProviderKind::kHomecareAgency;
    p.registration = nursing && residential ? Registration::kResidentialNursing
                     : nursing              ? Registration::kNursing
                     : residential          ? Registration::kResidential
                                            : Registration::kUnknown;
    p.name = v[kName];
    p.also_known_as = v[kAlsoKnownAs];
    p.address = v[kAddress];
    const std::string pc = NormalisePostcode(v[kPostcode]);
    p.postcode = pc.empty() ? v[kPostcode] : pc;
    p.phone = v[kPhone];
    p.website = v[kWebsite];
    p.service_types = v[kServiceTypes];
    p.specialisms = MapSpecialisms(SplitTrim(v[kSpecialisms], '|'));
    p.operator_name = v[kProviderName];
    p.cqc_provider_id = v[kProviderId];
    p.local_authority = v[kLocalAuthority];
    p.region = v[kRegion];
    if (auto where = geo.Locate(p.postcode)) {
      p.latitude = where->lat;
      p.longitude = where->lon;
    }
    p.district = geo.DistrictFor(
        p.local_authority,
        p.latitude ? std::optional<LatLong>(LatLong{*p.latitude, *p.longitude}) : std::nullopt);
    rows.push_back(std::move(row));
  }
  if (report.rejected > 0) return Refuse(report);

  // Everything parsed: write in one transaction, keeping fields Berth manages (trusted assessor, contacts)
  // and, when this extract lacks them, the bed count and rating of an earlier one.
  Status written = store.db().Transaction([&]() -> Status {
    for (auto& row : rows) {
      Provider p = row.p;
      auto old = LoadProvider(store.db(), p.id);
      if (old.ok()) {
        p.trusted_assessor = old->trusted_assessor;
        p.contact_name = old->contact_name;
        p.contact_email = old->contact_email;
        if (!row.has_beds) p.registered_beds = old->registered_beds;
        if (!row.has_rating) p.rating = old->rating;
      } else if (old.status().code() != Code::kNotFound) {
        return old.status();
      }
      const bool home = p.kind == ProviderKind::kCareHome;
      BERTH_RETURN_IF_ERROR(Outcome(report, row.line,
                                    fmt::format("{} {} ({}, {})", p.cqc_location_id, p.name,
                                                home ? "care home" : "homecare agency", p.local_authority),
                                    SaveChanges(store, p)));
      auto& tally = report.by_authority[p.local_authority];
      (home ? tally.first : tally.second) += 1;
      if (!p.latitude) {
        report.notes.push_back(fmt::format("line {}: {}: postcode '{}' could not be placed; no coordinates",
                                           row.line, p.cqc_location_id, p.postcode.substr(0, 10)));
      }
    }
    return Status::Ok();
  });
  BERTH_RETURN_IF_ERROR(written);
  std::stable_sort(report.lines.begin(), report.lines.end(),
                   [](const ImportLine& a, const ImportLine& b) { return a.line < b.line; });
  return report;
}

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
    std::string why;
    auto category = FromString<BedCategory>(t.Get("category"));
    auto contract = FromString<ContractType>(t.Get("contract"));
    auto tier = FromString<BlockTier>(t.Get("block_tier"));
    auto rate = ParsePounds(t.Get("weekly_rate"));
    auto status = FromString<BedStatus>(t.Get("status"));
    auto sex = FromString<SexPreference>(AsciiLower(t.Get("single_sex_unit")));
    auto flex = ParseFlag(t.Get("flexibility_clause"));
    if (!category.ok())
      why = category.status().message();
    else if (!contract.ok())
      why = contract.status().message();
    else if (!tier.ok())
      why = tier.status().message();
    else if (!rate.ok())
      why = "weekly_rate: " + rate.status().message();
    else if (!status.ok())
      why = status.status().message();
    else if (!sex.ok())
      why = "single_sex_unit: " + sex.status().message();
    else if (!flex.ok())
      why = "flexibility_clause: " + flex.status().message();
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
    std::string why;
    auto band = FromString<TimeBand>(band_text);
    auto contract = FromString<HomecareContract>(AsciiLower(t.Get("contract")));
    auto rate = ParsePounds(t.Get("hourly_rate"));
    auto double_up = ParseFlag(t.Get("double_up"));
    if (!band.ok())
      why = band.status().message();
    else if (!contract.ok())
      why = contract.status().message();
    else if (!rate.ok())
      why = "hourly_rate: " + rate.status().message();
    else if (!double_up.ok())
      why = "double_up: " + double_up.status().message();
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

}  // namespace berth::core

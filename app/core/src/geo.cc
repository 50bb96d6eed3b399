// Geography (geo.h): postcode centroids, distances in kilometres, local authorities and their districts,
// and hospitals, all from the copies under assets/.

#include "berth/core/geo.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>

#include "berth/core/csv.h"
#include "berth/schema/text.h"

namespace berth::core {

namespace {

std::optional<double> ParseDouble(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

// One record of a table read by ReadTable: its fields, looked up by the header's column names.
class TableRow {
 public:
  TableRow(const std::vector<std::string>& header, const std::vector<std::string>& fields)
      : header_(header), fields_(fields) {}
  // The named column's value; empty when the header has no such column or the record is short.
  std::string Get(std::string_view column) const {
    for (size_t i = 0; i < header_.size() && i < fields_.size(); ++i) {
      if (header_[i] == column) return fields_[i];
    }
    return std::string();
  }

 private:
  const std::vector<std::string>& header_;
  const std::vector<std::string>& fields_;
};

// Reads a CSV file with a header, calling row_fn on each record. Every process that matches reads these
// tables at its start, so a record is not copied into a map of its own.
Status ReadTable(const std::string& path, const std::function<Status(const TableRow&)>& row_fn) {
  BERTH_ASSIGN_OR_RETURN(std::string data, ReadInput(path));
  BERTH_RETURN_IF_ERROR(CheckText(data).Context(path));
  CsvReader reader(data);
  std::vector<std::string> header, fields;
  BERTH_ASSIGN_OR_RETURN(bool has_header, reader.Next(&header));
  if (!has_header) return BadInput(path + " is empty");
  while (true) {
    auto next = reader.Next(&fields);
    if (!next.ok()) return next.status().Context(path);
    if (!*next) break;
    BERTH_RETURN_IF_ERROR(row_fn(TableRow(header, fields)));
  }
  return Status::Ok();
}

}  // namespace

double DistanceKm(LatLong a, LatLong b) {
  constexpr double kEarthRadiusKm = 6371.0088;
  constexpr double kRad = M_PI / 180.0;
  const double dlat = (b.lat - a.lat) * kRad;
  const double dlon = (b.lon - a.lon) * kRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.lat * kRad) * std::cos(b.lat * kRad) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

std::string NormalisePostcode(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c == ' ' || c == '\t') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return "";
    s += c;
  }
  auto is_alpha = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  auto outward_ok = [&](std::string_view o) {
    return o.size() >= 2 && o.size() <= 4 && is_alpha(o[0]) &&
           (is_digit(o[1]) || (o.size() > 2 && is_alpha(o[1])));
  };
  if (s.size() >= 5 && s.size() <= 7) {
    const std::string_view inward = std::string_view(s).substr(s.size() - 3);
    const std::string_view outward = std::string_view(s).substr(0, s.size() - 3);
    if (is_digit(inward[0]) && is_alpha(inward[1]) && is_alpha(inward[2]) && outward_ok(outward)) {
      return std::string(outward) + " " + std::string(inward);
    }
  }
  if (outward_ok(s)) return s;
  return "";
}

std::string OutwardCode(std::string_view postcode) {
  const std::string n = NormalisePostcode(postcode);
  return n.substr(0, n.find(' '));
}

Result<Geography> Geography::Load(const std::string& dir) {
  Geography g;
  const Status outcodes = ReadTable(dir + "/postcode_outcodes.csv", [&](const TableRow& row) {
    const auto lat = ParseDouble(row.Get("latitude"));
    const auto lon = ParseDouble(row.Get("longitude"));
    const std::string code = row.Get("outcode");
    if (lat && lon && !code.empty()) g.outcodes_[code] = LatLong{*lat, *lon};
    return Status::Ok();
  });
  BERTH_RETURN_IF_ERROR(outcodes);
  const Status authorities = ReadTable(dir + "/uk_local_authorities.csv", [&](const TableRow& row) {
    LocalAuthority la;
    la.code = row.Get("local-authority-code");
    la.name = row.Get("nice-name");
    la.official_name = row.Get("official-name");
    la.region = row.Get("region");
    la.type = row.Get("local-authority-type");
    la.county_code = row.Get("county-la");
    la.current = row.Get("end-date").empty();
    const auto lat = ParseDouble(row.Get("lat"));
    const auto lon = ParseDouble(row.Get("long"));
    if (lat && lon) la.centre = LatLong{*lat, *lon};
    if (!la.code.empty()) g.authorities_.push_back(std::move(la));
    return Status::Ok();
  });
  BERTH_RETURN_IF_ERROR(authorities);
  // The first council a key names, unless a later current one has it and the first is not current.
  for (size_t i = 0; i < g.authorities_.size(); ++i) {
    const LocalAuthority& la = g.authorities_[i];
    for (const std::string* key : {&la.name, &la.official_name, &la.code}) {
      const std::string lower = AsciiLower(*key);
      if (lower.empty()) continue;
      auto [it, fresh] = g.authority_index_.emplace(lower, i);
      if (!fresh && la.current && !g.authorities_[it->second].current) it->second = i;
    }
  }
  const Status hospitals = ReadTable(dir + "/hospitals_england_2014.csv", [&](const TableRow& row) {
    Hospital h;
    h.code = row.Get("OrganisationCode");
    h.name = Trim(row.Get("OrganisationName"));
    h.city = row.Get("City");
    h.postcode = NormalisePostcode(row.Get("Postcode"));
    h.sector = row.Get("Sector");
    h.sub_type = row.Get("SubType");
    const auto lat = ParseDouble(row.Get("Latitude"));
    const auto lon = ParseDouble(row.Get("Longitude"));
    if (!lat || !lon || h.code.empty()) return Status::Ok();
    h.where = LatLong{*lat, *lon};
    g.hospitals_.push_back(std::move(h));
    return Status::Ok();
  });
  BERTH_RETURN_IF_ERROR(hospitals);
  if (g.outcodes_.empty() || g.authorities_.empty() || g.hospitals_.empty()) {
    return BadInput("the geography files in " + dir + " are empty");
  }
  return g;
}

std::optional<LatLong> Geography::Locate(std::string_view postcode) const {
  const std::string out = OutwardCode(postcode);
  if (out.empty()) return std::nullopt;
  auto it = outcodes_.find(out);
  if (it == outcodes_.end()) return std::nullopt;
  return it->second;
}

const LocalAuthority* Geography::FindAuthority(std::string_view name) const {
  const std::string want = AsciiLower(name);
  if (want.empty()) return nullptr;
  auto it = authority_index_.find(want);
  return it == authority_index_.end() ? nullptr : &authorities_[it->second];
}

std::vector<const LocalAuthority*> Geography::DistrictsOf(const LocalAuthority& county) const {
  std::vector<const LocalAuthority*> out;
  for (const auto& la : authorities_) {
    if (la.current && la.county_code == county.code) out.push_back(&la);
  }
  return out;
}

std::string Geography::DistrictFor(std::string_view authority, std::optional<LatLong> where) const {
  const LocalAuthority* la = FindAuthority(authority);
  if (la == nullptr) return std::string(authority);
  const auto districts = DistrictsOf(*la);
  if (districts.empty() || !where) return la->name;
  const LocalAuthority* best = nullptr;
  double best_km = 0;
  for (const auto* d : districts) {
    if (!d->centre) continue;
    const double km = DistanceKm(*where, *d->centre);
    if (best == nullptr || km < best_km) {
      best = d;
      best_km = km;
    }
  }
  return best != nullptr ? best->name : la->name;
}

const LocalAuthority* Geography::NearestDistrict(LatLong where) const {
  const LocalAuthority* best = nullptr;
  double best_km = 0;
  for (const auto& la : authorities_) {
    if (!la.current || !la.centre || la.type == "CTY" || !InEngland(la)) continue;
    const double km = DistanceKm(where, *la.centre);
    if (best == nullptr || km < best_km) {
      best = &la;
      best_km = km;
    }
  }
  return best;
}

std::string ReferralDistrict(const Geography& geo, const Referral& r) {
  std::optional<LatLong> where;
  if (r.location_kind == LocationKind::kHospital && !r.hospital_code.empty()) {
    if (const Hospital* site = geo.FindHospital(r.hospital_code)) where = site->where;
  }
  if (!where && !r.postcode.empty()) where = geo.Locate(r.postcode);
  if (!where) return "";
  const LocalAuthority* la = geo.NearestDistrict(*where);
  return la != nullptr ? la->name : "";
}

const Hospital* Geography::FindHospital(std::string_view code_or_name) const {
  const std::string want = AsciiLower(code_or_name);
  for (const auto& h : hospitals_) {
    if (AsciiLower(h.code) == want) return &h;
  }
  for (const auto& h : hospitals_) {
    if (AsciiLower(h.name) == want) return &h;
  }
  return nullptr;
}

const Hospital* Geography::HospitalAt(std::string_view postcode) const {
  const std::string want = NormalisePostcode(postcode);
  if (want.find(' ') == std::string::npos) return nullptr;
  const Hospital* best = nullptr;
  int best_score = -1;
  for (const auto& h : hospitals_) {
    if (h.postcode != want) continue;
    // Prefer an NHS acute "Hospital" whose name says so over treatment centres and community units.
    int score = 0;
    if (h.sector == "NHS Sector") score += 4;
    if (h.sub_type == "Hospital") score += 2;
    const std::string n = AsciiLower(h.name);
    if (n.find("hospital") != std::string::npos || n.find("addenbrooke") != std::string::npos) score += 2;
    if (n.find("community") != std::string::npos || n.find("treatment") != std::string::npos) score -= 3;
    if (score > best_score) {
      best = &h;
      best_score = score;
    }
  }
  return best;
}

std::vector<std::pair<std::string, LatLong>> Geography::SortedOutcodes() const {
  std::vector<std::pair<std::string, LatLong>> out(outcodes_.begin(), outcodes_.end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

bool Geography::InEngland(const LocalAuthority& la) {
  return la.region != "Scotland" && la.region != "Wales" && la.region != "Northern Ireland" &&
         !la.region.empty();
}

std::string AssetsDir() {
  if (const char* env = std::getenv("BERTH_ASSETS"); env != nullptr && *env != '\0') return env;
  return BERTH_ASSETS_DIR;
}

Result<const Geography*> DefaultGeography() {
  static std::once_flag once;
  static std::unique_ptr<Geography> geo;
  static Status error;
  std::call_once(once, [] {
    auto g = Geography::Load(AssetsDir() + "/data");
    if (g.ok()) {
      geo = std::make_unique<Geography>(std::move(g).value());
    } else {
      error = g.status().Context("loading Berth's geography data (set BERTH_ASSETS to the assets directory)");
    }
  });
  if (!geo) return error;
  return static_cast<const Geography*>(geo.get());
}

}  // namespace berth::core

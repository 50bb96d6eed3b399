// Geography (geo.h): postcode centroids, distances in kilometres, local authorities and their districts,
// and hospitals, all from the copies under assets/.

#include "berth/core/geo.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
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

// Reads a CSV file with a header into rows of column-name -> value.
Status ReadTable(
    const std::string& path,
    const std::function<Status(const std::map<std::string, std::string>&, int64_t line)>& row_fn) {
  BERTH_ASSIGN_OR_RETURN(std::string data, ReadInput(path));
  BERTH_RETURN_IF_ERROR(CheckText(data).Context(path));
  CsvReader reader(data);
  std::vector<std::string> header, fields;
  BERTH_ASSIGN_OR_RETURN(bool has_header, reader.Next(&header));
  if (!has_header) return BadInput(path + " is empty");
  std::map<std::string, std::string> row;
  while (true) {
    auto next = reader.Next(&fields);
    if (!next.ok()) return next.status().Context(path);
    if (!*next) break;
    row.clear();
    for (size_t i = 0; i < header.size() && i < fields.size(); ++i) row[header[i]] = fields[i];
    BERTH_RETURN_IF_ERROR(row_fn(row, reader.line()));
  }
  return Status::Ok();
}

std::string Get(const std::map<std::string, std::string>& row, const char* key) {
  auto it = row.find(key);
  return it == row.end() ? std::string() : it->second;
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
  const Status outcodes = ReadTable(dir + "/postcode_outcodes.csv", [&](const auto& row, int64_t) {
    const auto lat = ParseDouble(Get(row, "latitude"));
    const auto lon = ParseDouble(Get(row, "longitude"));
    const std::string code = Get(row, "outcode");
    if (lat && lon && !code.empty()) g.outcodes_[code] = LatLong{*lat, *lon};
    return Status::Ok();
  });
  BERTH_RETURN_IF_ERROR(outcodes);
  const Status authorities = ReadTable(dir + "/uk_local_authorities.csv", [&](const auto& row, int64_t) {
    LocalAuthority la;
    la.code = Get(row, "local-authority-code");
    la.name = Get(row, "nice-name");
    la.official_name = Get(row, "official-name");
    la.region = Get(row, "region");
    la.type = Get(row, "local-authority-type");
    la.county_code = Get(row, "county-la");
    la.current = Get(row, "end-date").empty();
    const auto lat = ParseDouble(Get(row, "lat"));
    const auto lon = ParseDouble(Get(row, "long"));
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
  const Status hospitals = ReadTable(dir + "/hospitals_england_2014.csv", [&](const auto& row, int64_t) {
    Hospital h;
    h.code = Get(row, "OrganisationCode");
    h.name = Trim(Get(row, "OrganisationName"));
    h.city = Get(row, "City");
    h.postcode = NormalisePostcode(Get(row, "Postcode"));
    h.sector = Get(row, "Sector");
    h.sub_type = Get(row, "SubType");
    const auto lat = ParseDouble(Get(row, "Latitude"));
    const auto lon = ParseDouble(Get(row, "Longitude"));
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

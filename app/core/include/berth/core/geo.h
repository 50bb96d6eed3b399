// Geography without a network: postcode -> outward code -> latitude/longitude (postcode district
// centroids), councils and their districts, hospital sites, and great-circle distances. Everything is read
// from the public data files shipped in assets/data/ (see assets/data/README.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "berth/schema/model.h"
#include "berth/schema/status.h"

namespace berth::core {

struct LatLong {
  double lat = 0;
  double lon = 0;
};

// Great-circle (haversine) distance in kilometres on a sphere of the Earth's mean radius.
double DistanceKm(LatLong a, LatLong b);

// "pe29 6nt" / "PE296NT" -> "PE29 6NT". A bare outward code ("PE29") is returned upper-cased. "" when the
// text cannot be a UK postcode.
std::string NormalisePostcode(std::string_view text);
// The outward code (postcode district): "PE29 6NT" -> "PE29"; "" when the text is not a postcode.
std::string OutwardCode(std::string_view postcode);

struct LocalAuthority {
  std::string code;           // mySociety's three/four-letter code, e.g. "HUN"
  std::string name;           // e.g. "Huntingdonshire"
  std::string official_name;  // e.g. "Huntingdonshire District Council"
  std::string region;         // e.g. "East of England"
  std::string type;           // CTY (county), NMD (district), UA, MD, LBO, ...
  std::string county_code;    // for a district: its county's code
  std::optional<LatLong> centre;
  bool current = true;
};

struct Hospital {
  std::string code;  // ODS site code, e.g. "RGT01"
  std::string name;  // e.g. "Addenbrooke's"
  std::string city;
  std::string postcode;
  std::string sector;  // "NHS Sector" or "Independent Sector"
  std::string sub_type;
  LatLong where;
};

class Geography {
 public:
  // Reads postcode_outcodes.csv, uk_local_authorities.csv and hospitals_england_2014.csv from `data_dir`.
  static Result<Geography> Load(const std::string& data_dir);

  // The centroid of the postcode's district, if the outward code is known.
  std::optional<LatLong> Locate(std::string_view postcode) const;
  // By short name ("Peterborough"), official name, or code; case-insensitive. Current councils win.
  const LocalAuthority* FindAuthority(std::string_view name) const;
  // A county's lower-tier districts (empty for a unitary council).
  std::vector<const LocalAuthority*> DistrictsOf(const LocalAuthority& county) const;
  // The district of `authority` whose centre is nearest `where` (the authority's own name when it is
  // unitary or unknown, or when `where` is unknown). An approximation: the data has no postcode-to-district
  // table, and district centroids place care homes correctly except near district borders.
  std::string DistrictFor(std::string_view authority, std::optional<LatLong> where) const;
  // The current lower-tier council (district, unitary, metropolitan or London borough) whose centre is
  // nearest `where`, in England: where a person is, for a referral's sync area. The same approximation
  // as DistrictFor, without knowing the county first.
  const LocalAuthority* NearestDistrict(LatLong where) const;
  // By ODS code, or by name (case-insensitive).
  const Hospital* FindHospital(std::string_view code_or_name) const;
  // The main NHS hospital at a postcode (acute sites preferred), if any.
  const Hospital* HospitalAt(std::string_view postcode) const;
  const std::vector<Hospital>& hospitals() const { return hospitals_; }
  const std::vector<LocalAuthority>& authorities() const { return authorities_; }
  size_t outcode_count() const { return outcodes_.size(); }
  // Every known outward code with its centroid, sorted by code.
  std::vector<std::pair<std::string, LatLong>> SortedOutcodes() const;
  // True for councils in England (the data also lists Scotland, Wales and Northern Ireland).
  static bool InEngland(const LocalAuthority& la);

 private:
  std::unordered_map<std::string, LatLong> outcodes_;
  std::vector<LocalAuthority> authorities_;
  // Lower-case name, official name and code -> the index in authorities_ FindAuthority answers with
  // (an import asks once per row).
  std::unordered_map<std::string, size_t> authority_index_;
  std::vector<Hospital> hospitals_;
};

// The district a referral's person is in: their hospital site's, else their postcode's ("" when
// neither is known). It is the referral's sync area (sync/PROTOCOL.md, section 6).
std::string ReferralDistrict(const Geography& geo, const Referral& r);

// Where Berth's assets are: $BERTH_ASSETS when set, else the source tree's assets/ (BERTH_ASSETS_DIR).
std::string AssetsDir();
// The geography from AssetsDir()/data, loaded once per process.
Result<const Geography*> DefaultGeography();

}  // namespace berth::core

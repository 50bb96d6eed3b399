// The CQC importer: reads a care home list in whichever shape it comes (importers.h lists them), turns
// each row into one CqcRecord, then checks, places and writes every record the same way.
//
//   ReadCsv / ReadApiJson   file -> CqcRecords, naming the layout found (broken rows are rejected here)
//   ToProvider              CqcRecord -> Provider, with warnings for values Berth does not know
//   ImportCqcDirectory      all or nothing: refuse on any rejected row, else write in one transaction
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "berth/core/csv.h"
#include "berth/core/importers.h"
#include "berth/schema/repository.h"
#include "berth/schema/text.h"
#include "import_support.h"

namespace berth::core {
namespace {

using import_support::IsCqcId;
using import_support::Outcome;
using import_support::Refuse;

enum Field {
  kName,
  kAlsoKnownAs,
  kAddress,
  kAddress2,
  kTown,
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
  kLatitude,
  kLongitude,
  kFieldCount
};

// The 2016 care directory's columns, in order, optionally followed by bed count and rating.
constexpr std::array<Field, 17> k2016Layout = {
    kName,         kAlsoKnownAs, kAddress,     kPostcode,     kPhone,          kWebsite,
    kServiceTypes, kLatestCheck, kSpecialisms, kProviderName, kLocalAuthority, kRegion,
    kLocationUrl,  kLocationId,  kProviderId,  kBeds,         kRating};

// One CQC location as the file gave it: text as written, "" when the file does not say.
struct CqcRecord {
  int64_t line = 0;  // CSV: the line the row starts on; JSON: the record's position, from 1
  std::array<std::string, kFieldCount> v;
  std::array<bool, kFieldCount> present{};
  std::vector<std::string> service_types;
  std::vector<std::string> specialisms;

  void Set(Field f, std::string text) {
    v[f] = Trim(text);
    present[f] = true;
  }
};

struct Parsed {
  std::string format;
  std::vector<CqcRecord> records;
  bool has_service_types = true;  // false: a plain list that never says what a location is
};

// Maps a header cell to a field, by its name with case and punctuation ignored; -1 when Berth does not
// use it. Synonyms cover the care directory, the CQC API's field names and councils' own lists.
int FieldFor(const std::string& header) {
  const std::string h = NormaliseHeader(header);
  auto starts = [&](std::string_view p) { return h.rfind(p, 0) == 0; };
  auto is = [&](std::initializer_list<std::string_view> names) {
    return std::find(names.begin(), names.end(), h) != names.end();
  };
  if (starts("cqclocationid") || is({"locationid", "cqcid", "locationidentifier", "cqclocation"}))
    return kLocationId;
  if (starts("cqcproviderid") || is({"providerid"})) return kProviderId;
  if (is({"name", "locationname", "carehomename", "homename", "servicename", "establishmentname"}))
    return kName;
  if (is({"alsoknownas", "brandname"})) return kAlsoKnownAs;
  if (is({"address", "locationaddress", "postaladdressline1", "addressline1", "street",
          "locationstreetaddress"}))
    return kAddress;
  if (is({"postaladdressline2", "addressline2", "locationaddressline2"})) return kAddress2;
  if (is({"postaladdresstowncity", "town", "city", "towncity", "locationcity"})) return kTown;
  if (is({"postcode", "locationpostcode", "postalcode", "locationpostalcode"})) return kPostcode;
  if (starts("phone") ||
      is({"locationphonenumber", "mainphonenumber", "telephone", "tel", "locationtelephonenumber"}))
    return kPhone;
  if (h.find("website") != std::string::npos || h.find("webaddress") != std::string::npos) return kWebsite;
  if (is({"servicetypes", "servicetype", "gacservicetypes", "gacservicetypesname", "type", "hometype",
          "carehometype"}))
    return kServiceTypes;
  if (starts("dateoflatestcheck") || starts("publicationdate") || starts("latestinspection") ||
      starts("lastinspection"))
    return kLatestCheck;
  if (starts("specialisms")) return kSpecialisms;
  if (is({"providername", "operator", "operatorname"})) return kProviderName;
  if (is({"localauthority", "locationlocalauthority", "la", "council", "localauthorityname"}))
    return kLocalAuthority;
  if (is({"region", "locationregion"})) return kRegion;
  if (is({"locationurl"})) return kLocationUrl;
  if (h.find("beds") != std::string::npos) return kBeds;
  if (h.find("rating") != std::string::npos) return kRating;
  if (is({"latitude", "lat", "onspdlatitude", "locationlatitude"})) return kLatitude;
  if (is({"longitude", "lon", "lng", "long", "onspdlongitude", "locationlongitude"})) return kLongitude;
  return -1;
}

// Names only the CQC API uses: a header with any of them is a flattening of its location records.
bool IsApiName(const std::string& header) {
  const std::string h = NormaliseHeader(header);
  return h.rfind("onspd", 0) == 0 || h == "gacservicetypes" || h == "numberofbeds" ||
         h.rfind("currentratings", 0) == 0 || h == "postalcode" || h == "postaladdressline1";
}

// A first row is a header when no cell is a CQC id and at least two cells name fields Berth reads.
bool IsHeader(const std::vector<std::string>& cells) {
  int named = 0;
  for (const auto& c : cells) {
    if (IsCqcId(Trim(c))) return false;
    if (FieldFor(c) >= 0) ++named;
  }
  return named >= 2;
}

std::vector<std::string> SplitList(const std::string& text) {
  // The directory separates with '|'; API flattenings and councils' lists use ';' or ','.
  const char sep = text.find('|') != std::string::npos   ? '|'
                   : text.find(';') != std::string::npos ? ';'
                                                         : ',';
  std::vector<std::string> out;
  for (auto& s : SplitTrim(text, sep)) {
    if (!s.empty()) out.push_back(std::move(s));
  }
  return out;
}

Result<Parsed> ReadCsv(std::string_view csv, ImportReport& report) {
  Parsed out;
  CsvReader reader(csv);
  std::vector<std::string> cells;
  std::vector<int> map;  // cell index -> Field (or -1); empty: the 2016 layout, no header
  bool first = true;
  while (true) {
    auto next = reader.Next(&cells);
    if (!next.ok()) return next.status().Context("CQC directory");
    if (!*next) break;
    const int64_t line = reader.line();
    if (first) {
      first = false;
      if (IsHeader(cells)) {
        std::set<int> found;
        bool api = false;
        for (const auto& c : cells) {
          const int f = FieldFor(c);
          if (f >= 0 && !found.insert(f).second) {
            return BadInput(
                fmt::format("CQC directory: line 1: column '{}' appears twice", Trim(c).substr(0, 40)));
          }
          api = api || IsApiName(c);
          map.push_back(f);
          if (f < 0) report.notes.push_back("column '" + Trim(c).substr(0, 40) + "' is not used by Berth");
        }
        if (!found.count(kLocationId)) {
          return BadInput(
              "CQC directory: line 1: the header has no CQC location id column (looked for 'cqc_id', "
              "'location_id', 'Location ID', 'locationId', 'CQC Location ID'); Berth keys every home on it, "
              "so nothing was imported");
        }
        if (!found.count(kName)) {
          return BadInput("CQC directory: line 1: the header has no name column ('name', 'Location Name')");
        }
        out.has_service_types = found.count(kServiceTypes) > 0;
        out.format = api ? "CQC API location records (CSV)"
                     : found.count(kServiceTypes) && found.count(kLocalAuthority)
                         ? "CQC care directory (with a header)"
                         : "a list of care homes keyed by CQC location id";
        continue;
      }
      out.format = "CQC care directory (2016 layout, no header)";
    }
    ++report.rows;
    if (map.empty() ? (cells.size() < 15 || cells.size() > 17) : cells.size() != map.size()) {
      report.Add({line, "", RowOutcome::kRejected,
                  map.empty() ? fmt::format("has {} columns, expected 15 (or 16-17 with beds and rating)",
                                            cells.size())
                              : fmt::format("has {} columns, the header has {}", cells.size(), map.size())});
      continue;
    }
    CqcRecord r;
    r.line = line;
    for (size_t i = 0; i < cells.size(); ++i) {
      const int f = map.empty() ? k2016Layout[i] : map[i];
      if (f >= 0) r.Set(static_cast<Field>(f), cells[i]);
    }
    r.service_types = SplitList(r.v[kServiceTypes]);
    r.specialisms = SplitList(r.v[kSpecialisms]);
    out.records.push_back(std::move(r));
  }
  if (out.format.empty()) out.format = "CQC care directory (empty)";
  return out;
}

// --- the CQC API's location records (JSON) ----------------------------------------------------------

// A scalar as text: strings as they are, numbers as JSON writes them; nullopt for objects and arrays.
std::optional<std::string> ScalarText(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer()) return std::to_string(j.get<int64_t>());
  if (j.is_number()) return fmt::format("{}", j.get<double>());
  if (j.is_boolean()) return j.get<bool>() ? "true" : "false";
  if (j.is_null()) return std::string();
  return std::nullopt;
}

// Names from a list of strings or of objects carrying `name` (gacServiceTypes, specialisms).
std::vector<std::string> NameList(const nlohmann::json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) {
    if (auto t = ScalarText(j); t && !t->empty()) return SplitList(*t);
    return out;
  }
  for (const auto& item : j) {
    if (item.is_object()) {
      for (const char* key : {"name", "description"}) {
        auto it = item.find(key);
        if (it != item.end() && it->is_string()) {
          out.push_back(Trim(it->get<std::string>()));
          break;
        }
      }
    } else if (auto t = ScalarText(item); t && !t->empty()) {
      out.push_back(Trim(*t));
    }
  }
  return out;
}

Result<Parsed> ReadApiJson(std::string_view text, ImportReport& report) {
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return BadInput("CQC API records: the file is not valid JSON");
  const nlohmann::json* list = &doc;
  if (doc.is_object() && doc.contains("locations")) list = &doc["locations"];
  std::vector<const nlohmann::json*> items;
  if (list->is_array()) {
    for (const auto& item : *list) items.push_back(&item);
  } else if (list->is_object()) {
    items.push_back(list);
  } else {
    return BadInput("CQC API records: expected a location, a list of them or {\"locations\": [...]}");
  }
  Parsed out;
  out.format = "CQC API location records (JSON)";
  int64_t index = 0;
  static const std::vector<std::pair<const char*, Field>> kScalars = {
      {"locationId", kLocationId},
      {"providerId", kProviderId},
      {"name", kName},
      {"alsoKnownAs", kAlsoKnownAs},
      {"postalAddressLine1", kAddress},
      {"postalAddressLine2", kAddress2},
      {"postalAddressTownCity", kTown},
      {"postalCode", kPostcode},
      {"mainPhoneNumber", kPhone},
      {"website", kWebsite},
      {"localAuthority", kLocalAuthority},
      {"region", kRegion},
      {"numberOfBeds", kBeds},
      {"onspdLatitude", kLatitude},
      {"onspdLongitude", kLongitude},
  };
  for (const nlohmann::json* item : items) {
    ++index;
    ++report.rows;
    if (!item->is_object()) {
      report.Add({index, "", RowOutcome::kRejected, "record is not a JSON object"});
      continue;
    }
    CqcRecord r;
    r.line = index;
    bool broken = false;
    for (const auto& [key, field] : kScalars) {
      auto it = item->find(key);
      if (it == item->end()) continue;
      auto t = ScalarText(*it);
      if (!t) {
        report.Add({index, "", RowOutcome::kRejected, std::string(key) + " is not a single value"});
        broken = true;
        break;
      }
      r.Set(field, *t);
    }
    if (broken) continue;
    if (auto it = item->find("gacServiceTypes"); it != item->end()) {
      r.service_types = NameList(*it);
      r.present[kServiceTypes] = true;
    }
    if (auto it = item->find("specialisms"); it != item->end()) r.specialisms = NameList(*it);
    if (auto it = item->find("currentRatings"); it != item->end()) {
      r.present[kRating] = true;
      const nlohmann::json* rating = &*it;
      if (rating->is_object() && rating->contains("overall")) rating = &(*rating)["overall"];
      if (rating->is_object() && rating->contains("rating")) rating = &(*rating)["rating"];
      r.v[kRating] = Trim(ScalarText(*rating).value_or("(not a single value)"));
    }
    if (auto it = item->find("lastInspection"); it != item->end()) {
      const nlohmann::json* d = &*it;
      if (d->is_object() && d->contains("date")) d = &(*d)["date"];
      r.Set(kLatestCheck, ScalarText(*d).value_or("(not a single value)"));
    }
    out.records.push_back(std::move(r));
  }
  return out;
}

// --- one record -> one provider ---------------------------------------------------------------------

std::optional<CqcRating> ParseRating(std::string_view text) {
  const std::string r = NormaliseHeader(text);
  if (r.empty() || r == "notyetrated" || r == "notrated" || r == "norating") return CqcRating::kUnrated;
  if (r == "outstanding") return CqcRating::kOutstanding;
  if (r == "good") return CqcRating::kGood;
  if (r == "requiresimprovement") return CqcRating::kRequiresImprovement;
  if (r == "inadequate") return CqcRating::kInadequate;
  if (r == "inspectedbutnotrated") return CqcRating::kInspectedButNotRated;
  if (r == "insufficientevidencetorate" || r == "insufficientevidence")
    return CqcRating::kInsufficientEvidence;
  return std::nullopt;
}

enum class ServiceKind { kNursing, kResidential, kCareHome, kHomecare, kOther, kUnknown };

// CQC's service types (the directory's short names and the API's gacServiceTypes), and the words
// councils use in their own lists. Known types that are not care homes or homecare are kOther.
ServiceKind ClassifyService(const std::string& text) {
  static const std::unordered_map<std::string, ServiceKind> kKinds = [] {
    std::unordered_map<std::string, ServiceKind> m;
    for (const char* s : {"nursinghomes", "nursinghome", "carehomewithnursing", "carehomeservicewithnursing"})
      m[s] = ServiceKind::kNursing;
    for (const char* s :
         {"residentialhomes", "residentialhome", "carehomewithoutnursing", "carehomeservicewithoutnursing"})
      m[s] = ServiceKind::kResidential;
    for (const char* s : {"carehome", "carehomes"}) m[s] = ServiceKind::kCareHome;
    for (const char* s :
         {"homecareagencies", "homecareagency", "homecare", "domiciliarycareservice", "domiciliarycare"})
      m[s] = ServiceKind::kHomecare;
    for (const char* s : {"doctorsgps",
                          "dentist",
                          "supportedliving",
                          "supportedlivingservice",
                          "rehabilitationillnessinjury",
                          "rehabilitationsubstanceabuse",
                          "rehabilitationservices",
                          "hospice",
                          "hospiceservices",
                          "hospiceservicesathome",
                          "homehospicecare",
                          "clinic",
                          "supportedhousing",
                          "hospital",
                          "communityserviceshealthcare",
                          "communityservicesnursing",
                          "hospitalsmentalhealthcapacity",
                          "diagnosisscreening",
                          "diagnosticandorscreeningservice",
                          "educationdisabilityservices",
                          "specialistcollegeservice",
                          "mobiledoctors",
                          "mobiledoctorsservice",
                          "phoneonlineadvice",
                          "remoteclinicaladviceservice",
                          "sharedlives",
                          "ambulances",
                          "ambulanceservice",
                          "longtermconditions",
                          "longtermconditionsservices",
                          "urgentcarecentres",
                          "urgentcareservices",
                          "communityserviceslearningdisabilities",
                          "communityservicessubstanceabuse",
                          "hyperbaricchamberservices",
                          "hyperbaricchamber",
                          "communityservicesmentalhealth",
                          "prisonhealthcare",
                          "prisonhealthcareservices",
                          "bloodandtransplantservice",
                          "extracarehousingservices",
                          "extracarehousing",
                          "communityhealthcareservice",
                          "doctorsconsultationservice",
                          "doctorstreatmentservice",
                          "acuteserviceswithovernightbeds",
                          "acuteserviceswithoutovernightbeds",
                          "dentalservice",
                          "residentialsubstancemisusetreatmentandorrehabilitationservice"})
      m[s] = ServiceKind::kOther;
    return m;
  }();
  auto it = kKinds.find(NormaliseHeader(text));
  return it == kKinds.end() ? ServiceKind::kUnknown : it->second;
}

// CQC's specialisms ("service user bands" and regulated activities) that Berth matches on, and those it
// knows and does not use; anything else is unknown and warned about.
std::optional<Specialism> MapSpecialism(const std::string& text, bool* known) {
  static const std::unordered_map<std::string, Specialism> kMap = {
      {"dementia", Specialism::kDementia},
      {"learningdisabilities", Specialism::kLearningDisability},
      {"mentalhealthconditions", Specialism::kMentalHealth},
      {"physicaldisabilities", Specialism::kPhysicalDisability},
      {"sensoryimpairments", Specialism::kSensoryImpairment},
      {"substancemisuseproblems", Specialism::kSubstanceMisuse},
      {"eatingdisorders", Specialism::kEatingDisorder},
      {"caringforadultsover65yrs", Specialism::kOlderPeople},
      {"olderpeople", Specialism::kOlderPeople},
      {"caringforadultsunder65yrs", Specialism::kYoungerAdults},
      {"youngeradults", Specialism::kYoungerAdults},
      {"caringforchildren018yrs", Specialism::kChildren},
      {"children", Specialism::kChildren},
  };
  static const std::set<std::string> kUnused = {
      "accommodationforpersonswhorequirenursingorpersonalcare",
      "treatmentofdiseasedisorderorinjury",
      "diagnosticandscreeningprocedures",
      "personalcare",
      "servicesforeveryone",
      "wholepopulation",
      "surgicalprocedures",
      "familyplanningservices",
      "caringforpeoplewhoserightsarerestrictedunderthementalhealthact",
      "maternityandmidwiferyservices",
      "transportservicestriageandmedicaladviceprovidedremotely",
      "nursingcare",
      "accommodationforpersonswhorequiretreatmentforsubstancemisuse",
      "assessmentormedicaltreatmentforpersonsdetainedunderthe1983act",
      "servicesinslimmingclinics",
      "managementofsupplyofbloodandbloodderivedproducts",
      "terminationofpregnancies",
  };
  const std::string n = NormaliseHeader(text);
  auto it = kMap.find(n);
  *known = it != kMap.end() || kUnused.count(n) > 0;
  if (it == kMap.end()) return std::nullopt;
  return it->second;
}

// UK bounds, Scilly to Shetland and Northern Ireland to Lowestoft: a point outside is not a UK address.
bool InTheUk(double lat, double lon) {
  return lat >= 49.8 && lat <= 60.9 && lon >= -8.2 && lon <= 1.8;
}

std::optional<double> ParseCoordinate(const std::string& text) {
  if (text.empty() || text.size() > 24) return std::nullopt;
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string Clip(const std::string& text, size_t n) {
  return text.size() <= n ? text : text.substr(0, n) + "...";
}

struct Built {
  Provider p;
  bool has_beds = false;
  bool has_rating = false;
  std::vector<std::string> warnings;
  std::string skip;  // non-empty: out of scope, with the reason
};

Built ToProvider(const CqcRecord& r, const Geography& geo, bool has_service_types) {
  Built b;
  Provider& p = b.p;
  const auto& v = r.v;
  p.cqc_location_id = v[kLocationId];
  p.id = StableId("cqc-location", p.cqc_location_id);
  if (!v[kLatestCheck].empty()) {
    if (auto d = ParseFlexibleDate(v[kLatestCheck]); d.ok()) {
      p.last_inspection = *d;
    } else {
      b.warnings.push_back("date of latest check '" + Clip(v[kLatestCheck], 24) +
                           "' is not a date; left unset");
    }
  }
  if (r.present[kBeds] && !v[kBeds].empty()) {
    bool digits = v[kBeds].size() <= 5;
    for (char c : v[kBeds]) digits = digits && c >= '0' && c <= '9';
    if (digits) {
      p.registered_beds = std::stoll(v[kBeds]);
      b.has_beds = true;
    } else {
      b.warnings.push_back("bed count '" + Clip(v[kBeds], 12) + "' is not a whole number; left unset");
    }
  }
  if (r.present[kRating]) {
    if (auto rating = ParseRating(v[kRating])) {
      p.rating = *rating;
      b.has_rating = true;
    } else {
      b.warnings.push_back("rating '" + Clip(v[kRating], 30) + "' is not one CQC uses; left unset");
    }
  }
  bool nursing = false, residential = false, care_home = false, homecare = false, other = false;
  for (const auto& t : r.service_types) {
    switch (ClassifyService(t)) {
      case ServiceKind::kNursing:
        nursing = true;
        break;
      case ServiceKind::kResidential:
        residential = true;
        break;
      case ServiceKind::kCareHome:
        care_home = true;
        break;
      case ServiceKind::kHomecare:
        homecare = true;
        break;
      case ServiceKind::kOther:
        other = true;
        break;
      case ServiceKind::kUnknown:
        b.warnings.push_back("service type '" + Clip(t, 40) + "' is not one Berth knows; ignored");
        break;
    }
  }
  // A plain list that never says what its rows are is a list of care homes (the only thing councils list
  // with CQC ids and bed counts); ImportCqcDirectory notes the assumption once.
  if (!has_service_types) care_home = true;
  if (!nursing && !residential && !care_home && !homecare) {
    b.skip = other || r.service_types.empty() ? "not a care home or homecare agency"
                                              : "no service type Berth knows";
  }
  const bool home = nursing || residential || care_home;
  p.kind = home ? ProviderKind::kCareHome : ProviderKind::kHomecareAgency;
  p.registration = nursing && residential ? Registration::kResidentialNursing
                   : nursing              ? Registration::kNursing
                   : residential          ? Registration::kResidential
                                          : Registration::kUnknown;
  for (const auto& s : r.specialisms) {
    bool known = false;
    if (auto sp = MapSpecialism(s, &known)) {
      if (std::find(p.specialisms.begin(), p.specialisms.end(), *sp) == p.specialisms.end())
        p.specialisms.push_back(*sp);
    } else if (!known) {
      b.warnings.push_back("specialism '" + Clip(s, 40) + "' is not one Berth knows; ignored");
    }
  }
  std::sort(p.specialisms.begin(), p.specialisms.end());
  p.name = v[kName];
  p.also_known_as = v[kAlsoKnownAs];
  p.address = v[kAddress];
  for (Field f : {kAddress2, kTown}) {
    if (!v[f].empty()) p.address += (p.address.empty() ? "" : ", ") + v[f];
  }
  const std::string pc = NormalisePostcode(v[kPostcode]);
  p.postcode = pc.empty() ? v[kPostcode] : pc;
  p.phone = v[kPhone];
  p.website = v[kWebsite];
  std::string types;
  for (const auto& t : r.service_types) types += (types.empty() ? "" : "|") + t;
  p.service_types = types;
  p.operator_name = v[kProviderName];
  p.cqc_provider_id = v[kProviderId];
  p.local_authority = v[kLocalAuthority];
  p.region = v[kRegion];
  // Position: the file's own coordinates when it has them and they are a UK place.
  if (!v[kLatitude].empty() || !v[kLongitude].empty()) {
    const auto lat = ParseCoordinate(v[kLatitude]);
    const auto lon = ParseCoordinate(v[kLongitude]);
    if (lat && lon && InTheUk(*lat, *lon)) {
      p.latitude = *lat;
      p.longitude = *lon;
      p.position = PositionSource::kExact;
    } else {
      b.warnings.push_back(
          fmt::format("latitude/longitude '{}, {}' is not a place in the UK; the postcode's "
                      "district centre is used",
                      Clip(v[kLatitude], 16), Clip(v[kLongitude], 16)));
    }
  }
  if (!p.latitude) {
    if (auto where = geo.Locate(p.postcode)) {
      p.latitude = where->lat;
      p.longitude = where->lon;
      p.position = PositionSource::kOutcode;
    }
  }
  const std::optional<LatLong> where =
      p.latitude ? std::optional<LatLong>(LatLong{*p.latitude, *p.longitude}) : std::nullopt;
  // A council's list may not name the council: the nearest district (and its county) says.
  if (p.local_authority.empty() && where) {
    if (const LocalAuthority* d = geo.NearestDistrict(*where)) {
      const LocalAuthority* county = d->county_code.empty() ? nullptr : geo.FindAuthority(d->county_code);
      p.local_authority = county != nullptr ? county->name : d->name;
      if (p.region.empty()) p.region = d->region;
    }
  }
  p.district = geo.DistrictFor(p.local_authority, where);
  return b;
}

struct Row {
  int64_t line = 0;
  Built built;
};

}  // namespace

Result<ImportReport> ImportCqcDirectory(Store& store, const Geography& geo, std::string_view text,
                                        const CqcImportOptions& options) {
  ImportReport report;
  report.what = "CQC directory";
  BERTH_RETURN_IF_ERROR(CheckText(text).Context("CQC directory"));
  const size_t first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  const bool json = first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
  BERTH_ASSIGN_OR_RETURN(Parsed parsed, json ? ReadApiJson(text, report) : ReadCsv(text, report));
  report.format = parsed.format;
  if (!parsed.has_service_types) {
    report.notes.push_back("no service type column: every row is taken as a care home");
  }
  const std::string want_la = AsciiLower(Trim(options.local_authority));
  const std::string want_region = AsciiLower(Trim(options.region));
  std::map<std::string, int64_t> seen;  // location id -> line
  std::vector<Row> rows;
  for (const CqcRecord& r : parsed.records) {
    const std::string& id = r.v[kLocationId];
    if (!IsCqcId(id)) {
      report.Add(
          {r.line, "", RowOutcome::kRejected,
           id.empty() ? "no CQC location id" : "'" + Clip(id, 24) + "' is not a CQC location id (1-digits)"});
      continue;
    }
    if (auto it = seen.find(id); it != seen.end()) {
      report.Add({r.line, id, RowOutcome::kRejected,
                  fmt::format("duplicate CQC location id {} (first on line {})", id, it->second)});
      continue;
    }
    seen[id] = r.line;
    if (r.v[kName].empty()) {
      report.Add({r.line, id, RowOutcome::kRejected, "no name"});
      continue;
    }
    Built b = ToProvider(r, geo, parsed.has_service_types);
    if (!want_la.empty() && AsciiLower(b.p.local_authority) != want_la) {
      report.Add({r.line, id, RowOutcome::kSkipped, "outside --la " + options.local_authority});
      continue;
    }
    if (!want_region.empty() && AsciiLower(b.p.region) != want_region) {
      report.Add({r.line, id, RowOutcome::kSkipped, "outside --region " + options.region});
      continue;
    }
    if (!b.skip.empty()) {
      report.Add({r.line, id, RowOutcome::kSkipped, b.skip, b.warnings});
      continue;
    }
    rows.push_back({r.line, std::move(b)});
  }
  if (report.rejected > 0) return Refuse(report);

  // Everything parsed: write in one transaction, keeping fields Berth manages (trusted assessor, contacts)
  // and, when this file lacks them, the bed count, rating and exact position of an earlier one.
  Status written = WriteAll(store, options.write_path, [&]() -> Status {
    for (auto& row : rows) {
      Provider p = row.built.p;
      auto old = LoadProvider(store.db(), p.id);
      if (old.ok()) {
        p.trusted_assessor = old->trusted_assessor;
        p.contact_name = old->contact_name;
        p.contact_email = old->contact_email;
        if (!row.built.has_beds) p.registered_beds = old->registered_beds;
        if (!row.built.has_rating) p.rating = old->rating;
        if (p.position != PositionSource::kExact && old->position == PositionSource::kExact &&
            old->postcode == p.postcode) {
          p.latitude = old->latitude;
          p.longitude = old->longitude;
          p.position = PositionSource::kExact;
        }
      } else if (old.status().code() != Code::kNotFound) {
        return old.status();
      }
      const bool home = p.kind == ProviderKind::kCareHome;
      BERTH_RETURN_IF_ERROR(Outcome(report, row.line,
                                    fmt::format("{} {} ({}, {})", p.cqc_location_id, p.name,
                                                home ? "care home" : "homecare agency", p.local_authority),
                                    SaveChanges(store, p), row.built.warnings));
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

}  // namespace berth::core

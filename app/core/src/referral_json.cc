// The referral JSON importer (referral_json.h): reads the hospital's discharge JSON with the line of every
// object and key, so each refused field is reported where it is in the file.

#include "berth/core/referral_json.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <set>

#include "berth/core/csv.h"
#include "berth/core/importers.h"
#include "berth/core/nhs_number.h"
#include "berth/core/referrals.h"
#include "berth/core/workflow.h"
#include "berth/schema/repository.h"

namespace berth::core {

namespace {

using nlohmann::json;

// Finds the line of each object at a given nesting depth and of each key inside it, by scanning the raw
// text (nlohmann::json keeps no positions). Depth counts both objects and arrays.
struct KeyLines {
  struct Object {
    int64_t line = 0;
    std::map<std::string, int64_t> keys;
  };
  std::vector<Object> objects;

  static KeyLines Scan(std::string_view text, int depth_wanted) {
    KeyLines out;
    int depth = 0;
    int64_t line = 1;
    for (size_t i = 0; i < text.size(); ++i) {
      const char c = text[i];
      if (c == '\n') ++line;
      if (c == '{' || c == '[') {
        ++depth;
        if (c == '{' && depth == depth_wanted) out.objects.push_back({line, {}});
      } else if (c == '}' || c == ']') {
        --depth;
      } else if (c == '"') {
        std::string s;
        size_t j = i + 1;
        for (; j < text.size() && text[j] != '"'; ++j) {
          if (text[j] == '\\')
            ++j;
          else
            s += text[j];
        }
        size_t k = j + 1;
        while (k < text.size() && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r' || text[k] == '\n'))
          ++k;
        const bool is_key = k < text.size() && text[k] == ':';
        if (is_key && depth == depth_wanted && !out.objects.empty()) out.objects.back().keys.emplace(s, line);
        for (size_t n = i; n < j && n < text.size(); ++n) {
          if (text[n] == '\n') ++line;
        }
        i = j;
      }
    }
    return out;
  }
};

const std::set<std::string>& KnownKeys() {
  static const std::set<std::string> keys = {"id",
                                             "nhs_number",
                                             "name",
                                             "date_of_birth",
                                             "gender",
                                             "location",
                                             "hospital",
                                             "postcode",
                                             "district",
                                             "preferred_postcode",
                                             "max_distance_km",
                                             "pathway",
                                             "category",
                                             "needs",
                                             "homecare",
                                             "infection_status",
                                             "funding",
                                             "weekly_budget",
                                             "discharge_ready_date",
                                             "priority",
                                             "status",
                                             "assigned_broker",
                                             "notes",
                                             "created_date",
                                             "delay_reason"};
  return keys;
}

const std::set<std::string>& PersonalKeys() {
  static const std::set<std::string> keys = {"nhs_number", "name", "date_of_birth", "notes"};
  return keys;
}

class Checker {
 public:
  Checker(const json& obj, const KeyLines::Object* lines, int64_t object_line, int index)
      : obj_(obj), lines_(lines), object_line_(object_line), index_(index) {}

  void Fail(const std::string& key, const std::string& problem) {
    int64_t line = object_line_;
    if (lines_ != nullptr) {
      auto it = lines_->keys.find(key);
      if (it != lines_->keys.end()) line = it->second;
    }
    errors.push_back(fmt::format("line {}: referral {}: \"{}\": {}", line, index_, key, problem));
    failed.insert(key);
  }
  bool Has(const char* key) const { return obj_.contains(key) && !obj_.at(key).is_null(); }

  std::string String(const char* key, bool required) {
    if (!Has(key)) {
      if (required) Fail(key, "is required");
      return "";
    }
    const json& v = obj_.at(key);
    if (!v.is_string()) {
      Fail(key, "must be a string");
      return "";
    }
    return Trim(v.get<std::string>());
  }
  template <class E>
  std::optional<E> Code(const char* key, bool required) {
    const std::string s = String(key, required);
    if (s.empty()) return std::nullopt;
    auto v = FromString<E>(s);
    if (!v.ok()) {
      Fail(key, v.status().message());
      return std::nullopt;
    }
    return *v;
  }
  std::string Date(const char* key, bool required) {
    const std::string s = String(key, required);
    if (s.empty()) return s;
    if (!IsIsoDate(s)) {
      Fail(key, PersonalKeys().count(key) ? "is not a date (YYYY-MM-DD)"
                                          : "'" + s.substr(0, 20) + "' is not a date (YYYY-MM-DD)");
      return "";
    }
    return s;
  }
  std::optional<double> Number(const char* key, double min, double max) {
    if (!Has(key)) return std::nullopt;
    const json& v = obj_.at(key);
    if (!v.is_number()) {
      Fail(key, "must be a number");
      return std::nullopt;
    }
    const double d = v.get<double>();
    if (!std::isfinite(d) || d < min || d > max) {
      Fail(key, fmt::format("must be between {} and {}", min, max));
      return std::nullopt;
    }
    return d;
  }
  std::vector<std::string> errors;
  std::set<std::string> failed;  // keys already reported

 private:
  const json& obj_;
  const KeyLines::Object* lines_;
  int64_t object_line_;
  int index_;
};

// Every key of a referral is one Berth knows.
void CheckKeys(const json& obj, Checker& c) {
  for (const auto& [key, value] : obj.items()) {
    if (!KnownKeys().count(key)) {
      std::string known;
      for (const auto& k : KnownKeys()) known += (known.empty() ? "" : ", ") + k;
      c.Fail(key.substr(0, 40), "unknown key (the keys are: " + known + ")");
    }
  }
}

// Who the person is: the referral's own id, NHS number, name, date of birth, gender, pathway and category.
void ParseIdentity(Checker& c, Referral& r) {
  r.id = c.String("id", false);
  if (!r.id.empty()) {
    bool ok = r.id.size() <= 64;
    for (char ch : r.id) ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_');
    if (!ok) c.Fail("id", "must be up to 64 letters, digits, '-' or '_'");
  }
  const std::string nhs = c.String("nhs_number", true);
  if (!nhs.empty()) {
    auto parsed = ParseNhsNumber(nhs);
    if (parsed.ok()) {
      r.nhs_number = *parsed;
    } else {
      c.Fail("nhs_number", "is not a valid NHS number (10 digits with a modulus-11 check digit)");
    }
  }
  r.name = c.String("name", true);
  r.date_of_birth = c.Date("date_of_birth", true);
  r.gender = c.Code<Gender>("gender", false).value_or(Gender::kUnknown);
  r.pathway = c.Code<Pathway>("pathway", true).value_or(Pathway::kP3);
  r.category = c.Code<BedCategory>("category", false);
}

// "needs": an array of need codes, kept sorted without repeats.
void ParseNeeds(const json& needs, Checker& c, Referral& r) {
  if (!needs.is_array()) {
    c.Fail("needs", "must be an array of codes");
    return;
  }
  for (const auto& n : needs) {
    if (!n.is_string()) {
      c.Fail("needs", "must be an array of codes");
      break;
    }
    auto v = FromString<Need>(n.get<std::string>());
    if (!v.ok()) {
      c.Fail("needs", v.status().message());
    } else if (!Contains(r.needs, *v)) {
      r.needs.push_back(*v);
    }
  }
  std::sort(r.needs.begin(), r.needs.end());
}

// "homecare": calls a day, minutes a call, time bands, double-up and the carer's gender.
void ParseHomecare(const json& h, Checker& c, Referral& r) {
  if (!h.is_object()) {
    c.Fail("homecare", "must be an object");
    return;
  }
  static const std::set<std::string> kHomecareKeys = {"calls_per_day", "minutes_per_call", "bands",
                                                      "double_up", "carer_gender"};
  for (const auto& [key, value] : h.items()) {
    if (!kHomecareKeys.count(key)) {
      c.Fail("homecare",
             "unknown key '" + key.substr(0, 30) +
                 "' (the keys are: bands, calls_per_day, carer_gender, double_up, minutes_per_call)");
    }
  }
  Checker hc(h, nullptr, 0, 0);
  auto calls = hc.Number("calls_per_day", 1, 8);
  auto minutes = hc.Number("minutes_per_call", 15, 240);
  if (!calls || std::floor(*calls) != *calls)
    c.Fail("homecare", "calls_per_day must be a whole number from 1 to 8");
  if (!minutes || std::floor(*minutes) != *minutes) {
    c.Fail("homecare", "minutes_per_call must be a whole number from 15 to 240");
  }
  r.homecare.calls_per_day = calls ? static_cast<int64_t>(*calls) : 0;
  r.homecare.minutes_per_call = minutes ? static_cast<int64_t>(*minutes) : 0;
  if (h.contains("bands")) {
    if (!h.at("bands").is_array()) {
      c.Fail("homecare", "bands must be an array of morning, lunch, tea, bed, night");
    } else {
      for (const auto& b : h.at("bands")) {
        auto v = b.is_string() ? FromString<TimeBand>(b.get<std::string>())
                               : Result<TimeBand>(BadInput("bands must be strings"));
        if (!v.ok()) {
          c.Fail("homecare", v.status().message());
        } else if (!Contains(r.homecare.bands, *v)) {
          r.homecare.bands.push_back(*v);
        }
      }
      std::sort(r.homecare.bands.begin(), r.homecare.bands.end());
    }
  }
  if (h.contains("double_up")) {
    if (!h.at("double_up").is_boolean()) {
      c.Fail("homecare", "double_up must be true or false");
    } else {
      r.homecare.double_up = h.at("double_up").get<bool>();
    }
  }
  if (h.contains("carer_gender")) {
    const json& g = h.at("carer_gender");
    std::string s = g.is_string() ? g.get<std::string>() : "?";
    if (s == "any") s = "";
    auto v = FromString<SexPreference>(s);
    if (!v.ok()) {
      c.Fail("homecare", "carer_gender must be \"female\", \"male\" or \"any\"");
    } else {
      r.homecare.carer_gender = *v;
    }
  }
  for (const auto& e : hc.errors) c.Fail("homecare", e.substr(e.find("\": ") + 3));
}

// Where the person is now: a hospital site (by code or name, or found from the postcode) or home.
void ParseLocation(Checker& c, const Geography& geo, Referral& r) {
  const std::string hospital = c.String("hospital", false);
  const std::string location = c.String("location", false);
  if (!location.empty() && location != "hospital" && location != "community") {
    c.Fail("location", "must be \"hospital\" or \"community\"");
  }
  const std::string postcode = c.String("postcode", false);
  if (!postcode.empty()) {
    r.postcode = NormalisePostcode(postcode);
    if (r.postcode.empty()) c.Fail("postcode", "'" + postcode.substr(0, 12) + "' is not a postcode");
  }
  const Hospital* site = nullptr;
  if (!hospital.empty()) {
    site = geo.FindHospital(hospital);
    if (site == nullptr)
      c.Fail("hospital", "no hospital site '" + hospital.substr(0, 40) + "' (use its ODS code or name)");
  } else if (location != "community" && !r.postcode.empty()) {
    site = geo.HospitalAt(r.postcode);
  }
  if (location == "hospital" && site == nullptr && hospital.empty()) {
    c.Fail("location", "is hospital but no hospital site matches (give \"hospital\": an ODS code or name)");
  }
  if (site != nullptr && location != "community") {
    r.location_kind = LocationKind::kHospital;
    r.hospital_code = site->code;
    if (r.postcode.empty()) r.postcode = site->postcode;
  } else {
    r.location_kind = LocationKind::kCommunity;
  }
}

// The rest: the sync area, preferences, funding and budget, dates, priority, status and notes.
void ParseCare(Checker& c, const std::string& today, Referral& r) {
  // Where the person is, the referral's sync area: optional, SaveReferrals works it out from the hospital
  // site or postcode and checks a given one (ReferralProblems).
  r.district = c.String("district", false);
  const std::string preferred = c.String("preferred_postcode", false);
  if (!preferred.empty()) {
    r.preferred_postcode = NormalisePostcode(preferred);
    if (r.preferred_postcode.empty())
      c.Fail("preferred_postcode", "'" + preferred.substr(0, 12) + "' is not a postcode");
  }
  r.max_distance_km = c.Number("max_distance_km", 0, 1000).value_or(0);
  r.infection_status = c.Code<InfectionStatus>("infection_status", false).value_or(InfectionStatus::kUnknown);
  r.funding = c.Code<Funding>("funding", false).value_or(Funding::kLa);
  if (auto budget = c.Number("weekly_budget", 0, 100000)) r.weekly_budget_pence = std::llround(*budget * 100);
  r.discharge_ready_date = c.Date("discharge_ready_date", true);
  r.priority = c.Code<Priority>("priority", false).value_or(Priority::kRoutine);
  r.status = c.Code<ReferralStatus>("status", false).value_or(ReferralStatus::kNew);
  r.assigned_broker = c.String("assigned_broker", false);
  r.notes = c.String("notes", false);
  r.created_date = c.Date("created_date", false);
  if (r.created_date.empty()) r.created_date = today;
  r.delay_reason = c.Code<DelayReason>("delay_reason", false).value_or(DelayReason::kNone);
}

Referral ParseOne(const json& obj, Checker& c, const Geography& geo, const std::string& today) {
  Referral r;
  CheckKeys(obj, c);
  ParseIdentity(c, r);
  if (c.Has("needs")) ParseNeeds(obj.at("needs"), c, r);
  if (c.Has("homecare")) ParseHomecare(obj.at("homecare"), c, r);
  ParseLocation(c, geo, r);
  ParseCare(c, today, r);
  // What makes a referral valid is decided once, in core (referrals.h): the checks the window's form and
  // every other writer make. Keys whose value could not even be read are reported once, above.
  for (const FieldProblem& p : ReferralProblems(r, &geo, today)) {
    if (!c.failed.count(p.field)) c.Fail(p.field, p.message);
  }
  return r;
}

}  // namespace

Result<std::vector<ParsedReferral>> ParseReferralJson(std::string_view text, const Geography& geo,
                                                      const std::string& today) {
  BERTH_RETURN_IF_ERROR(CheckText(text).Context("referral JSON"));
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    int64_t line = 1;
    const size_t upto = std::min(text.size(), static_cast<size_t>(e.byte > 0 ? e.byte - 1 : 0));
    for (size_t i = 0; i < upto; ++i) line += text[i] == '\n' ? 1 : 0;
    std::string what = e.what();
    // nlohmann's message quotes the offending token, which may be personal data: keep only its kind.
    const size_t from = what.find("syntax error");
    std::string kind = from == std::string::npos ? "parse error" : what.substr(from);
    kind = kind.substr(0, kind.find("; last read"));
    return BadInput(fmt::format("referral JSON: line {}: not valid JSON ({})", line, kind.substr(0, 80)));
  }
  const json* list = &doc;
  int depth = 2;
  json single = json::array();
  if (doc.is_object() && doc.contains("referrals")) {
    if (doc.size() != 1)
      return BadInput("referral JSON: line 1: {\"referrals\": [...]} must have no other keys");
    list = &doc.at("referrals");
    depth = 3;
  } else if (doc.is_object()) {
    single.push_back(doc);
    list = &single;
    depth = 1;
  }
  if (!list->is_array())
    return BadInput("referral JSON: line 1: expected a referral object or an array of them");
  const KeyLines lines = KeyLines::Scan(text, depth);
  std::vector<ParsedReferral> out;
  std::vector<std::string> errors;
  int index = 0;
  for (const auto& obj : *list) {
    ++index;
    const KeyLines::Object* where =
        static_cast<size_t>(index - 1) < lines.objects.size() ? &lines.objects[index - 1] : nullptr;
    const int64_t line = where != nullptr ? where->line : 1;
    if (!obj.is_object()) {
      errors.push_back(fmt::format("line {}: referral {}: must be a JSON object", line, index));
      continue;
    }
    Checker c(obj, where, line, index);
    Referral r = ParseOne(obj, c, geo, today);
    for (auto& e : c.errors) errors.push_back(std::move(e));
    out.push_back({line, std::move(r)});
  }
  if (out.empty() && errors.empty()) return BadInput("referral JSON: there are no referrals in the input");
  if (!errors.empty()) {
    std::string msg = fmt::format("referral JSON: {} problem{}; nothing was added", errors.size(),
                                  errors.size() == 1 ? "" : "s");
    for (const auto& e : errors) msg += "\n  " + e;
    return BadInput(msg);
  }
  return out;
}

nlohmann::json ReferralToJson(const Referral& r) {
  json j;
  j["id"] = r.id;
  j["nhs_number"] = r.nhs_number;
  j["name"] = r.name;
  j["date_of_birth"] = r.date_of_birth;
  j["gender"] = r.gender == Gender::kUnknown ? "" : std::string(ToString(r.gender));
  j["location"] = std::string(ToString(r.location_kind));
  j["hospital"] = r.hospital_code;
  j["postcode"] = r.postcode;
  j["district"] = r.district;
  j["preferred_postcode"] = r.preferred_postcode;
  j["max_distance_km"] = r.max_distance_km;
  j["pathway"] = std::string(ToString(r.pathway));
  j["category"] = r.category ? std::string(ToString(*r.category)) : "";
  j["needs"] = json::array();
  for (Need n : r.needs) j["needs"].push_back(std::string(ToString(n)));
  if (!r.homecare.empty()) {
    json h;
    h["calls_per_day"] = r.homecare.calls_per_day;
    h["minutes_per_call"] = r.homecare.minutes_per_call;
    h["bands"] = json::array();
    for (TimeBand b : r.homecare.bands) h["bands"].push_back(std::string(ToString(b)));
    h["double_up"] = r.homecare.double_up;
    h["carer_gender"] = r.homecare.carer_gender == SexPreference::kAny
                            ? "any"
                            : std::string(ToString(r.homecare.carer_gender));
    j["homecare"] = h;
  }
  j["infection_status"] = std::string(ToString(r.infection_status));
  j["funding"] = std::string(ToString(r.funding));
  j["weekly_budget"] = static_cast<double>(r.weekly_budget_pence) / 100.0;
  j["discharge_ready_date"] = r.discharge_ready_date;
  j["priority"] = std::string(ToString(r.priority));
  j["status"] = std::string(ToString(r.status));
  j["assigned_broker"] = r.assigned_broker;
  j["notes"] = r.notes;
  j["created_date"] = r.created_date;
  j["cancel_reason"] = std::string(ToString(r.cancel_reason));
  j["delay_reason"] = std::string(ToString(r.delay_reason));
  return j;
}

nlohmann::json ReferralSummaryJson(const Referral& r, const std::string& today) {
  json j;
  j["id"] = r.id;
  j["name"] = r.name;
  j["pathway"] = std::string(ToString(r.pathway));
  j["category"] = r.category ? std::string(ToString(*r.category)) : "";
  j["status"] = std::string(ToString(r.status));
  j["discharge_ready_date"] = r.discharge_ready_date;
  j["days_past_discharge_ready"] =
      IsIsoDate(r.discharge_ready_date) && IsIsoDate(today)
          ? std::max<int64_t>(0, DaysFromIsoDate(today) - DaysFromIsoDate(r.discharge_ready_date))
          : 0;
  j["priority"] = std::string(ToString(r.priority));
  return j;
}

Result<ImportReport> ImportReferrals(Store& store, const Geography& geo, std::string_view text,
                                     const std::string& today, std::vector<std::string>* ids) {
  BERTH_ASSIGN_OR_RETURN(std::vector<ParsedReferral> parsed, ParseReferralJson(text, geo, today));
  ImportReport report;
  report.what = "referrals";
  // Duplicates: within the input (same id or NHS number), or an id already in the store, or an NHS
  // number that already has an open referral.
  BERTH_ASSIGN_OR_RETURN(std::vector<Referral> existing, LoadReferrals(store.db()));
  std::map<std::string, const Referral*> open_by_nhs;
  std::set<std::string> existing_ids;
  for (const auto& r : existing) {
    existing_ids.insert(r.id);
    if (r.status != ReferralStatus::kPlaced && r.status != ReferralStatus::kCancelled)
      open_by_nhs[r.nhs_number] = &r;
  }
  std::map<std::string, int64_t> ids_in_file, nhs_in_file;
  int index = 0;
  for (auto& p : parsed) {
    ++index;
    ++report.rows;
    Referral& r = p.referral;
    std::string why;
    if (!r.id.empty() && existing_ids.count(r.id))
      why = "duplicate id: a referral with id " + r.id + " already exists";
    if (!r.id.empty() && ids_in_file.count(r.id)) {
      why = fmt::format("duplicate id {} (also on line {})", r.id, ids_in_file[r.id]);
    }
    if (auto it = nhs_in_file.find(r.nhs_number); it != nhs_in_file.end()) {
      why = fmt::format("the same NHS number as the referral on line {}", it->second);
    } else if (auto open = open_by_nhs.find(r.nhs_number); open != open_by_nhs.end()) {
      why = "this NHS number already has an open referral (id " + open->second->id + ")";
    }
    if (!r.id.empty()) ids_in_file[r.id] = p.line;
    nhs_in_file[r.nhs_number] = p.line;
    if (r.id.empty()) r.id = NewUuidV7(&store.env());
    report.Add({p.line, r.id, why.empty() ? RowOutcome::kCreated : RowOutcome::kRejected,
                why.empty() ? "" : fmt::format("referral {}: {}", index, why)});
  }
  if (report.rejected > 0) {
    std::string msg = fmt::format("referral JSON: {} duplicate{}; nothing was added", report.rejected,
                                  report.rejected == 1 ? "" : "s");
    for (const auto& l : report.lines) {
      if (l.outcome == RowOutcome::kRejected) msg += fmt::format("\n  line {}: {}", l.line, l.reason);
    }
    return BadInput(msg);
  }
  // Written through the workflow's referral API, all or nothing: the same checks as every other writer.
  std::vector<Referral> referrals;
  referrals.reserve(parsed.size());
  for (auto& p : parsed) referrals.push_back(std::move(p.referral));
  WorkflowTime t;
  t.today = today;
  t.now_iso = today + "T00:00:00Z";
  BERTH_ASSIGN_OR_RETURN(std::vector<std::string> saved, SaveReferrals(store, &geo, std::move(referrals), t));
  if (ids != nullptr) *ids = std::move(saved);
  return report;
}

}  // namespace berth::core

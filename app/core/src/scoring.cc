// The scoring settings a council may tune (scoring.h): each weight's key, meaning and range, read and
// written through the store's settings.

#include "berth/core/scoring.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <functional>

#include "berth/schema/settings.h"

namespace berth::core {
namespace {

struct Entry {
  std::string name;
  std::string key;
  std::string meaning;
  std::function<double(const MatchSettings&)> get;
  std::function<void(MatchSettings&, double)> set;
};

const std::vector<Entry>& Entries() {
  static const std::vector<Entry> entries = [] {
    std::vector<Entry> e;
    auto weight = [&e](const char* name, double MatchSettings::*member, const char* meaning) {
      e.push_back({name, std::string("match.weight.") + name, meaning,
                   [member](const MatchSettings& s) { return s.*member; },
                   [member](MatchSettings& s, double v) { s.*member = v; }});
    };
    weight("void", &MatchSettings::w_void, "points for filling a void (paid-for block capacity)");
    weight("delay", &MatchSettings::w_delay, "points per day past the discharge-ready date");
    weight("distance", &MatchSettings::w_distance, "points lost per km from the preferred place");
    weight("cost", &MatchSettings::w_cost, "points lost per 1% above the usual rate");
    weight("cqc", &MatchSettings::w_cqc, "points for an Outstanding CQC rating");
    weight("continuity", &MatchSettings::w_continuity, "points for a provider who cared for the person");
    weight("over_budget", &MatchSettings::w_over_budget,
           "points lost per 1% the weekly cost is over what the funding allows");
    auto plain = [&e](const char* name, double MatchSettings::*member, const char* meaning) {
      e.push_back({name, std::string("match.") + name, meaning,
                   [member](const MatchSettings& s) { return s.*member; },
                   [member](MatchSettings& s, double v) { s.*member = v; }});
    };
    plain("void_cap_days", &MatchSettings::void_cap_days, "void age (days) beyond which it earns no more");
    plain("hold_hours", &MatchSettings::hold_hours, "how long a bed hold lasts (hours)");
    plain("offer_response_hours", &MatchSettings::offer_response_hours, "response window, routine offers");
    plain("urgent_offer_response_hours", &MatchSettings::urgent_offer_response_hours,
          "response window, urgent and hand-back offers");
    plain("search_radius_km", &MatchSettings::search_radius_km, "search radius when no distance limit");
    plain("unknown_distance_km", &MatchSettings::unknown_distance_km, "distance assumed when unplaceable");
    plain("budget_hard_limit", &MatchSettings::budget_hard_limit,
          "0: an option over budget is ranked with a penalty and flagged; 1: it is excluded");
    e.push_back({"fnc_weekly_pence", "match.fnc_weekly_pence", "NHS Funded Nursing Care per week (pence)",
                 [](const MatchSettings& s) { return static_cast<double>(s.fnc_weekly_pence); },
                 [](MatchSettings& s, double v) { s.fnc_weekly_pence = std::llround(v); }});
    e.push_back({"usual_rate.homecare_hourly", "match.usual_rate.homecare_hourly",
                 "the council's usual homecare rate per hour (pence)",
                 [](const MatchSettings& s) { return static_cast<double>(s.usual_homecare_hourly_pence); },
                 [](MatchSettings& s, double v) { s.usual_homecare_hourly_pence = std::llround(v); }});
    for (size_t i = 0; i < EnumCount<BedCategory>(); ++i) {
      const std::string code(EnumTraits<BedCategory>::kCodes[i]);
      e.push_back({"usual_rate." + code, "match.usual_rate." + code,
                   "the council's usual weekly rate for a " + code + " bed (pence)",
                   [i](const MatchSettings& s) { return static_cast<double>(s.usual_weekly_pence[i]); },
                   [i](MatchSettings& s, double v) { s.usual_weekly_pence[i] = std::llround(v); }});
    }
    return e;
  }();
  return entries;
}

Result<double> ParseNumber(std::string_view what, std::string_view text) {
  const std::string s(text);
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v < 0) {
    return BadInput(fmt::format("{} must be a number >= 0 (got '{}')", what, s.substr(0, 40)));
  }
  return v;
}

}  // namespace

Result<MatchSettings> LoadMatchSettings(Store& store) {
  MatchSettings s;
  for (const Entry& e : Entries()) {
    BERTH_ASSIGN_OR_RETURN(std::optional<std::string> stored, store.GetSetting(e.key));
    if (!stored) continue;
    BERTH_ASSIGN_OR_RETURN(double v, ParseNumber("setting " + e.key, *stored));
    // Stored before the settings schema existed, or edited outside Berth: refused, naming the key.
    BERTH_RETURN_IF_ERROR(ValidateSetting(e.key, *stored));
    e.set(s, v);
  }
  return s;
}

std::vector<SettingInfo> DescribeSettings(const MatchSettings& s) {
  const MatchSettings defaults;
  std::vector<SettingInfo> out;
  for (const Entry& e : Entries()) out.push_back({e.name, e.key, e.get(s), e.get(defaults), e.meaning});
  return out;
}

Status SetMatchSetting(Store& store, std::string_view name, std::string_view value) {
  for (const Entry& e : Entries()) {
    if (e.name != name && e.key != name) continue;
    BERTH_ASSIGN_OR_RETURN(double v, ParseNumber(e.name, value));
    return store.SetSetting(e.key, fmt::format("{}", v));
  }
  std::string names;
  for (const Entry& e : Entries()) names += (names.empty() ? "" : ", ") + e.name;
  return BadInput(fmt::format("unknown matching setting '{}' (expected one of: {})",
                              std::string(name.substr(0, 40)), names));
}

}  // namespace berth::core

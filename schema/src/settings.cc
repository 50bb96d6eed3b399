// The settings schema (settings.h): every setting's key, type, range and meaning, checked on each write.

#include "berth/schema/settings.h"

#include <cmath>
#include <cstdlib>

#include "berth/schema/model.h"
#include "berth/schema/store.h"

namespace berth {

namespace {

SettingSpec Number(std::string key, double min, double max, std::string default_value, std::string meaning) {
  SettingSpec s;
  s.key = std::move(key);
  s.type = SettingType::kNumber;
  s.min = min;
  s.max = max;
  s.default_value = std::move(default_value);
  s.meaning = std::move(meaning);
  return s;
}

SettingSpec Integer(std::string key, double min, double max, std::string default_value, std::string meaning) {
  SettingSpec s = Number(std::move(key), min, max, std::move(default_value), std::move(meaning));
  s.type = SettingType::kInteger;
  return s;
}

std::string Range(const SettingSpec& s) {
  auto text = [](double v) {
    std::string t = std::to_string(v);
    while (t.find('.') != std::string::npos && (t.back() == '0' || t.back() == '.')) t.pop_back();
    return t;
  };
  if (s.type == SettingType::kChoice) {
    std::string out;
    for (const auto& c : s.choices) out += (out.empty() ? "" : " or ") + c;
    return out;
  }
  return (s.type == SettingType::kInteger ? "a whole number from " : "a number from ") + text(s.min) +
         " to " + text(s.max);
}

}  // namespace

const std::vector<SettingSpec>& SettingSchema() {
  static const std::vector<SettingSpec> schema = [] {
    std::vector<SettingSpec> v;
    SettingSpec theme;
    theme.key = "ui.theme";
    theme.type = SettingType::kChoice;
    theme.choices = {"light", "dark", "high_contrast"};
    theme.default_value = "light";
    theme.editor = SettingEditor::kUser;
    theme.syncs = false;
    theme.meaning = "the window's colours (a preference of the person at this device)";
    v.push_back(theme);
    SettingSpec font =
        Number("ui.font_scale", 0.5, 3, "1", "text size relative to the default (a preference)");
    font.editor = SettingEditor::kUser;
    font.syncs = false;
    v.push_back(font);
    SettingSpec motion;
    motion.key = "ui.reduced_motion";
    motion.type = SettingType::kChoice;
    motion.choices = {"off", "on"};
    motion.default_value = "off";
    motion.editor = SettingEditor::kUser;
    motion.syncs = false;
    motion.meaning =
        "no blinking text cursor or animated progress (a preference of the person at this device)";
    v.push_back(motion);
    SettingSpec lock = Integer("ui.auto_lock_minutes", 1, 240, "10",
                               "minutes idle before the window locks and wipes its keys (council-wide)");
    lock.security = true;
    v.push_back(lock);
    v.push_back(
        Integer("sync.interval_minutes", 1, 240, "5",
                "minutes between the window's background syncs while the hub answers (council-wide)"));
    // The matcher's weights and limits (app/core/MATCHING.md); defaults equal core::MatchSettings{}.
    v.push_back(Number("match.weight.void", 0, 1000, "20", "points for filling a void"));
    v.push_back(Number("match.weight.delay", 0, 1000, "1", "points per day past the discharge-ready date"));
    v.push_back(
        Number("match.weight.distance", 0, 1000, "0.5", "points lost per km from the preferred place"));
    v.push_back(Number("match.weight.cost", 0, 1000, "0.3", "points lost per 1% above the usual rate"));
    v.push_back(Number("match.weight.cqc", 0, 1000, "10", "points for an Outstanding CQC rating"));
    v.push_back(
        Number("match.weight.continuity", 0, 1000, "15", "points for a provider who cared for the person"));
    v.push_back(Number("match.weight.over_budget", 0, 1000, "2",
                       "points lost per 1% the weekly cost is over what the funding allows"));
    v.push_back(
        Number("match.void_cap_days", 0, 3650, "90", "void age (days) beyond which it earns no more"));
    SettingSpec hold = Number("match.hold_hours", 1, 168, "4", "how long a bed hold lasts (hours)");
    hold.security = true;  // a longer hold keeps a bed from everyone else
    v.push_back(hold);
    v.push_back(
        Number("match.offer_response_hours", 1, 720, "48", "response window, routine offers (hours)"));
    v.push_back(Number("match.urgent_offer_response_hours", 1, 720, "24",
                       "response window, urgent and hand-back offers (hours)"));
    v.push_back(
        Number("match.search_radius_km", 1, 1000, "100", "search radius when no distance limit (km)"));
    v.push_back(Number("match.unknown_distance_km", 0, 1000, "30", "distance assumed when unplaceable (km)"));
    v.push_back(Integer("match.budget_hard_limit", 0, 1, "0",
                        "0: an option over budget is ranked with a penalty and flagged; 1: it is excluded"));
    v.push_back(
        Integer("match.fnc_weekly_pence", 0, 1e7, "23588", "NHS Funded Nursing Care per week (pence)"));
    v.push_back(Integer("match.usual_rate.homecare_hourly", 0, 1e5, "1950",
                        "the council's usual homecare rate per hour (pence)"));
    static constexpr const char* kUsualWeekly[] = {"70000", "78000",  "85000", "95000", "150000",
                                                   "90000", "120000", "80000", "85000"};
    static_assert(std::size(kUsualWeekly) == EnumCount<BedCategory>());
    for (size_t i = 0; i < EnumCount<BedCategory>(); ++i) {
      const std::string code(EnumTraits<BedCategory>::kCodes[i]);
      v.push_back(Integer("match.usual_rate." + code, 0, 1e7, kUsualWeekly[i],
                          "the council's usual weekly rate for a " + code + " bed (pence)"));
    }
    return v;
  }();
  return schema;
}

const SettingSpec* FindSetting(std::string_view key) {
  for (const auto& s : SettingSchema()) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

Status ValidateSetting(std::string_view key, std::string_view value) {
  const SettingSpec* spec = FindSetting(key);
  const std::string shown_key(key.substr(0, 60));
  if (spec == nullptr) return BadInput("'" + shown_key + "' is not a Berth setting");
  const std::string text(value);
  const std::string shown = "'" + text.substr(0, 24) + (text.size() > 24 ? "...'" : "'");
  if (spec->type == SettingType::kChoice) {
    for (const auto& c : spec->choices) {
      if (c == text) return Status::Ok();
    }
    return BadInput(spec->key + " must be " + Range(*spec) + " (got " + shown + ")");
  }
  char* end = nullptr;
  const double v = text.empty() ? 0 : std::strtod(text.c_str(), &end);
  const bool number = !text.empty() && end == text.c_str() + text.size() && std::isfinite(v) &&
                      text.find_first_of("xXpPnNiI") == std::string::npos;  // no hex, nan or inf spellings
  if (!number || v < spec->min || v > spec->max ||
      (spec->type == SettingType::kInteger && v != std::floor(v))) {
    return BadInput(spec->key + " must be " + Range(*spec) + " (got " + shown + ")");
  }
  return Status::Ok();
}

Result<std::string> SettingValue(Store& store, std::string_view key) {
  const SettingSpec* spec = FindSetting(key);
  if (spec == nullptr) return BadInput("'" + std::string(key.substr(0, 60)) + "' is not a Berth setting");
  BERTH_ASSIGN_OR_RETURN(std::optional<std::string> stored, store.GetSetting(std::string(key)));
  if (stored && ValidateSetting(key, *stored).ok()) return *stored;
  return spec->default_value;
}

}  // namespace berth

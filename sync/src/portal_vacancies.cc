// The provider portal's vacancies (portal.h): each bed's status, each zone and band's free homecare hours,
// edited one at a time or uploaded as a capacity return (CSV).
#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "berth/schema/model.h"
#include "hub_rules.h"
#include "portal.h"
#include "portal_pages.h"

namespace berth::sync::internal {

PortalAnswer Portal::Vacancies(const Signed& s, const std::string& flash) {
  auto beds = storage_.RowsWhere("bed", "provider_id", s.provider_ids);
  auto caps = storage_.RowsWhere("homecare_capacity", "provider_id", s.provider_ids);
  if (!beds.ok() || !caps.ok())
    return PortalRefused(503, "Try again", "The portal is busy. Try again in a minute.");
  std::vector<BedView> bv;
  for (const auto& b : *beds) {
    bv.push_back({Str(b, "id"), "", Str(b, "room"), CodeWords(Str(b, "category")), Str(b, "status"),
                  Str(b, "unavailable_reason")});
  }
  std::sort(bv.begin(), bv.end(), [](const BedView& a, const BedView& b) { return a.room < b.room; });
  std::vector<HoursView> hv;
  for (const auto& c : *caps) {
    double h = 0;
    if (auto it = c.find("hours_per_week"); it != c.end()) {
      if (auto* d = std::get_if<double>(&it->second)) h = *d;
      if (auto* i = std::get_if<int64_t>(&it->second)) h = static_cast<double>(*i);
    }
    hv.push_back({Str(c, "id"), "", Str(c, "zone"), Str(c, "band"), fmt::format("{:g}", h)});
  }
  return PortalHtml(200, VacanciesPage(s.session.csrf, s.location, bv, hv, flash));
}

namespace {
// The fields that mark a bed vacant or unavailable from the portal (a hold is its maker's: hub_rules.h).
std::map<std::string, Value> BedStatusFields(const std::string& status, const std::string& today) {
  std::map<std::string, Value> f = {{"status", status}, {"status_since", today}};
  f["unavailable_reason"] = std::string(status == "unavailable" ? "other" : "");
  return f;
}
}  // namespace

PortalAnswer Portal::SetBed(const PortalRequest& r, const Signed& s, const std::string& bed_id) {
  auto bed = OwnRow(s, "bed", bed_id);
  if (!bed) return PortalRefused(404, "Not found", "There is no such bed for you.");
  const std::string status = FormField(r, "status");
  if (status != "vacant" && status != "unavailable")
    return PortalRefused(400, "Not recorded", "Choose vacant or unavailable.");
  const std::string refused = PushAsProvider(s, "bed", *bed, BedStatusFields(status, TodayIsoDate(&env_)));
  Audit(s.account.account_id, refused.empty() ? "bed_" + status : "bed_refused", bed_id);
  PortalAnswer a = Vacancies(s, refused.empty() ? "Saved." : "Not saved: " + refused + ".");
  if (!refused.empty()) a.status = 409;
  return a;
}

PortalAnswer Portal::SetHours(const PortalRequest& r, const Signed& s, const std::string& capacity_id) {
  auto capacity = OwnRow(s, "homecare_capacity", capacity_id);
  if (!capacity) return PortalRefused(404, "Not found", "There are no such homecare hours for you.");
  double hours = -1;
  try {
    size_t used = 0;
    hours = std::stod(FormField(r, "hours"), &used);
    if (used != FormField(r, "hours").size()) hours = -1;
  } catch (const std::exception&) {
  }
  if (!(hours >= 0 && hours <= 1000))
    return PortalRefused(400, "Not recorded", "Give the hours as a number from 0 to 1000.");
  const std::string refused = PushAsProvider(s, "homecare_capacity", *capacity, {{"hours_per_week", hours}});
  Audit(s.account.account_id, refused.empty() ? "hours_set" : "hours_refused", capacity_id);
  PortalAnswer a = Vacancies(s, refused.empty() ? "Saved." : "Not saved: " + refused + ".");
  if (!refused.empty()) a.status = 409;
  return a;
}

// The capacity return as a CSV file: "type,id,value" lines, a bed by its id or room, a homecare row by its
// id or "ZONE/BAND". Every line is checked before any is pushed: a file with one bad line changes nothing.
PortalAnswer Portal::Upload(const PortalRequest& r, const Signed& s) {
  auto beds = storage_.RowsWhere("bed", "provider_id", s.provider_ids);
  auto caps = storage_.RowsWhere("homecare_capacity", "provider_id", s.provider_ids);
  if (!beds.ok() || !caps.ok())
    return PortalRefused(503, "Try again", "The portal is busy. Try again in a minute.");
  struct Change {
    std::string entity;
    const std::map<std::string, Value>* row;
    std::map<std::string, Value> fields;
  };
  std::vector<Change> changes;
  std::istringstream in(r.upload);
  std::string line;
  int n = 0;
  const std::string today = TodayIsoDate(&env_);
  auto bad = [&](const std::string& why) {
    PortalAnswer a = Vacancies(s, fmt::format("Nothing saved: line {} {}.", n, why));
    a.status = 400;
    return a;
  };
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (n == 1 && line == "type,id,value")) continue;
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string c; std::getline(ls, c, ',');) cells.push_back(c);
    if (cells.size() != 3) return bad("does not have three values (type,id,value)");
    if (cells[0] == "bed") {
      auto it = std::find_if(beds->begin(), beds->end(), [&](const auto& b) {
        return Str(b, "id") == cells[1] || Str(b, "room") == cells[1];
      });
      if (it == beds->end()) return bad("names no bed of yours");
      if (cells[2] != "vacant" && cells[2] != "unavailable")
        return bad("gives a bed status other than vacant or unavailable");
      changes.push_back({"bed", &*it, BedStatusFields(cells[2], today)});
    } else if (cells[0] == "homecare") {
      auto it =
          std::find_if(caps->begin(), caps->end(), [&](const auto& c) { return Str(c, "id") == cells[1]; });
      if (it == caps->end()) return bad("names no homecare hours of yours");
      double h = -1;
      try {
        h = std::stod(cells[2]);
      } catch (const std::exception&) {
      }
      if (!(h >= 0 && h <= 1000)) return bad("gives hours that are not a number from 0 to 1000");
      changes.push_back({"homecare_capacity", &*it, {{"hours_per_week", h}}});
    } else {
      return bad("is neither a bed nor a homecare line");
    }
  }
  int saved = 0;
  std::string refused;
  for (auto& c : changes) {
    const std::string why = PushAsProvider(s, c.entity, *c.row, std::move(c.fields));
    if (why.empty()) {
      ++saved;
    } else if (refused.empty()) {
      refused = why;
    }
  }
  Audit(s.account.account_id, "capacity_return",
        std::to_string(saved) + " of " + std::to_string(changes.size()));
  return Vacancies(s, fmt::format("Capacity return: {} of {} changes saved{}.", saved, changes.size(),
                                  refused.empty() ? "" : "; the hub refused the rest: " + refused));
}

}  // namespace berth::sync::internal

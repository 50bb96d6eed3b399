// The operational reports (reports.h): the queue, voids, utilisation and hand-backs, computed once here
// for the CLI and the window.

#include "berth/core/reports.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <unordered_map>

#include "berth/core/referrals.h"
#include "berth/schema/occupancy.h"
#include "berth/schema/repository.h"
#include "report_text.h"

namespace berth::core {

namespace {

using nlohmann::json;
using report_text::CsvLine;
using report_text::Pounds2;
using report_text::TextTable;
using report_text::Truncate;

}  // namespace

namespace {
// The whole pounds of |pence| with a comma every three digits: "1,234".
std::string GroupedPounds(int64_t pence) {
  std::string whole = std::to_string((pence < 0 ? -pence : pence) / 100);
  for (int i = static_cast<int>(whole.size()) - 3; i > 0; i -= 3) whole.insert(static_cast<size_t>(i), ",");
  return whole;
}
}  // namespace

std::string FormatPounds(int64_t pence) {
  return fmt::format("{}\xC2\xA3{}.{:02}", pence < 0 ? "-" : "", GroupedPounds(pence),
                     (pence < 0 ? -pence : pence) % 100);
}

std::string FormatWholePounds(int64_t pence) {
  return fmt::format("{}\xC2\xA3{}", pence < 0 ? "-" : "", GroupedPounds(pence));
}

std::string FormatPoundsPlain(int64_t pence) {
  return fmt::format("{}.{:02}", pence / 100, pence % 100);
}

int64_t VoidCostPence(int64_t weekly_rate_pence, int64_t days) {
  // Rounded half up to the penny: rate x days / 7.
  return (weekly_rate_pence * days * 2 + 7) / 14;
}

Result<QueueReport> BuildQueueReport(Db& db, const std::string& today) {
  if (!IsIsoDate(today)) return BadInput("'" + today + "' is not a date (YYYY-MM-DD)");
  BERTH_ASSIGN_OR_RETURN(std::vector<QueueEntry> queue, LoadQueue(db, today));
  QueueReport out;
  out.today = today;
  for (const QueueEntry& e : queue) {
    const Referral& r = e.referral;
    QueueRow q;
    q.referral_id = r.id;
    q.name = r.name;
    q.pathway = std::string(ToString(r.pathway));
    if (r.category) {
      q.category = std::string(ToString(*r.category));
    } else if (!r.homecare.empty()) {
      q.category =
          fmt::format("homecare {:g}h/wk{}", r.homecare.HoursPerWeek(), r.homecare.double_up ? " x2" : "");
    }
    q.status = std::string(ToString(r.status));
    q.priority = std::string(ToString(r.priority));
    q.discharge_ready_date = r.discharge_ready_date;
    q.care_ends = e.care_ends;
    q.needed_from = e.needed_from;
    q.delay_reason = std::string(ToString(r.delay_reason));
    q.days_past = std::max<int64_t>(0, e.days_past);
    q.location = r.location_kind == LocationKind::kHospital ? r.hospital_code : "community";
    out.total_delay_days += q.days_past;
    out.past_discharge_ready += q.days_past > 0 ? 1 : 0;
    out.rows.push_back(std::move(q));
  }
  return out;
}

Result<HandbacksReport> BuildHandbacksReport(Db& db, const std::string& from, const std::string& to) {
  if (!IsIsoDate(from) || !IsIsoDate(to)) return BadInput("the date range must be two dates (YYYY-MM-DD)");
  if (to < from) return BadInput("the range ends before it starts");
  BERTH_ASSIGN_OR_RETURN(std::vector<Handback> handbacks, LoadHandbacks(db));
  BERTH_ASSIGN_OR_RETURN(std::vector<Provider> providers, LoadProviders(db));
  std::unordered_map<std::string, const Provider*> by_id;
  for (const auto& p : providers) by_id[p.id] = &p;
  HandbacksReport out;
  out.from = from;
  out.to = to;
  std::map<std::string, HandbackTally> providers_seen, reasons;
  std::map<std::string, std::set<std::string>> people_of;  // tally key -> referrals
  std::set<std::string> people;
  int64_t notice_total = 0;
  for (const Handback& h : handbacks) {
    // A notice the provider withdrew handed nothing back.
    if (h.notice_date < from || h.notice_date > to || h.status == HandbackStatus::kWithdrawn) continue;
    HandbackRow row;
    row.handback_id = h.id;
    row.provider_id = h.provider_id;
    auto p = by_id.find(h.provider_id);
    row.provider = p != by_id.end() ? p->second->name : "(unknown provider)";
    row.referral_id = h.referral_id;
    auto placement = LoadPlacement(db, h.placement_id);
    const bool bed = placement.ok() ? placement->kind == PlacementKind::kCareHome : h.hours_per_week <= 0;
    row.kind = bed ? "bed" : "homecare";
    if (bed && placement.ok()) row.bed_id = placement->bed_id;
    row.hours_per_week = bed ? 0 : h.hours_per_week;
    row.reason = std::string(ToString(h.reason));
    row.notice_date = h.notice_date;
    row.end_date = h.end_date;
    row.notice_days = IsIsoDate(h.end_date) && IsIsoDate(h.notice_date)
                          ? DaysFromIsoDate(h.end_date) - DaysFromIsoDate(h.notice_date)
                          : 0;
    row.status = std::string(ToString(h.status));
    ++out.handbacks;
    out.beds += bed ? 1 : 0;
    out.hours_per_week += row.hours_per_week;
    notice_total += row.notice_days;
    people.insert(h.referral_id);
    for (auto [tally, key, label] : {std::tuple{&providers_seen, row.provider_id, row.provider},
                                     std::tuple{&reasons, row.reason, row.reason}}) {
      HandbackTally& t = (*tally)[key];
      t.key = key;
      t.label = label;
      ++t.handbacks;
      t.beds += bed ? 1 : 0;
      t.hours_per_week += row.hours_per_week;
      people_of[(tally == &reasons ? "reason/" : "provider/") + key].insert(h.referral_id);
    }
    out.rows.push_back(std::move(row));
  }
  out.providers = static_cast<int64_t>(providers_seen.size());
  out.people = static_cast<int64_t>(people.size());
  out.average_notice_days =
      out.handbacks > 0 ? static_cast<double>(notice_total) / static_cast<double>(out.handbacks) : 0;
  auto finish = [&](std::map<std::string, HandbackTally>& tallies, const std::string& prefix) {
    std::vector<HandbackTally> v;
    for (auto& [key, t] : tallies) {
      t.people = static_cast<int64_t>(people_of[prefix + key].size());
      v.push_back(t);
    }
    std::stable_sort(v.begin(), v.end(), [](const HandbackTally& a, const HandbackTally& b) {
      return a.handbacks != b.handbacks ? a.handbacks > b.handbacks : a.label < b.label;
    });
    return v;
  };
  out.by_provider = finish(providers_seen, "provider/");
  out.by_reason = finish(reasons, "reason/");
  std::stable_sort(out.rows.begin(), out.rows.end(), [](const HandbackRow& a, const HandbackRow& b) {
    return a.notice_date != b.notice_date ? a.notice_date < b.notice_date
           : a.provider != b.provider     ? a.provider < b.provider
                                          : a.handback_id < b.handback_id;
  });
  return out;
}

Result<VoidsReport> BuildVoidsReport(Db& db, const std::string& today) {
  if (!IsIsoDate(today)) return BadInput("'" + today + "' is not a date (YYYY-MM-DD)");
  BERTH_ASSIGN_OR_RETURN(std::vector<Provider> providers, LoadProviders(db));
  std::unordered_map<std::string, const Provider*> by_id;
  for (const auto& p : providers) by_id[p.id] = &p;
  BERTH_ASSIGN_OR_RETURN(std::vector<Bed> beds, LoadBeds(db));
  VoidsReport out;
  out.today = today;
  const int64_t now = DaysFromIsoDate(today);
  for (const auto& b : beds) {
    if (b.contract != ContractType::kBlock || b.status != BedStatus::kVacant) continue;
    VoidRow v;
    v.bed_id = b.id;
    v.provider_id = b.provider_id;
    auto p = by_id.find(b.provider_id);
    v.home = p != by_id.end() ? p->second->name : "(unknown home)";
    v.district = p != by_id.end() ? p->second->district : "";
    v.room = b.room;
    v.category = std::string(ToString(b.category));
    v.tier = std::string(ToString(b.tier));
    v.weekly_rate_pence = b.weekly_rate_pence;
    v.vacant_since = b.status_since;
    v.days_vacant =
        IsIsoDate(b.status_since) ? std::max<int64_t>(0, now - DaysFromIsoDate(b.status_since)) : 0;
    v.cost_so_far_pence = VoidCostPence(b.weekly_rate_pence, v.days_vacant);
    out.weekly_cost_pence += v.weekly_rate_pence;
    out.cost_so_far_pence += v.cost_so_far_pence;
    out.days_vacant += v.days_vacant;
    out.rows.push_back(std::move(v));
  }
  std::stable_sort(out.rows.begin(), out.rows.end(), [](const VoidRow& a, const VoidRow& b) {
    if (a.cost_so_far_pence != b.cost_so_far_pence) return a.cost_so_far_pence > b.cost_so_far_pence;
    return a.home != b.home ? a.home < b.home : a.room < b.room;
  });
  return out;
}

Result<UtilisationReport> BuildUtilisationReport(Db& db, const std::string& from, const std::string& to) {
  if (!IsIsoDate(from) || !IsIsoDate(to)) return BadInput("the date range must be two dates (YYYY-MM-DD)");
  const int64_t d0 = DaysFromIsoDate(from), d1 = DaysFromIsoDate(to) + 1;  // [d0, d1)
  if (d1 <= d0) return BadInput("the range ends before it starts");
  BERTH_ASSIGN_OR_RETURN(std::vector<Provider> providers, LoadProviders(db));
  std::unordered_map<std::string, const Provider*> by_id;
  for (const auto& p : providers) by_id[p.id] = &p;
  BERTH_ASSIGN_OR_RETURN(std::vector<Bed> beds, LoadBeds(db));
  BERTH_ASSIGN_OR_RETURN(std::vector<Placement> placements, LoadPlacements(db));
  std::unordered_map<std::string, std::vector<const Placement*>> by_bed;
  for (const auto& p : placements) {
    if (p.kind == PlacementKind::kCareHome && !p.bed_id.empty() &&
        PlacementTakesDays(ToString(p.status), p.end_date) && IsIsoDate(p.start_date)) {
      by_bed[p.bed_id].push_back(&p);
    }
  }
  UtilisationReport out;
  out.from = from;
  out.to = to;
  std::map<std::string, UtilisationRow> homes, districts;
  const int64_t days = d1 - d0;
  for (const auto& b : beds) {
    if (b.contract != ContractType::kBlock) continue;
    // Occupied days in [d0, d1): the union of the bed's placements, plus its current occupation.
    std::vector<std::pair<int64_t, int64_t>> spans;
    bool open_placement = false;
    for (const Placement* p : by_bed[b.id]) {
      const int64_t s = DaysFromIsoDate(p->start_date);
      // end_date is the last day of care (berth/schema/occupancy.h): the span ends the day after.
      const int64_t e = IsIsoDate(p->end_date) ? DaysFromIsoDate(p->end_date) + 1 : INT64_MAX;
      open_placement = open_placement || p->end_date.empty();
      spans.emplace_back(s, e);
    }
    if (b.status == BedStatus::kOccupied && !open_placement && IsIsoDate(b.status_since)) {
      spans.emplace_back(DaysFromIsoDate(b.status_since), INT64_MAX);
    }
    std::sort(spans.begin(), spans.end());
    int64_t occupied = 0, cursor = d0;
    for (auto [s, e] : spans) {
      s = std::max(s, cursor);
      e = std::min(e, d1);
      if (e > s) {
        occupied += e - s;
        cursor = e;
      }
    }
    auto p = by_id.find(b.provider_id);
    const std::string name = p != by_id.end() ? p->second->name : "(unknown home)";
    const std::string district =
        p != by_id.end() && !p->second->district.empty() ? p->second->district : "(none)";
    for (auto* row : {&homes[b.provider_id], &districts[district], &out.total}) {
      row->block_beds += 1;
      row->bed_days += days;
      row->occupied_days += occupied;
    }
    homes[b.provider_id].key = b.provider_id;
    homes[b.provider_id].label = name;
    homes[b.provider_id].district = district;
    districts[district].key = district;
    districts[district].label = district;
    districts[district].district = district;
  }
  auto finish = [](UtilisationRow& r) {
    r.utilisation =
        r.bed_days > 0 ? static_cast<double>(r.occupied_days) / static_cast<double>(r.bed_days) : 0;
  };
  for (auto& [k, r] : homes) {
    finish(r);
    out.homes.push_back(r);
  }
  for (auto& [k, r] : districts) {
    finish(r);
    out.districts.push_back(r);
  }
  out.total.key = out.total.label = "total";
  finish(out.total);
  std::sort(out.homes.begin(), out.homes.end(), [](const UtilisationRow& a, const UtilisationRow& b) {
    return a.district != b.district ? a.district < b.district
           : a.label != b.label     ? a.label < b.label
                                    : a.key < b.key;
  });
  return out;
}

std::string Render(const QueueReport& r, ReportFormat f) {
  if (f == ReportFormat::kJson) {
    json rows = json::array();
    for (const auto& q : r.rows) {
      rows.push_back({{"id", q.referral_id},
                      {"name", q.name},
                      {"pathway", q.pathway},
                      {"category", q.category},
                      {"status", q.status},
                      {"priority", q.priority},
                      {"discharge_ready_date", q.discharge_ready_date},
                      {"care_ends", q.care_ends},
                      {"needed_from", q.needed_from},
                      {"delay_reason", q.delay_reason},
                      {"days_past_discharge_ready", q.days_past},
                      {"location", q.location}});
    }
    json j = {{"today", r.today},
              {"open_referrals", r.rows.size()},
              {"past_discharge_ready", r.past_discharge_ready},
              {"total_delay_days", r.total_delay_days},
              {"queue", rows}};
    return j.dump(2) + "\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& q : r.rows) {
    rows.push_back({std::to_string(q.days_past), q.discharge_ready_date,
                    f == ReportFormat::kCsv ? q.name : Truncate(q.name, 24), q.pathway, q.category,
                    q.priority, q.status, q.location, q.referral_id, q.delay_reason});
  }
  const std::vector<std::string> header = {"days_past",   "discharge_ready", "name",   "pathway",
                                           "need",        "priority",        "status", "at",
                                           "referral_id", "delay_reason"};
  if (f == ReportFormat::kCsv) {
    std::string out = CsvLine(header);
    for (const auto& row : rows) out += CsvLine(row);
    return out;
  }
  for (auto& row : rows) row[8] = row[8].substr(0, 8);
  std::string out = fmt::format(
      "Queue on {}: {} open referrals, {} past their discharge-ready date, {} delay days in all\n\n", r.today,
      r.rows.size(), r.past_discharge_ready, r.total_delay_days);
  out += TextTable(header, rows, {true, false, false, false, false, false, false, false, false, false});
  return out;
}

std::string Render(const VoidsReport& r, ReportFormat f) {
  if (f == ReportFormat::kJson) {
    json rows = json::array();
    for (const auto& v : r.rows) {
      rows.push_back({{"bed_id", v.bed_id},
                      {"provider_id", v.provider_id},
                      {"home", v.home},
                      {"district", v.district},
                      {"room", v.room},
                      {"category", v.category},
                      {"tier", v.tier},
                      {"weekly_rate_pence", v.weekly_rate_pence},
                      {"vacant_since", v.vacant_since},
                      {"days_vacant", v.days_vacant},
                      {"cost_so_far_pence", v.cost_so_far_pence}});
    }
    json j = {{"today", r.today},
              {"voids", r.rows.size()},
              {"weekly_cost_pence", r.weekly_cost_pence},
              {"cost_so_far_pence", r.cost_so_far_pence},
              {"days_vacant", r.days_vacant},
              {"beds", rows}};
    return j.dump(2) + "\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : r.rows) {
    rows.push_back(
        {f == ReportFormat::kCsv ? v.home : Truncate(v.home, 34), v.district, v.room, v.category, v.tier,
         f == ReportFormat::kCsv ? FormatPoundsPlain(v.weekly_rate_pence) : FormatPounds(v.weekly_rate_pence),
         v.vacant_since, std::to_string(v.days_vacant),
         f == ReportFormat::kCsv ? FormatPoundsPlain(v.cost_so_far_pence)
                                 : FormatPounds(v.cost_so_far_pence)});
  }
  const std::vector<std::string> header = {"home",        "district",     "room",        "category",   "tier",
                                           "weekly_rate", "vacant_since", "days_vacant", "cost_so_far"};
  if (f == ReportFormat::kCsv) {
    std::string out = CsvLine(header);
    for (const auto& row : rows) out += CsvLine(row);
    return out;
  }
  std::string out = fmt::format(
      "Voids on {}: {} vacant block beds costing {} a week; {} spent on them so far ({} bed-days empty)\n\n",
      r.today, r.rows.size(), FormatPounds(r.weekly_cost_pence), FormatPounds(r.cost_so_far_pence),
      r.days_vacant);
  out += TextTable(header, rows, {false, false, false, false, false, true, false, true, true});
  return out;
}

std::string Render(const UtilisationReport& r, ReportFormat f) {
  auto to_json = [](const UtilisationRow& u) {
    return json{{"key", u.key},
                {"name", u.label},
                {"district", u.district},
                {"block_beds", u.block_beds},
                {"bed_days", u.bed_days},
                {"occupied_days", u.occupied_days},
                {"utilisation", u.utilisation}};
  };
  if (f == ReportFormat::kJson) {
    json homes = json::array(), districts = json::array();
    for (const auto& u : r.homes) homes.push_back(to_json(u));
    for (const auto& u : r.districts) districts.push_back(to_json(u));
    json j = {{"from", r.from},
              {"to", r.to},
              {"total", to_json(r.total)},
              {"districts", districts},
              {"homes", homes}};
    return j.dump(2) + "\n";
  }
  auto row_of = [&](const std::string& level, const UtilisationRow& u) {
    return std::vector<std::string>{level,
                                    f == ReportFormat::kCsv ? u.label : Truncate(u.label, 36),
                                    u.district,
                                    std::to_string(u.block_beds),
                                    std::to_string(u.bed_days),
                                    std::to_string(u.occupied_days),
                                    fmt::format("{:.1f}%", u.utilisation * 100)};
  };
  std::vector<std::vector<std::string>> rows;
  for (const auto& u : r.districts) rows.push_back(row_of("district", u));
  rows.push_back(row_of("total", r.total));
  std::vector<std::vector<std::string>> home_rows;
  for (const auto& u : r.homes) home_rows.push_back(row_of("home", u));
  const std::vector<std::string> header = {"level",    "name",          "district",   "block_beds",
                                           "bed_days", "occupied_days", "utilisation"};
  if (f == ReportFormat::kCsv) {
    std::string out = CsvLine(header);
    for (const auto& row : rows) out += CsvLine(row);
    for (const auto& row : home_rows) out += CsvLine(row);
    return out;
  }
  std::string out = fmt::format("Block bed utilisation {} to {} ({} block beds)\n\nBy district\n", r.from,
                                r.to, r.total.block_beds);
  const std::vector<bool> right = {false, false, false, true, true, true, true};
  out += TextTable(header, rows, right);
  out += "\nBy home\n";
  out += TextTable(header, home_rows, right);
  return out;
}

}  // namespace berth::core

namespace berth::core {

std::string Render(const HandbacksReport& r, ReportFormat f) {
  auto tally_json = [](const std::vector<HandbackTally>& v) {
    json out = json::array();
    for (const auto& t : v) {
      out.push_back({{"key", t.key},
                     {"name", t.label},
                     {"handbacks", t.handbacks},
                     {"people", t.people},
                     {"beds", t.beds},
                     {"hours_per_week", t.hours_per_week}});
    }
    return out;
  };
  if (f == ReportFormat::kJson) {
    json rows = json::array();
    for (const auto& h : r.rows) {
      rows.push_back({{"handback_id", h.handback_id},
                      {"provider_id", h.provider_id},
                      {"provider", h.provider},
                      {"referral_id", h.referral_id},
                      {"kind", h.kind},
                      {"bed_id", h.bed_id},
                      {"hours_per_week", h.hours_per_week},
                      {"reason", h.reason},
                      {"notice_date", h.notice_date},
                      {"end_date", h.end_date},
                      {"notice_days", h.notice_days},
                      {"status", h.status}});
    }
    json j = {{"from", r.from},
              {"to", r.to},
              {"handbacks", r.handbacks},
              {"providers", r.providers},
              {"people", r.people},
              {"beds", r.beds},
              {"hours_per_week", r.hours_per_week},
              {"average_notice_days", r.average_notice_days},
              {"by_provider", tally_json(r.by_provider)},
              {"by_reason", tally_json(r.by_reason)},
              {"rows", rows}};
    return j.dump(2) + "\n";
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : r.rows) {
    rows.push_back({h.notice_date, h.end_date, std::to_string(h.notice_days),
                    f == ReportFormat::kCsv ? h.provider : Truncate(h.provider, 34), h.kind,
                    h.kind == "bed" ? h.bed_id.substr(0, f == ReportFormat::kCsv ? std::string::npos : 8)
                                    : fmt::format("{:g}", h.hours_per_week),
                    h.reason, h.status,
                    f == ReportFormat::kCsv ? h.referral_id : h.referral_id.substr(0, 8)});
  }
  const std::vector<std::string> header = {"notice_date",  "last_day", "notice_days", "provider",   "kind",
                                           "bed_or_hours", "reason",   "status",      "referral_id"};
  if (f == ReportFormat::kCsv) {
    std::string out = CsvLine(header);
    for (const auto& row : rows) out += CsvLine(row);
    return out;
  }
  std::string out = fmt::format(
      "Hand backs {} to {}: {} by {} provider(s), {} people: {:g} homecare hours a week and {} bed(s); "
      "notice "
      "{:.1f} days on average\n",
      r.from, r.to, r.handbacks, r.providers, r.people, r.hours_per_week, r.beds, r.average_notice_days);
  auto tallies = [&](const char* title, const std::vector<HandbackTally>& v) {
    std::string s = fmt::format("\n{}\n", title);
    for (const auto& t : v) {
      s += fmt::format("  {:<36} {} hand back(s), {} people, {:g} h/wk, {} bed(s)\n", Truncate(t.label, 36),
                       t.handbacks, t.people, t.hours_per_week, t.beds);
    }
    return s;
  };
  out += tallies("By reason", r.by_reason);
  out += tallies("By provider", r.by_provider);
  out += "\n" + TextTable(header, rows, {false, false, true, false, false, true, false, false, false});
  return out;
}

}  // namespace berth::core

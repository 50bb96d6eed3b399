// Text, CSV and JSON of the commissioning reports (commissioning.h). Keys and columns are documented in
// app/core/MATCHING.md, "Commissioning reports".
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "berth/core/commissioning.h"
#include "report_text.h"

namespace berth::core {
namespace {

using nlohmann::json;
using report_text::Csv;
using report_text::Pounds2;
using report_text::TextTable;
using report_text::Truncate;

json RulesJson(const std::vector<RuleTally>& v) {
  json out = json::array();
  for (const RuleTally& t : v) out.push_back({{"rule", t.rule}, {"phrase", t.phrase}, {"count", t.count}});
  return out;
}

// "category:5|too_far:3"
std::string RulesCell(const std::vector<RuleTally>& v) {
  std::string out;
  for (const RuleTally& t : v) out += fmt::format("{}{}:{}", out.empty() ? "" : "|", t.rule, t.count);
  return out;
}

std::string CountsCell(const std::vector<std::pair<std::string, int64_t>>& v) {
  std::string out;
  for (const auto& [code, n] : v) out += fmt::format("{}{}:{}", out.empty() ? "" : "|", code, n);
  return out;
}

json CountsJson(const std::vector<std::pair<std::string, int64_t>>& v) {
  json out = json::array();
  for (const auto& [code, n] : v) out.push_back({{"reason", code}, {"count", n}});
  return out;
}

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string Money(int64_t pence, ReportFormat f) {
  return f == ReportFormat::kCsv ? Pounds2(pence) : FormatPounds(pence);
}

std::string Hours(double h) {
  return fmt::format("{:.1f}", h);
}

// "  too_far (beyond the distance limit): 12" lines under a title.
std::string RulesText(const char* title, const std::vector<RuleTally>& v) {
  std::string out = fmt::format("{}\n", title);
  if (v.empty()) out += "  (none)\n";
  for (const RuleTally& t : v) out += fmt::format("  {:>5}  {} ({})\n", t.count, t.phrase, t.rule);
  return out;
}

}  // namespace

std::string Render(const WhyVoidsReport& r, ReportFormat f) {
  if (f == ReportFormat::kJson) {
    json beds = json::array();
    for (const WhyVoidRow& w : r.rows) {
      json excluded = json::array();
      for (const VoidExclusion& e : w.excluded)
        excluded.push_back({{"referral_id", e.referral_id}, {"rule", e.rule}});
      beds.push_back({{"bed_id", w.bed.bed_id},
                      {"provider_id", w.bed.provider_id},
                      {"home", w.bed.home},
                      {"district", w.bed.district},
                      {"room", w.bed.room},
                      {"category", w.bed.category},
                      {"tier", w.bed.tier},
                      {"weekly_rate_pence", w.bed.weekly_rate_pence},
                      {"vacant_since", w.bed.vacant_since},
                      {"days_vacant", w.bed.days_vacant},
                      {"cost_so_far_pence", w.bed.cost_so_far_pence},
                      {"referrals", w.referrals},
                      {"suits", w.suits},
                      {"top_rule", w.top_rule},
                      {"by_rule", RulesJson(w.by_rule)},
                      {"excluded", excluded}});
    }
    json j = {{"today", r.today},
              {"referrals", r.referrals},
              {"voids", r.voids},
              {"weekly_cost_pence", r.weekly_cost_pence},
              {"cost_so_far_pence", r.cost_so_far_pence},
              {"days_vacant", r.days_vacant},
              {"voids_suiting_someone", r.voids_suiting_someone},
              {"by_rule", RulesJson(r.by_rule)},
              {"beds", beds}};
    return j.dump(2) + "\n";
  }
  const bool csv = f == ReportFormat::kCsv;
  std::vector<std::vector<std::string>> rows;
  for (const WhyVoidRow& w : r.rows) {
    std::vector<std::string> row = {csv ? w.bed.home : Truncate(w.bed.home, 30),
                                    w.bed.district,
                                    w.bed.room,
                                    w.bed.category,
                                    Money(w.bed.weekly_rate_pence, f),
                                    w.bed.vacant_since,
                                    std::to_string(w.bed.days_vacant),
                                    Money(w.bed.cost_so_far_pence, f),
                                    std::to_string(w.referrals),
                                    std::to_string(w.suits.size()),
                                    w.top_rule,
                                    RulesCell(w.by_rule)};
    if (csv) {
      std::vector<std::string> from;
      for (const VoidExclusion& e : w.excluded) from.push_back(e.referral_id + ":" + e.rule);
      row.push_back(Join(w.suits, "|"));
      row.push_back(Join(from, "|"));
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::string> header = {"home",        "district",     "room",        "category",
                                     "weekly_rate", "vacant_since", "days_vacant", "cost_so_far",
                                     "referrals",   "suits",        "top_rule",    "excluded_by"};
  if (csv) {
    header.push_back("suits_referrals");
    header.push_back("excluded_from");
    return Csv(header, rows);
  }
  std::string out = fmt::format(
      "Why voids stay empty on {}: {} vacant block beds costing {} a week, {} spent on them so far ({} "
      "bed-days empty); {} queued referrals want a bed; {} of the voids suit at least one of them\n\n",
      r.today, r.voids, FormatPounds(r.weekly_cost_pence), FormatPounds(r.cost_so_far_pence), r.days_vacant,
      r.referrals, r.voids_suiting_someone);
  out +=
      RulesText("Every void checked against every queued referral, by the rule that excluded it:", r.by_rule);
  out += "\n" + TextTable(header, rows,
                          {false, false, false, false, true, false, true, true, true, true, false, false});
  return out;
}

std::string Render(const UnmetReport& r, ReportFormat f) {
  auto tally_json = [](const std::vector<UnmetTally>& v) {
    json out = json::array();
    for (const UnmetTally& t : v) {
      out.push_back({{"key", t.key},
                     {"referrals", t.referrals},
                     {"days_past", t.days_past},
                     {"top_rule", t.top_rule},
                     {"by_rule", RulesJson(t.by_rule)}});
    }
    return out;
  };
  if (f == ReportFormat::kJson) {
    json rows = json::array();
    for (const UnmetRow& u : r.rows) {
      rows.push_back({{"referral_id", u.referral_id},
                      {"pathway", u.pathway},
                      {"category", u.category},
                      {"district", u.district},
                      {"bands", u.bands},
                      {"days_past", u.days_past},
                      {"examined", u.examined},
                      {"top_rule", u.top_rule},
                      {"by_rule", RulesJson(u.by_rule)}});
    }
    json j = {{"today", r.today},
              {"queued", r.queued},
              {"unmet", r.unmet},
              {"by_rule", RulesJson(r.by_rule)},
              {"by_category", tally_json(r.by_category)},
              {"by_district", tally_json(r.by_district)},
              {"by_band", tally_json(r.by_band)},
              {"referrals", rows}};
    return j.dump(2) + "\n";
  }
  const std::vector<std::string> header = {"level",    "key",      "pathway",   "category",
                                           "district", "bands",    "referrals", "days_past",
                                           "examined", "top_rule", "by_rule"};
  std::vector<std::vector<std::string>> tallies, people;
  for (auto [level, v] : {std::pair{"category", &r.by_category}, std::pair{"district", &r.by_district},
                          std::pair{"band", &r.by_band}}) {
    for (const UnmetTally& t : *v) {
      tallies.push_back({level, t.key, "", "", "", "", std::to_string(t.referrals),
                         std::to_string(t.days_past), "", t.top_rule, RulesCell(t.by_rule)});
    }
  }
  for (const UnmetRow& u : r.rows) {
    people.push_back({"referral", f == ReportFormat::kCsv ? u.referral_id : u.referral_id.substr(0, 8),
                      u.pathway, u.category, u.district, Join(u.bands, "|"), "1", std::to_string(u.days_past),
                      std::to_string(u.examined), u.top_rule, RulesCell(u.by_rule)});
  }
  if (f == ReportFormat::kCsv) {
    tallies.insert(tallies.end(), people.begin(), people.end());
    return Csv(header, tallies);
  }
  std::string out = fmt::format("Unmet demand on {}: {} of {} queued referrals have no suitable option\n\n",
                                r.today, r.unmet, r.queued);
  out += RulesText("The unmet referrals by the rule that stopped most of their options:", r.by_rule);
  const std::vector<bool> right = {false, false, false, false, false, false, true, true, true, false, false};
  out += "\nBy category, district and homecare band\n" + TextTable(header, tallies, right);
  out += "\nReferrals\n" + TextTable(header, people, right);
  return out;
}

std::string Render(const ResponsesReport& r, ReportFormat f) {
  auto tally_json = [](const ResponseTally& t) {
    return json{{"provider_id", t.provider_id},
                {"provider", t.provider},
                {"block_home", t.block_home},
                {"offers", t.offers},
                {"accepted", t.accepted},
                {"declined", t.declined},
                {"withdrawn", t.withdrawn},
                {"expired", t.expired},
                {"pending", t.pending},
                {"timed", t.timed},
                {"mean_response_hours", t.mean_response_hours},
                {"median_response_hours", t.median_response_hours},
                {"max_response_hours", t.max_response_hours},
                {"declines_by_reason", CountsJson(t.declines_by_reason)}};
  };
  if (f == ReportFormat::kJson) {
    json providers = json::array(), block = json::array();
    for (const auto& t : r.by_provider) providers.push_back(tally_json(t));
    for (const auto& t : r.block_homes) block.push_back(tally_json(t));
    json j = {{"from", r.from},
              {"to", r.to},
              {"total", tally_json(r.total)},
              {"by_provider", providers},
              {"block_declines", r.block_declines},
              {"block_declines_by_reason", CountsJson(r.block_declines_by_reason)},
              {"block_homes", block}};
    return j.dump(2) + "\n";
  }
  const bool csv = f == ReportFormat::kCsv;
  auto row_of = [&](const std::string& level, const ResponseTally& t) {
    return std::vector<std::string>{level,
                                    csv ? t.provider : Truncate(t.provider, 30),
                                    t.block_home ? "yes" : "no",
                                    std::to_string(t.offers),
                                    std::to_string(t.accepted),
                                    std::to_string(t.declined),
                                    std::to_string(t.withdrawn),
                                    std::to_string(t.expired),
                                    std::to_string(t.pending),
                                    std::to_string(t.timed),
                                    Hours(t.mean_response_hours),
                                    Hours(t.median_response_hours),
                                    Hours(t.max_response_hours),
                                    CountsCell(t.declines_by_reason),
                                    t.provider_id};
  };
  const std::vector<std::string> header = {
      "level",      "provider", "block_home", "offers",     "accepted",     "declined",  "withdrawn",
      "expired",    "pending",  "timed",      "mean_hours", "median_hours", "max_hours", "declines_by_reason",
      "provider_id"};
  std::vector<std::vector<std::string>> rows = {row_of("total", r.total)};
  for (const auto& t : r.by_provider) rows.push_back(row_of("provider", t));
  if (csv) return Csv(header, rows);
  std::string out = fmt::format(
      "Provider responses to offers sent {} to {}: {} offers, {} accepted, {} declined, {} withdrawn, {} "
      "expired, {} pending; {} answers timed, {:.1f} h on average (median {:.1f} h)\n",
      r.from, r.to, r.total.offers, r.total.accepted, r.total.declined, r.total.withdrawn, r.total.expired,
      r.total.pending, r.total.timed, r.total.mean_response_hours, r.total.median_response_hours);
  out += fmt::format("Declines by reason: {}\n", r.total.declines_by_reason.empty()
                                                     ? std::string("none")
                                                     : CountsCell(r.total.declines_by_reason));
  out += fmt::format("Declines by homes holding block beds: {}{}\n", r.block_declines,
                     r.block_declines == 0 ? "" : " (" + CountsCell(r.block_declines_by_reason) + ")");
  for (const auto& t : r.block_homes) {
    out += fmt::format("  {:<36} {} declined of {} offers ({})\n", Truncate(t.provider, 36), t.declined,
                       t.offers, CountsCell(t.declines_by_reason));
  }
  std::vector<bool> right(header.size(), true);
  right[0] = right[1] = right[2] = right[13] = right[14] = false;
  for (auto& row : rows) row[14] = row[14].substr(0, 8);
  out += "\n" + TextTable(header, rows, right);
  return out;
}

std::string Render(const SpendReport& r, ReportFormat f) {
  auto row_json = [](const SpendRow& s) {
    return json{{"kind", s.kind},
                {"contract", s.contract},
                {"placements", s.placements},
                {"people", s.people},
                {"weekly_cost_pence", s.weekly_cost_pence},
                {"days", s.days},
                {"cost_in_range_pence", s.cost_in_range_pence},
                {"out_of_area", s.out_of_area},
                {"out_of_area_weekly_pence", s.out_of_area_weekly_pence}};
  };
  if (f == ReportFormat::kJson) {
    json rows = json::array(), away = json::array();
    for (const auto& s : r.rows) rows.push_back(row_json(s));
    for (const auto& o : r.out_of_area) {
      away.push_back({{"placement_id", o.placement_id},
                      {"referral_id", o.referral_id},
                      {"provider_id", o.provider_id},
                      {"provider", o.provider},
                      {"local_authority", o.local_authority},
                      {"kind", o.kind},
                      {"contract", o.contract},
                      {"weekly_cost_pence", o.weekly_cost_pence},
                      {"start_date", o.start_date},
                      {"end_date", o.end_date}});
    }
    json j = {{"from", r.from},
              {"to", r.to},
              {"council_areas", r.council_areas},
              {"by_contract", rows},
              {"total", row_json(r.total)},
              {"block_contract",
               {{"block_beds", r.block_beds},
                {"block_weekly_pence", r.block_weekly_pence},
                {"void_beds", r.void_beds},
                {"void_weekly_pence", r.void_weekly_pence}}},
              {"out_of_area", away}};
    return j.dump(2) + "\n";
  }
  auto row_of = [&](const SpendRow& s) {
    return std::vector<std::string>{s.kind,
                                    s.contract,
                                    std::to_string(s.placements),
                                    std::to_string(s.people),
                                    Money(s.weekly_cost_pence, f),
                                    std::to_string(s.days),
                                    Money(s.cost_in_range_pence, f),
                                    std::to_string(s.out_of_area),
                                    Money(s.out_of_area_weekly_pence, f)};
  };
  const std::vector<std::string> header = {"kind",          "contract",    "placements",
                                           "people",        "weekly_cost", "days",
                                           "cost_in_range", "out_of_area", "out_of_area_weekly"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : r.rows) rows.push_back(row_of(s));
  rows.push_back(row_of(r.total));
  if (f == ReportFormat::kCsv) return Csv(header, rows);
  std::string out = fmt::format(
      "Spend on placements live {} to {}: {} placements for {} people, {} a week, {} over the range; {} out "
      "of the council's area ({}) at {} a week\n",
      r.from, r.to, r.total.placements, r.total.people, FormatPounds(r.total.weekly_cost_pence),
      FormatPounds(r.total.cost_in_range_pence), r.total.out_of_area, Join(r.council_areas, ", "),
      FormatPounds(r.total.out_of_area_weekly_pence));
  out +=
      fmt::format("Block contract now: {} beds at {} a week, of which {} void at {} a week\n\n", r.block_beds,
                  FormatPounds(r.block_weekly_pence), r.void_beds, FormatPounds(r.void_weekly_pence));
  out += TextTable(header, rows, {false, false, true, true, true, true, true, true, true});
  if (!r.out_of_area.empty()) {
    out += "\nOut of area\n";
    for (const auto& o : r.out_of_area) {
      out +=
          fmt::format("  {:<32} {:<16} {} {:<9} {} a week  {} to {}\n", Truncate(o.provider, 32),
                      Truncate(o.local_authority, 16), o.kind, o.contract, FormatPounds(o.weekly_cost_pence),
                      o.start_date, o.end_date.empty() ? "open" : o.end_date);
    }
  }
  return out;
}

std::string Render(const PlacementExport& r, ReportFormat f) {
  if (f == ReportFormat::kJson) {
    json rows = json::array();
    for (const auto& p : r.rows) {
      rows.push_back({{"placement_id", p.placement_id},
                      {"person_id", p.person_id},
                      {"nhs_number", p.nhs_number},
                      {"provider_id", p.provider_id},
                      {"provider", p.provider},
                      {"cqc_location_id", p.cqc_location_id},
                      {"kind", p.kind},
                      {"contract", p.contract},
                      {"bed_id", p.bed_id},
                      {"room", p.room},
                      {"hours_per_week", p.hours_per_week},
                      {"start_date", p.start_date},
                      {"end_date", p.end_date},
                      {"weekly_cost_pence", p.weekly_cost_pence},
                      {"funding", p.funding},
                      {"status", p.status}});
    }
    json j = {{"from", r.from}, {"to", r.to}, {"people", r.people}, {"placements", rows}};
    return j.dump(2) + "\n";
  }
  const bool csv = f == ReportFormat::kCsv;
  const std::vector<std::string> header = {"person_id",      "nhs_number", "provider",    "cqc_location_id",
                                           "kind",           "contract",   "bed_id",      "room",
                                           "hours_per_week", "start_date", "end_date",    "weekly_cost",
                                           "funding",        "status",     "provider_id", "placement_id"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : r.rows) {
    rows.push_back({csv ? p.person_id : p.person_id.substr(0, 8), p.nhs_number,
                    csv ? p.provider : Truncate(p.provider, 30), p.cqc_location_id, p.kind, p.contract,
                    csv ? p.bed_id : p.bed_id.substr(0, 8), p.room,
                    p.kind == "homecare" ? fmt::format("{:g}", p.hours_per_week) : "", p.start_date,
                    p.end_date, Money(p.weekly_cost_pence, f), p.funding, p.status,
                    csv ? p.provider_id : p.provider_id.substr(0, 8),
                    csv ? p.placement_id : p.placement_id.substr(0, 8)});
  }
  if (csv) return Csv(header, rows);
  std::string out =
      fmt::format("{} placements of {} people{}\n\n", r.rows.size(), r.people,
                  r.from.empty() && r.to.empty() ? std::string() : fmt::format(" ({} to {})", r.from, r.to));
  std::vector<bool> right(header.size(), false);
  right[8] = right[11] = true;
  return out + TextTable(header, rows, right);
}

}  // namespace berth::core

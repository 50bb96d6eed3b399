// The voids screen: void block beds, utilisation and the commissioning tabs, from app/core's reports.

#include "voids_panel.h"

#include <imgui.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "keys.h"
#include "theme.h"

namespace berth::ui {

void BarChart(const char* id, const std::vector<double>& values, const std::vector<std::string>& labels,
              float height, unsigned int colour, const char* unit_prefix) {
  ImGui::PushID(id);
  const float width = ImGui::GetContentRegionAvail().x;
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const float label_h = ImGui::GetTextLineHeight();
  ImGui::Dummy(ImVec2(width, height + label_h * 2));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const double max = values.empty() ? 0 : *std::max_element(values.begin(), values.end());
  const float top = p.y + label_h;
  const float base = p.y + label_h + height;
  dl->AddLine(ImVec2(p.x, base), ImVec2(p.x + width, base), ImGui::GetColorU32(ImGuiCol_Border));
  if (values.empty() || max <= 0) {
    dl->AddText(ImVec2(p.x, top), ImGui::GetColorU32(ImGuiCol_TextDisabled), "nothing to chart");
    ImGui::PopID();
    return;
  }
  const float slot = width / static_cast<float>(values.size());
  char buf[32];
  for (size_t i = 0; i < values.size(); ++i) {
    const float h = static_cast<float>(values[i] / max) * height;
    const float x0 = p.x + slot * static_cast<float>(i) + slot * 0.15f, x1 = x0 + slot * 0.7f;
    dl->AddRectFilled(ImVec2(x0, base - h), ImVec2(x1, base), colour, 2);
    if (values[i] > 0) {
      std::snprintf(buf, sizeof(buf), "%s%.0f", unit_prefix, values[i]);
      const float tw = ImGui::CalcTextSize(buf).x;
      if (tw < slot)
        dl->AddText(ImVec2((x0 + x1 - tw) * 0.5f, base - h - label_h), ImGui::GetColorU32(ImGuiCol_Text),
                    buf);
    }
    if (i < labels.size()) {
      const float tw = ImGui::CalcTextSize(labels[i].c_str()).x;
      if (tw < slot) {
        dl->AddText(ImVec2((x0 + x1 - tw) * 0.5f, base + 2), ImGui::GetColorU32(ImGuiCol_TextDisabled),
                    labels[i].c_str());
      }
    }
  }
  ImGui::PopID();
}

namespace {

// A table with a header row and equal-weight columns; the caller fills rows and calls ImGui::EndTable.
bool BeginReportTable(const char* id, const std::vector<const char*>& columns) {
  if (!ImGui::BeginTable(id, static_cast<int>(columns.size()),
                         ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp |
                             ImGuiTableFlags_BordersInnerV))
    return false;
  ImGui::TableSetupScrollFreeze(0, 1);
  for (size_t i = 0; i < columns.size(); ++i) {
    ImGui::TableSetupColumn(columns[i], ImGuiTableColumnFlags_WidthStretch, i == 0 ? 2.5f : 1.0f);
  }
  ImGui::TableHeadersRow();
  return true;
}

void Cells(const std::vector<std::string>& cells) {
  ImGui::TableNextRow();
  for (const std::string& c : cells) {
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(c.c_str());
  }
}

std::string Num(int64_t n) {
  return std::to_string(n);
}

// "category 5, too far 3": the first few rules of a tally, in words.
std::string RulesWords(const std::vector<core::RuleTally>& v, size_t most = 3) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < most; ++i) {
    out += (i ? ", " : "") + v[i].phrase + " " + std::to_string(v[i].count);
  }
  return out.empty() ? "-" : out;
}

std::string PhraseOf(const std::string& rule, const std::vector<core::RuleTally>& v) {
  for (const auto& t : v) {
    if (t.rule == rule) return t.phrase;
  }
  return rule.empty() ? "-" : rule;
}

void DrawWhyVoids(const core::WhyVoidsReport& r) {
  ImGui::Text("%lld voids checked against %lld queued referrals wanting a bed: %lld could take one of them",
              static_cast<long long>(r.voids), static_cast<long long>(r.referrals),
              static_cast<long long>(r.voids_suiting_someone));
  ImGui::TextDisabled("Why they stay empty: %s", RulesWords(r.by_rule, 5).c_str());
  if (!BeginReportTable(
          "why_t", {"Home", "Room", "Category", "Days empty", "Cost so far", "Could take", "Excluded by"}))
    return;
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(r.rows.size()));
  while (clipper.Step()) {
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const core::WhyVoidRow& w = r.rows[static_cast<size_t>(i)];
      Cells({w.bed.home, w.bed.room, w.bed.category, Num(w.bed.days_vacant), Pounds(w.bed.cost_so_far_pence),
             Num(static_cast<int64_t>(w.suits.size())) + " of " + Num(w.referrals), RulesWords(w.by_rule)});
    }
  }
  ImGui::EndTable();
}

void DrawUnmet(const core::UnmetReport& r) {
  ImGui::Text("%lld of %lld queued referrals have no suitable option", static_cast<long long>(r.unmet),
              static_cast<long long>(r.queued));
  ImGui::TextDisabled("Stopped most often by: %s", RulesWords(r.by_rule, 5).c_str());
  if (!BeginReportTable("unmet_t",
                        {"Category, district or band", "Referrals", "Days past", "Stopped most by"}))
    return;
  for (auto [level, v] : {std::pair{"", &r.by_category}, std::pair{"district: ", &r.by_district},
                          std::pair{"band: ", &r.by_band}}) {
    for (const core::UnmetTally& t : *v) {
      Cells(
          {std::string(level) + t.key, Num(t.referrals), Num(t.days_past), PhraseOf(t.top_rule, t.by_rule)});
    }
  }
  ImGui::EndTable();
}

void DrawSpend(const core::SpendReport& r) {
  if (r.from.empty()) {
    ImGui::TextDisabled("Spend needs the council's area (the geography could not be loaded).");
    return;
  }
  ImGui::Text("Placements live %s to %s: %lld for %lld people, %s a week; %lld out of area (%s a week)",
              r.from.c_str(), r.to.c_str(), static_cast<long long>(r.total.placements),
              static_cast<long long>(r.total.people), Pounds(r.total.weekly_cost_pence).c_str(),
              static_cast<long long>(r.total.out_of_area), Pounds(r.total.out_of_area_weekly_pence).c_str());
  ImGui::TextDisabled("Block contract: %lld beds at %s a week, %lld void at %s a week",
                      static_cast<long long>(r.block_beds), Pounds(r.block_weekly_pence).c_str(),
                      static_cast<long long>(r.void_beds), Pounds(r.void_weekly_pence).c_str());
  if (!BeginReportTable("spend_t", {"Kind and contract", "Placements", "People", "Weekly cost",
                                    "Cost in range", "Out of area"}))
    return;
  for (const core::SpendRow& row : r.rows) {
    Cells({row.kind + " " + row.contract, Num(row.placements), Num(row.people), Pounds(row.weekly_cost_pence),
           Pounds(row.cost_in_range_pence), Num(row.out_of_area)});
  }
  Cells({"total", Num(r.total.placements), Num(r.total.people), Pounds(r.total.weekly_cost_pence),
         Pounds(r.total.cost_in_range_pence), Num(r.total.out_of_area)});
  ImGui::EndTable();
}

void DrawResponses(const core::ResponsesReport& r) {
  const core::ResponseTally& t = r.total;
  ImGui::Text("Offers sent %s to %s: %lld; %lld accepted, %lld declined, %lld expired, %lld pending",
              r.from.c_str(), r.to.c_str(), static_cast<long long>(t.offers),
              static_cast<long long>(t.accepted), static_cast<long long>(t.declined),
              static_cast<long long>(t.expired), static_cast<long long>(t.pending));
  ImGui::TextDisabled("Declines by homes holding block beds: %lld", static_cast<long long>(r.block_declines));
  if (!BeginReportTable("responses_t", {"Provider", "Block", "Offers", "Accepted", "Declined", "Expired",
                                        "Median answer (h)"}))
    return;
  char hours[32];
  for (const core::ResponseTally& p : r.by_provider) {
    std::snprintf(hours, sizeof(hours), "%.1f", p.median_response_hours);
    Cells({p.provider, p.block_home ? "yes" : "", Num(p.offers), Num(p.accepted), Num(p.declined),
           Num(p.expired), p.timed > 0 ? hours : "-"});
  }
  ImGui::EndTable();
}

}  // namespace

void VoidsPanel::Export(PanelContext& ctx, const VoidsData& data) {
  std::string dir = export_dir_;
  if (dir.empty()) {
    const char* home = std::getenv("HOME");
    dir = home != nullptr ? home : ".";
  }
  ctx.commands.Push(
      cmd::ExportCsv{.path = dir + "/berth-voids-" + data.today + ".csv", .csv = VoidsCsv(data)});
  ctx.commands.Push(
      cmd::ExportCsv{.path = dir + "/berth-utilisation-" + data.today + ".csv", .csv = UtilisationCsv(data)});
}

void VoidsPanel::Draw(PanelContext& ctx) {
  const VoidsData& data = ctx.data.voids;
  if (!data.available) {
    EmptyState(
        "No voids to report yet.",
        "This store has no beds table yet. Voids (vacant block beds) and utilisation appear once beds are "
        "imported or a demo store is made with `berth demo`.");
    return;
  }
  const float em = ImGui::GetFontSize();
  ImGui::Text("%zu void block beds", data.voids.size());
  ImGui::SameLine();
  ImGui::TextColored(ErrorTextColour(), "  %s spent on empty beds so far",
                     Pounds(data.total_void_cost_pence).c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("  costing %s a day", Pounds(data.daily_void_cost_pence).c_str());
  ImGui::SameLine(ImGui::GetContentRegionAvail().x - em * 9);
  if (ImGui::Button("Export CSV (Ctrl+E)") || CtrlPressed(keys::kE)) Export(ctx, data);

  const float half = ImGui::GetContentRegionAvail().x * 0.5f - em * 0.5f;
  ImGui::BeginChild("week_chart", ImVec2(half, em * 13), true);
  ImGui::TextUnformatted("Void cost by week (GBP, current voids)");
  BarChart("weeks", data.void_cost_by_week, data.week_labels, em * 8, DangerColour(), "");
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("source_chart", ImVec2(0, em * 13), true);
  ImGui::Text("Time to source: days from discharge-ready to placement (%zu placements)",
              data.days_to_source.size());
  std::vector<double> hist(data.source_histogram.begin(), data.source_histogram.end());
  BarChart("source", hist, {"same day", "1-2", "3-6", "7-13", "14-27", "28+"}, em * 8, AccentColour(), "");
  ImGui::EndChild();

  // The commissioners' reports (app/core's commissioning.h) share the lower half with the voids list.
  if (KeyPressed(keys::kRight) || KeyPressed(keys::kLeft)) {
    tab_ = (tab_ + (KeyPressed(keys::kRight) ? 1 : kTabs - 1)) % kTabs;
    select_tab_ = true;
  }
  auto flags = [&](int i) { return select_tab_ && i == tab_ ? ImGuiTabItemFlags_SetSelected : 0; };
  // The tab bar reports the tab it shows; a tab asked for by key shows from the next frame on.
  auto shown = [&](int i) {
    if (select_tab_ && i != tab_) return;
    tab_ = i;
    select_tab_ = false;
  };
  if (!ImGui::BeginTabBar("voids_tabs")) return;
  if (ImGui::BeginTabItem("Voids and utilisation", nullptr, flags(0))) {
    shown(0);
    ImGui::BeginChild("voids_list", ImVec2(half, 0), true);
    ImGui::TextUnformatted("Void beds, longest first");
    if (data.voids.empty()) {
      ImGui::TextDisabled("No vacant block beds: every bed the council has paid for is in use.");
    } else if (ImGui::BeginTable(
                   "voids_t", 5,
                   ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp)) {
      ImGui::TableSetupScrollFreeze(0, 1);
      ImGui::TableSetupColumn("Home", ImGuiTableColumnFlags_WidthStretch, 3.0f);
      ImGui::TableSetupColumn("Room", ImGuiTableColumnFlags_WidthStretch, 0.7f);
      ImGui::TableSetupColumn("Category", ImGuiTableColumnFlags_WidthStretch, 1.8f);
      ImGui::TableSetupColumn("Days", ImGuiTableColumnFlags_WidthStretch, 0.6f);
      ImGui::TableSetupColumn("Cost", ImGuiTableColumnFlags_WidthStretch, 0.9f);
      ImGui::TableHeadersRow();
      ImGuiListClipper clipper;
      clipper.Begin(static_cast<int>(data.voids.size()));
      while (clipper.Step()) {
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
          const VoidBed& v = data.voids[static_cast<size_t>(i)];
          ImGui::TableNextRow();
          ImGui::TableNextColumn();
          TextFit(v.home);
          ImGui::TableNextColumn();
          TextFit(v.room);
          ImGui::TableNextColumn();
          TextFit(v.category);
          ImGui::TableNextColumn();
          ImGui::Text("%lld", static_cast<long long>(v.days));
          ImGui::TableNextColumn();
          ImGui::TextUnformatted(Pounds(v.cost_pence).c_str());
        }
      }
      ImGui::EndTable();
    }
    ImGui::EndChild();
    ImGui::SameLine();
    ImGui::BeginChild("util", ImVec2(0, 0), true);
    ImGui::TextUnformatted("Block utilisation by home (occupied / block beds), lowest first");
    if (data.utilisation.empty()) ImGui::TextDisabled("No block beds recorded.");
    char buf[64];
    for (const HomeUtilisation& u : data.utilisation) {
      // Below the 80% target is said in words as well as in amber.
      const bool low = u.utilisation() < 0.8;
      std::snprintf(buf, sizeof(buf), "%d/%d  %.0f%%%s", u.block_occupied, u.block_beds,
                    u.utilisation() * 100, low ? " low" : "");
      const ImU32 colour = low ? WarningColour() : GoodColour();
      std::string name = u.home.size() > 24 ? u.home.substr(0, 23) + "..." : u.home;
      ScoreBar(name.c_str(), static_cast<float>(u.utilisation()), colour, buf);
    }
    ImGui::EndChild();
    ImGui::EndTabItem();
  }
  const CommissioningData& c = data.commissioning;
  const std::pair<const char*, void (*)(const CommissioningData&)> tabs[] = {
      {"Why voids", [](const CommissioningData& d) { DrawWhyVoids(d.why_voids); }},
      {"Unmet demand", [](const CommissioningData& d) { DrawUnmet(d.unmet); }},
      {"Spend", [](const CommissioningData& d) { DrawSpend(d.spend); }},
      {"Provider responses", [](const CommissioningData& d) { DrawResponses(d.responses); }}};
  for (int i = 1; i < kTabs; ++i) {
    const auto& [label, draw] = tabs[i - 1];
    if (!ImGui::BeginTabItem(label, nullptr, flags(i))) continue;
    shown(i);
    if (c.available) {
      draw(c);
    } else {
      ImGui::TextDisabled("Computing...");
    }
    ImGui::EndTabItem();
  }
  ImGui::EndTabBar();
}

}  // namespace berth::ui

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

void VoidsPanel::Export(PanelContext& ctx, const VoidsData& data) {
  std::string dir = export_dir_;
  if (dir.empty()) {
    const char* home = std::getenv("HOME");
    dir = home != nullptr ? home : ".";
  }
  Event voids;
  voids.kind = Event::Kind::kExportCsv;
  voids.target = dir + "/berth-voids-" + data.today + ".csv";
  voids.text = VoidsCsv(data);
  ctx.events.Push(std::move(voids));
  Event util;
  util.kind = Event::Kind::kExportCsv;
  util.target = dir + "/berth-utilisation-" + data.today + ".csv";
  util.text = UtilisationCsv(data);
  ctx.events.Push(std::move(util));
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
  BarChart("weeks", data.void_cost_by_week, data.week_labels, em * 8, IM_COL32(192, 41, 43, 220), "");
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("source_chart", ImVec2(0, em * 13), true);
  ImGui::Text("Time to source: days from discharge-ready to placement (%zu placements)",
              data.days_to_source.size());
  std::vector<double> hist(data.source_histogram.begin(), data.source_histogram.end());
  BarChart("source", hist, {"same day", "1-2", "3-6", "7-13", "14-27", "28+"}, em * 8, AccentColour(), "");
  ImGui::EndChild();

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
        ImGui::TextUnformatted(v.home.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(v.room.c_str());
        ImGui::TableNextColumn();
        ImGui::TextUnformatted(v.category.c_str());
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
    std::snprintf(buf, sizeof(buf), "%d/%d  %.0f%%", u.block_occupied, u.block_beds, u.utilisation() * 100);
    const ImU32 colour = u.utilisation() < 0.8 ? IM_COL32(221, 120, 20, 255) : IM_COL32(46, 139, 87, 255);
    std::string name = u.home.size() > 24 ? u.home.substr(0, 23) + "..." : u.home;
    ScoreBar(name.c_str(), static_cast<float>(u.utilisation()), colour, buf);
  }
  ImGui::EndChild();
}

}  // namespace berth::ui

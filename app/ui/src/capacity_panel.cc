// The capacity board (Ctrl+5): beds by home and status, homecare hours by zone and band.

#include "capacity_panel.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <fmt/format.h>

#include <cstdio>

#include "berth/core/match.h"
#include "keys.h"
#include "theme.h"

namespace berth::ui {

namespace {
constexpr const char* kStatusNames[] = {"Vacant", "Held", "Occupied", "Unavailable"};

void StatusCounts(const std::array<int, 4>& c) {
  for (size_t i = 0; i < 4; ++i) {
    ImGui::TableNextColumn();
    if (c[i] == 0) {
      ImGui::TextDisabled("0");
    } else {
      ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(BedStatusColour(static_cast<BedStatus>(i))), "%d",
                         c[i]);
    }
  }
}
}  // namespace

void CapacityPanel::Clear() {
  home_ = bed_ = 0;
  focused_bed_.clear();
  hours_edits_.clear();
}

void CapacityPanel::FocusBed(const CapacityData& data, const std::string& bed_id) {
  for (size_t h = 0; h < data.homes.size(); ++h) {
    for (size_t b = 0; b < data.homes[h].beds.size(); ++b) {
      if (data.homes[h].beds[b].id == bed_id) {
        home_ = static_cast<int>(h);
        bed_ = static_cast<int>(b);
        scroll_home_ = true;
        tab_ = 0;
        return;
      }
    }
  }
}

void CapacityPanel::Draw(PanelContext& ctx) {
  const CapacityData& data = ctx.data.capacity;
  if (!data.available) {
    EmptyState("No capacity recorded yet.",
               "This store has no beds or homecare tables yet. Import providers and capacity returns (berth "
               "import ...) or make a demo store with `berth demo`.");
    return;
  }
  DrawImport(ctx);
  if (data.homes.empty() && data.zones.empty()) {
    EmptyState(
        "No beds or homecare hours recorded.",
        "Import the capacity returns providers send (berth import beds FILE, berth import homecare FILE).");
    return;
  }
  if (!ctx.data.focus_bed.empty() && ctx.data.focus_bed != focused_bed_) {
    focused_bed_ = ctx.data.focus_bed;
    FocusBed(data, focused_bed_);
  }
  home_ = std::clamp(home_, 0, std::max(0, static_cast<int>(data.homes.size()) - 1));
  DrawDistricts(data);
  if (ImGui::BeginTabBar("capacity_tabs")) {
    if (ImGui::BeginTabItem("Beds by home", nullptr,
                            tab_ == 0 && scroll_home_ ? ImGuiTabItemFlags_SetSelected : 0)) {
      DrawHomes(ctx, data);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Homecare hours by zone and band")) {
      DrawHomecare(ctx, data);
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  }
}

void CapacityPanel::DrawImport(PanelContext& ctx) {
  // A dropped file arrives through the workspace; typing a path works the same way.
  if (ctx.data.import_path != dropped_path_) {
    dropped_path_ = ctx.data.import_path;
    import_path_ = dropped_path_;
  }
  static const char* const kKinds[] = {"bed", "homecare", "cqc"};
  static const char* const kLabels[] = {"Bed return", "Homecare return", "CQC directory"};
  ImGui::AlignTextToFramePadding();
  ImGui::TextUnformatted("Import");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 9);
  ImGui::Combo("##kind", &import_kind_, kLabels, 3);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 22);
  ImGui::InputTextWithHint("##path", "drop a CSV file on the window, or type its path", &import_path_);
  SameLineIfRoom(ButtonWidth("Import file"));
  ImGui::BeginDisabled(import_path_.empty());
  if (ImGui::Button("Import file")) {
    ctx.commands.Push(cmd::ImportFile{.path = import_path_, .what = kKinds[import_kind_]});
  }
  ImGui::EndDisabled();
  if (!ctx.data.import_report.empty() &&
      ImGui::CollapsingHeader("Last import", ImGuiTreeNodeFlags_DefaultOpen)) {
    ImGui::BeginChild("import_report", ImVec2(0, ImGui::GetFontSize() * 6), true);
    ImGui::TextWrapped("%s", ctx.data.import_report.c_str());
    ImGui::EndChild();
  }
}

void CapacityPanel::DrawDistricts(const CapacityData& data) {
  const ImGuiTableFlags flags =
      ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_SizingStretchProp;
  const float em = ImGui::GetFontSize();
  const float row = ImGui::GetTextLineHeight() + ImGui::GetStyle().CellPadding.y * 2;
  const float h = std::min(
      static_cast<float>(data.districts.size() + 2) * row + ImGui::GetStyle().WindowPadding.y, em * 12);
  ImGui::BeginChild("districts", ImVec2(ImGui::GetContentRegionAvail().x * 0.55f, h), false);
  if (ImGui::BeginTable("districts_t", 7, flags)) {
    ImGui::TableSetupColumn("District", ImGuiTableColumnFlags_WidthStretch, 2.0f);
    ImGui::TableSetupColumn("Homes");
    ImGui::TableSetupColumn("Closed");
    for (const char* s : kStatusNames) ImGui::TableSetupColumn(s);
    ImGui::TableHeadersRow();
    std::array<int, 4> total{};
    for (const DistrictView& d : data.districts) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(d.name.empty() ? "(unknown)" : d.name.c_str());
      ImGui::TableNextColumn();
      ImGui::Text("%d", d.homes);
      ImGui::TableNextColumn();
      if (d.closed_homes > 0) {
        ImGui::TextColored(ErrorTextColour(), "%d", d.closed_homes);
      } else {
        ImGui::TextDisabled("0");
      }
      StatusCounts(d.by_status);
      for (size_t i = 0; i < 4; ++i) total[i] += d.by_status[i];
    }
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::TextUnformatted("All districts");
    ImGui::TableNextColumn();
    ImGui::Text("%zu", data.homes.size());
    ImGui::TableNextColumn();
    ImGui::TableNextColumn();
    ImGui::TableSetColumnIndex(3);
    for (size_t i = 0; i < 4; ++i) {
      ImGui::Text("%d", total[i]);
      if (i < 3) ImGui::TableNextColumn();
    }
    ImGui::EndTable();
  }
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("closed", ImVec2(0, h), true);
  int closed = 0;
  for (const HomeView& home : data.homes) closed += home.closed ? 1 : 0;
  ImGui::Text("Closed to admissions: %d", closed);
  for (const HomeView& home : data.homes) {
    if (!home.closed) continue;
    ImGui::TextColored(ErrorTextColour(), "%s", home.name.c_str());
    ImGui::SameLine();
    ImGui::TextDisabled("%s", home.closed_note.c_str());
  }
  ImGui::EndChild();
}

void CapacityPanel::DrawHomes(PanelContext& ctx, const CapacityData& data) {
  if (data.homes.empty()) {
    EmptyState("No care home beds recorded.", "Import bed returns with `berth import beds FILE`.");
    return;
  }
  if (!ctx.typing) {
    const int n = static_cast<int>(data.homes.size());
    int h = home_;
    if (KeyPressed(keys::kDown)) ++h;
    if (KeyPressed(keys::kUp)) --h;
    if (KeyPressed(keys::kPageDown)) h += 10;
    if (KeyPressed(keys::kPageUp)) h -= 10;
    h = std::clamp(h, 0, n - 1);
    if (h != home_) {
      home_ = h;
      bed_ = 0;
      scroll_home_ = true;
    }
    const int beds = static_cast<int>(data.homes[static_cast<size_t>(home_)].beds.size());
    if (KeyPressed(keys::kJ)) bed_ = std::min(bed_ + 1, beds - 1);
    if (KeyPressed(keys::kK)) bed_ = std::max(bed_ - 1, 0);
  }
  const float em = ImGui::GetFontSize();
  ImGui::BeginChild("homes", ImVec2(ImGui::GetContentRegionAvail().x * 0.52f, 0), true);
  if (ImGui::BeginTable(
          "homes_t", 6,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Home", ImGuiTableColumnFlags_WidthStretch, 3.0f);
    ImGui::TableSetupColumn("District", ImGuiTableColumnFlags_WidthStretch, 1.6f);
    const char* short_names[] = {"Vac", "Held", "Occ", "N/A"};
    for (const char* s : short_names) ImGui::TableSetupColumn(s, ImGuiTableColumnFlags_WidthFixed, em * 2.2f);
    ImGui::TableHeadersRow();
    for (size_t i = 0; i < data.homes.size(); ++i) {
      const HomeView& home = data.homes[i];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(static_cast<int>(i));
      const std::string label = home.closed ? home.name + "  (closed)" : home.name;
      if (SelectableFit(label, static_cast<int>(i) == home_, ImGuiSelectableFlags_SpanAllColumns)) {
        home_ = static_cast<int>(i);
        bed_ = 0;
      }
      if (scroll_home_ && static_cast<int>(i) == home_) {
        ImGui::SetScrollHereY(0.3f);
        scroll_home_ = false;
      }
      ImGui::PopID();
      ImGui::TableNextColumn();
      TextFit(home.district);
      StatusCounts(home.by_status);
    }
    ImGui::EndTable();
  }
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("beds", ImVec2(0, 0), true);
  DrawBeds(ctx, data.homes[static_cast<size_t>(home_)]);
  ImGui::EndChild();
}

void CapacityPanel::SetBedStatus(PanelContext& ctx, const HomeView& home, const BedView& bed,
                                 BedStatus status) {
  // A command, not a row: app/core refuses what the workflow does not allow (a held bed, a bed a placement
  // takes today) and says why.
  ctx.commands.Push(cmd::SetBedStatus{
      .bed_id = bed.id,
      .status = std::string(ToString(status)),
      .reason = status == BedStatus::kUnavailable ? "other" : "",
      .message = "Room " + bed.room + " at " + home.name + " marked " + std::string(ToString(status))});
}

void CapacityPanel::DrawBeds(PanelContext& ctx, const HomeView& home) {
  ImGui::TextUnformatted(home.name.c_str());
  ImGui::TextDisabled("%s  %s  |  %s  |  CQC: %s", home.district.c_str(), home.postcode.c_str(),
                      std::string(ToString(home.registration)).c_str(),
                      std::string(core::RatingWords(home.rating)).c_str());
  // Admissions, for the whole home.
  if (home.closed) {
    ImGui::TextColored(ErrorTextColour(), "Closed to admissions: %s", home.closed_note.c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("Reopen")) {
      ctx.commands.Push(cmd::SetAdmissions{
          .provider_id = home.id, .close = false, .message = home.name + " reopened to admissions"});
    }
  } else {
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 7);
    const char* reasons[] = {"other", "outbreak", "quality", "staffing"};
    static_assert(static_cast<int>(ClosureReason::kOther) == 4);
    ImGui::Combo("##reason", &close_reason_, reasons, 4);
    ImGui::SameLine();
    if (ImGui::SmallButton("Close to admissions")) {
      ctx.commands.Push(cmd::SetAdmissions{.provider_id = home.id,
                                           .close = true,
                                           .reason = reasons[close_reason_],
                                           .message = home.name + " closed to admissions"});
    }
  }
  ImGui::Separator();
  if (home.beds.empty()) return;
  bed_ = std::clamp(bed_, 0, static_cast<int>(home.beds.size()) - 1);
  const BedView& sel = home.beds[static_cast<size_t>(bed_)];
  auto release = [&] {
    ctx.commands.Push(cmd::Release{.bed_id = sel.id, .label = "room " + sel.room + " at " + home.name});
  };
  if (!ctx.typing) {
    if (KeyPressed(keys::kV)) SetBedStatus(ctx, home, sel, BedStatus::kVacant);
    if (KeyPressed(keys::kU)) SetBedStatus(ctx, home, sel, BedStatus::kUnavailable);
    if (KeyPressed(keys::kO)) SetBedStatus(ctx, home, sel, BedStatus::kOccupied);
    if (KeyPressed(keys::kR) && sel.status == BedStatus::kHeld) release();
  }
  ImGui::TextDisabled("Selected room %s:", sel.room.c_str());
  SameLineIfRoom(ButtonWidth("Vacant (V)"));
  if (ImGui::SmallButton("Vacant (V)")) SetBedStatus(ctx, home, sel, BedStatus::kVacant);
  SameLineIfRoom(ButtonWidth("Occupied (O)"));
  if (ImGui::SmallButton("Occupied (O)")) SetBedStatus(ctx, home, sel, BedStatus::kOccupied);
  SameLineIfRoom(ButtonWidth("Unavailable (U)"));
  if (ImGui::SmallButton("Unavailable (U)")) SetBedStatus(ctx, home, sel, BedStatus::kUnavailable);
  if (sel.status == BedStatus::kHeld) {
    SameLineIfRoom(ButtonWidth("Release hold (R)"));
    if (ImGui::SmallButton("Release hold (R)")) release();
  }
  if (ImGui::BeginTable(
          "beds_t", 5, ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Room", ImGuiTableColumnFlags_WidthStretch, 0.7f);
    ImGui::TableSetupColumn("Category", ImGuiTableColumnFlags_WidthStretch, 1.6f);
    ImGui::TableSetupColumn("Contract", ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableSetupColumn("Weekly", ImGuiTableColumnFlags_WidthStretch, 0.8f);
    ImGui::TableSetupColumn("Status", ImGuiTableColumnFlags_WidthStretch, 3.0f);
    ImGui::TableHeadersRow();
    for (size_t i = 0; i < home.beds.size(); ++i) {
      const BedView& b = home.beds[i];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(static_cast<int>(i));
      if (SelectableFit(b.room, static_cast<int>(i) == bed_ || b.id == focused_bed_,
                        ImGuiSelectableFlags_SpanAllColumns)) {
        bed_ = static_cast<int>(i);
      }
      ImGui::PopID();
      ImGui::TableNextColumn();
      TextFit(ToString(b.category));
      ImGui::TableNextColumn();
      if (b.contract == ContractType::kBlock && b.tier != BlockTier::kNone) {
        TextFit("block " + std::string(ToString(b.tier)));
      } else {
        TextFit(ToString(b.contract));
      }
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(Pounds(b.weekly_rate_pence).c_str());
      ImGui::TableNextColumn();
      std::string status;
      switch (b.status) {
        case BedStatus::kVacant:
          status = b.status_since.empty() ? "vacant" : "vacant since " + b.status_since;
          break;
        case BedStatus::kHeld:
          status = "HELD for " + (b.held_for.empty() ? std::string("a referral") : b.held_for) + " until " +
                   b.held_until;
          break;
        case BedStatus::kOccupied:
          status = "occupied";
          break;
        case BedStatus::kUnavailable:
          status = "unavailable (" + std::string(ToString(b.unavailable_reason)) + ")";
          break;
      }
      TextFit(status, BedStatusColour(b.status));
    }
    ImGui::EndTable();
  }
}

void CapacityPanel::DrawHomecare(PanelContext& ctx, const CapacityData& data) {
  if (data.zones.empty()) {
    EmptyState("No homecare hours recorded.", "Import homecare returns with `berth import homecare FILE`.");
    return;
  }
  ImGui::TextDisabled(
      "Free carer hours per week by zone and time band (double-up capable hours in brackets). "
      "%d homecare agencies.",
      data.agencies);
  if (ImGui::BeginTable("homecare_t", 7,
                        ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY,
                        ImVec2(0, ImGui::GetContentRegionAvail().y * 0.45f))) {
    ImGui::TableSetupScrollFreeze(1, 1);
    ImGui::TableSetupColumn("Zone");
    for (size_t b = 0; b < EnumCount<TimeBand>(); ++b)
      ImGui::TableSetupColumn(ToString(static_cast<TimeBand>(b)).data());
    ImGui::TableSetupColumn("Total");
    ImGui::TableHeadersRow();
    for (size_t z = 0; z < data.zones.size(); ++z) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(data.zones[z].c_str());
      double total = 0;
      for (size_t b = 0; b < 5; ++b) {
        const HomecareCell& c = data.zone_hours[z][b];
        ImGui::TableNextColumn();
        total += c.hours;
        if (c.hours <= 0) {
          ImGui::TextDisabled("-");
        } else {
          ImGui::Text("%.1f (%.1f)", c.hours, c.double_up_hours);
        }
      }
      ImGui::TableNextColumn();
      ImGui::Text("%.1f", total);
    }
    ImGui::EndTable();
  }
  DrawHomecareRows(ctx, data);
}

void CapacityPanel::DrawHomecareRows(PanelContext& ctx, const CapacityData& data) {
  ImGui::TextDisabled("Each agency's return, editable: hours per week and double-up, saved with Save.");
  if (!ImGui::BeginTable(
          "homecare_rows", 6,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp)) {
    return;
  }
  const float em = ImGui::GetFontSize();
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("Agency", ImGuiTableColumnFlags_WidthStretch, 2.0f);
  ImGui::TableSetupColumn("Zone", ImGuiTableColumnFlags_WidthStretch, 1.2f);
  ImGui::TableSetupColumn("Band", ImGuiTableColumnFlags_WidthFixed, em * 4);
  ImGui::TableSetupColumn("Hours a week", ImGuiTableColumnFlags_WidthFixed, em * 7);
  ImGui::TableSetupColumn("Double-up", ImGuiTableColumnFlags_WidthFixed, em * 5);
  ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthFixed, em * 4);
  ImGui::TableHeadersRow();
  ImGuiListClipper clipper;
  clipper.Begin(static_cast<int>(data.homecare_rows.size()));
  while (clipper.Step()) {
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const HomecareRowView& r = data.homecare_rows[static_cast<size_t>(i)];
      // Only rows the broker touched keep an edit; the rest always show what the store holds.
      auto found = hours_edits_.find(r.id);
      std::pair<double, bool> edit =
          found != hours_edits_.end() ? found->second : std::pair(r.hours, r.double_up);
      ImGui::PushID(r.id.c_str());
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      TextFit(r.agency);
      ImGui::TableNextColumn();
      TextFit(r.zone);
      ImGui::TableNextColumn();
      TextFit(ToString(r.band));
      ImGui::TableNextColumn();
      ImGui::SetNextItemWidth(-1);
      bool touched = ImGui::InputDouble("##hours", &edit.first, 0, 0, "%.1f");
      ImGui::TableNextColumn();
      touched = ImGui::Checkbox("##double_up", &edit.second) || touched;
      if (touched) hours_edits_[r.id] = edit;
      ImGui::TableNextColumn();
      const bool changed = edit.first != r.hours || edit.second != r.double_up;
      ImGui::BeginDisabled(!changed);
      if (ImGui::SmallButton("Save")) {
        ctx.commands.Push(cmd::SetHomecareHours{
            .capacity_id = r.id, .hours = fmt::format("{:g}", edit.first), .double_up = edit.second});
        hours_edits_.erase(r.id);  // the saved row is read back from the store
      }
      ImGui::EndDisabled();
      ImGui::PopID();
    }
  }
  ImGui::EndTable();
}

}  // namespace berth::ui

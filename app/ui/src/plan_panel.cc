// The plan screen (Ctrl+4): the huddle plan for the whole queue, each allocation with why, and accept.

#include "plan_panel.h"

#include <imgui.h>

#include <algorithm>

#include "keys.h"
#include "theme.h"

namespace berth::ui {

void PlanPanel::Draw(PanelContext& ctx) {
  const PlanData& plan = ctx.data.plan;
  if (!plan.matched) {
    EmptyState(
        "The huddle plan is not available in this build yet.",
        "The plan allocates the whole queue at once (fewest delay days, voids filled first). It needs the "
        "matching engine, which is not part of this build; nothing is guessed here in the meantime.");
    return;
  }
  const int n = static_cast<int>(plan.allocations.size());
  selected_ = std::clamp(selected_, 0, std::max(0, n - 1));
  auto accept = [&](const std::string& referral_id) { ctx.commands.Push(cmd::AcceptPlan{referral_id}); };
  if (!ctx.typing && n > 0) {
    if (KeyPressed(keys::kDown) || KeyPressed(keys::kJ)) selected_ = std::min(selected_ + 1, n - 1);
    if (KeyPressed(keys::kUp) || KeyPressed(keys::kK)) selected_ = std::max(selected_ - 1, 0);
    const ImGuiIO& io = ImGui::GetIO();
    if (ImGui::IsKeyPressed(keys::kA, false) && !io.KeyCtrl) {
      accept(io.KeyShift ? "" : plan.allocations[static_cast<size_t>(selected_)].referral_id);
    }
  }
  ImGui::AlignTextToFramePadding();
  ImGui::Text("%d allocations, %zu unplaced", n, plan.unplaced.size());
  ImGui::SameLine();
  ImGui::BeginDisabled(n == 0);
  if (ImGui::Button("Accept all (Shift+A)")) accept("");
  ImGui::EndDisabled();
  // The totals are long (beds, hours, cost): a line of their own, wrapped, rather than pushing the button
  // off.
  TextWrappedDisabled(plan.totals);
  const float unplaced_h = plan.unplaced.empty() ? 0 : ImGui::GetFontSize() * 8;
  if (ImGui::BeginTable("plan_t", 5,
                        ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp,
                        ImVec2(0, -unplaced_h))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Referral", ImGuiTableColumnFlags_WidthStretch, 1.2f);
    ImGui::TableSetupColumn("Goes to", ImGuiTableColumnFlags_WidthStretch, 1.8f);
    ImGui::TableSetupColumn("Fit", ImGuiTableColumnFlags_WidthStretch, 0.4f);
    ImGui::TableSetupColumn("Why", ImGuiTableColumnFlags_WidthStretch, 2.2f);
    ImGui::TableSetupColumn("", ImGuiTableColumnFlags_WidthStretch, 0.5f);
    ImGui::TableHeadersRow();
    for (int i = 0; i < n; ++i) {
      const PlanAllocation& a = plan.allocations[static_cast<size_t>(i)];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(i);
      if (SelectableFit(a.referral_name, i == selected_,
                        ImGuiSelectableFlags_SpanAllColumns | ImGuiSelectableFlags_AllowItemOverlap)) {
        selected_ = i;
      }
      ImGui::TableNextColumn();
      TextFit(a.option.kind == "bed"
                  ? a.option.provider_name + ", room " + a.option.room + " (" + a.option.contract + ")"
                  : a.option.provider_name + ", " + a.option.zone + " " + a.option.bands);
      ImGui::TableNextColumn();
      ImGui::Text("%d", a.option.fit);
      if (ImGui::IsItemHovered()) ImGui::SetTooltip("fit %d/100 (score %.1f)", a.option.fit, a.option.score);
      ImGui::TableNextColumn();
      ImGui::TextWrapped("%s", a.reason.c_str());
      ImGui::TableNextColumn();
      if (ImGui::SmallButton(i == selected_ ? "Accept (A)" : "Accept")) accept(a.referral_id);
      ImGui::PopID();
    }
    ImGui::EndTable();
  }
  if (!plan.unplaced.empty()) {
    ImGui::BeginChild("unplaced", ImVec2(0, 0), true);
    ImGui::TextUnformatted("Not placed by this plan");
    for (const PlanData::Unplaced& u : plan.unplaced) {
      ImGui::Bullet();
      ImGui::TextWrapped("%s: %s", u.name.c_str(), u.reason.c_str());
    }
    ImGui::EndChild();
  }
}

}  // namespace berth::ui

// The case panel (Ctrl+9): the selected referral's case log, its notes and chase reminders.

#include "case_panel.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cctype>

#include "berth/core/case_log.h"
#include "theme.h"

namespace berth::ui {

namespace {
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

void CasePanel::Clear() {
  text_.clear();
  due_.clear();
  filter_.clear();
  kind_ = 0;
}

void CasePanel::Draw(PanelContext& ctx) {
  const Workspace& ws = ctx.data;
  if (ws.selected_referral.empty()) {
    EmptyState("No referral selected.",
               "Pick a referral on the huddle board (Ctrl+1), then open its case here.");
    return;
  }
  const CaseData& c = ws.case_data;
  if (!c.loaded || c.referral_id != ws.selected_referral) {
    ImGui::TextDisabled("Opening the case...");
    return;
  }
  ImGui::Text("%s", c.referral_name.c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("|  %s  |  %zu offers  |  %zu open reminders", ToString(c.status).data(),
                      c.offers.size(), c.reminders.size());
  if (ImGui::CollapsingHeader("Offers", ImGuiTreeNodeFlags_DefaultOpen)) {
    offers_.Draw(ctx, c.offers);
    ImGui::TextDisabled("Send new offers from the match view (Ctrl+3): choose options with Space, then O.");
  }
  if (!c.reminders.empty() && ImGui::CollapsingHeader("Reminders", ImGuiTreeNodeFlags_DefaultOpen)) {
    const std::string now = core::WorkflowTime::Now().now_iso;
    for (size_t i = 0; i < c.reminders.size(); ++i) {
      const ReferralNote& n = c.reminders[i];
      ImGui::PushID(static_cast<int>(i));
      const bool due = n.due_at <= now;
      if (due) {
        Chip("DUE", DangerColour());
        ImGui::SameLine();
      }
      ImGui::Text("%s  %s", core::CaseTime(n.due_at).c_str(), n.text.c_str());
      ImGui::SameLine();
      if (ImGui::SmallButton("Done")) ctx.commands.Push(cmd::ReminderDone{n.id});
      ImGui::PopID();
    }
  }
  DrawAdd(ctx, c);
  DrawLog(c);
}

void CasePanel::DrawAdd(PanelContext& ctx, const CaseData& c) {
  ImGui::Separator();
  ImGui::RadioButton("Note", &kind_, 0);
  ImGui::SameLine();
  ImGui::RadioButton("Call", &kind_, 1);
  ImGui::SameLine();
  ImGui::RadioButton("Chase reminder", &kind_, 2);
  if (kind_ == 2) {
    ImGui::SameLine();
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 12);
    ImGui::InputTextWithHint("##due", "due: YYYY-MM-DD", &due_);
  }
  ImGui::SetNextItemWidth(-ImGui::GetFontSize() * 6);
  ImGui::InputTextWithHint("##text", kind_ == 1 ? "who rang whom, what was said" : "what to note", &text_);
  ImGui::SameLine();
  ImGui::BeginDisabled(text_.empty() || (kind_ == 2 && due_.empty()));
  if (ImGui::Button("Add")) {
    static const char* kKinds[] = {"note", "call", "reminder"};
    ctx.commands.Push(cmd::AddNote{
        .referral_id = c.referral_id, .kind = kKinds[kind_], .text = text_, .due = kind_ == 2 ? due_ : ""});
    text_.clear();
    due_.clear();
  }
  ImGui::EndDisabled();
}

void CasePanel::DrawLog(const CaseData& c) {
  ImGui::Separator();
  ImGui::Text("Case log (%zu)", c.log.size());
  ImGui::SameLine();
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 16);
  ImGui::InputTextWithHint("##filter", "search the log", &filter_);
  const std::string needle = Lower(filter_);
  ImGui::BeginChild("case_log", ImVec2(0, 0), true);
  // Newest first: the last step is what the huddle asks about.
  for (auto it = c.log.rbegin(); it != c.log.rend(); ++it) {
    const std::string line = core::CaseLine(*it);
    if (!needle.empty() && Lower(line).find(needle) == std::string::npos) continue;
    const bool people = it->kind == "note" || it->kind == "call" || it->kind == "reminder";
    if (people) {
      ImGui::TextWrapped("%s", line.c_str());
    } else {
      ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
      ImGui::TextWrapped("%s", line.c_str());
      ImGui::PopStyleColor();
    }
  }
  ImGui::EndChild();
}

}  // namespace berth::ui

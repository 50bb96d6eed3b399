// The sync screen: hub, last sync, pending changes and conflicts.

#include "sync_panel.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <string>

#include "keys.h"
#include "theme.h"

namespace berth::ui {

void SyncPanel::Draw(PanelContext& ctx) {
  const SyncData& s = ctx.data.sync;
  ImGui::TextUnformatted("Sync status");
  ImGui::Separator();
  if (!s.loaded) {
    ImGui::TextDisabled("Reading...");
    return;
  }
  if (!s.enrolled) {
    EmptyState(
        "This device is not enrolled with a hub.",
        "Every change made here waits in this device's encrypted outbox, ready to send. Enrol with the "
        "hub's address and a one-time code from its administrator; then this panel syncs on demand "
        "(Ctrl+Y) and shows what happened.");
    ImGui::Text("Waiting to send: %lld changes", static_cast<long long>(s.pending));
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 16);
    ImGui::InputTextWithHint("Hub address", "https://hub.example.gov.uk", &hub_url_);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 16);
    ImGui::InputTextWithHint("One-time code", "from the hub administrator", &code_,
                             ImGuiInputTextFlags_Password);
    ImGui::BeginDisabled(hub_url_.empty() || code_.empty());
    if (ImGui::Button("Enrol this device")) {
      ctx.commands.Push(cmd::Enroll{.hub_url = hub_url_, .code = code_});
      code_.clear();  // a one-time code is not kept on screen
    }
    ImGui::EndDisabled();
  } else {
    ImGui::Text("Hub: %s", s.hub_url.c_str());
    ImGui::TextDisabled("Role %s, scope %s", s.role.c_str(), s.scope.c_str());
    ImGui::Text("Waiting to send: %lld changes", static_cast<long long>(s.pending));
    ImGui::Text("Last sync: %s",
                ctx.data.last_sync.empty() ? "not this session" : ctx.data.last_sync.c_str());
    if (ImGui::Button("Sync now (Ctrl+Y)")) ctx.commands.Push(cmd::SyncNow{});
  }
  ImGui::Spacing();
  ImGui::Text("Conflicts inbox (%zu)", s.conflicts.size());
  ImGui::Separator();
  if (s.conflicts.empty()) {
    EmptyState(
        "No conflicts.",
        "When the hub refuses a claim made on this device (for example a bed another broker booked "
        "first), it appears here with the hub's reason, to re-broker. Nothing refused is ever dropped.");
    return;
  }
  if (!ctx.typing) {
    const int n = static_cast<int>(s.conflicts.size());
    if (KeyPressed(keys::kDown) && selected_ + 1 < n) ++selected_;
    if (KeyPressed(keys::kUp) && selected_ > 0) --selected_;
  }
  selected_ = std::clamp(selected_, 0, std::max(0, static_cast<int>(s.conflicts.size()) - 1));
  const ConflictView& sel = s.conflicts[static_cast<size_t>(selected_)];
  ImGui::BeginDisabled(sel.referral_id.empty() || sel.referral_name.empty());
  if (ImGui::Button("Re-broker the selected person (Enter)") ||
      (!ctx.typing && KeyPressed(keys::kEnter) && !sel.referral_name.empty())) {
    ctx.commands.Push(cmd::SelectReferral{sel.referral_id});
    ctx.commands.Push(cmd::ShowPanel{PanelId::kMatch});
  }
  ImGui::EndDisabled();
  // Resolving: a note saying what was done (it goes into the person's case log), then the button.
  ImGui::BeginDisabled(sel.resolved);
  ImGui::SetNextItemWidth(ImGui::GetFontSize() * 24);
  ImGui::InputTextWithHint("##resolution", "how it was resolved, e.g. re-brokered to another home", &note_);
  SameLineIfRoom(ButtonWidth("Mark resolved"));
  ImGui::BeginDisabled(note_.find_first_not_of(' ') == std::string::npos);
  if (ImGui::Button("Mark resolved")) {
    ctx.commands.Push(cmd::ResolveConflict{.conflict_id = std::to_string(sel.id), .note = note_});
    note_.clear();
  }
  ImGui::EndDisabled();
  ImGui::EndDisabled();
  if (ImGui::BeginTable(
          "conflicts", 4,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("When", ImGuiTableColumnFlags_WidthStretch, 0.8f);
    ImGui::TableSetupColumn("Claim", ImGuiTableColumnFlags_WidthStretch, 0.8f);
    ImGui::TableSetupColumn("Person", ImGuiTableColumnFlags_WidthStretch, 1.0f);
    ImGui::TableSetupColumn("The hub's reason", ImGuiTableColumnFlags_WidthStretch, 3.0f);
    ImGui::TableHeadersRow();
    for (size_t i = 0; i < s.conflicts.size(); ++i) {
      const ConflictView& c = s.conflicts[i];
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::PushID(static_cast<int>(i));
      if (SelectableFit(c.when, static_cast<int>(i) == selected_, ImGuiSelectableFlags_SpanAllColumns)) {
        selected_ = static_cast<int>(i);
      }
      ImGui::PopID();
      ImGui::TableNextColumn();
      TextFit(c.claim);
      ImGui::TableNextColumn();
      TextFit(c.referral_name.empty() ? "-" : c.referral_name);
      ImGui::TableNextColumn();
      if (c.resolved) {
        TextWrappedDisabled("[resolved] " + c.reason);
      } else {
        ImGui::TextWrapped("%s", c.reason.c_str());
      }
    }
    ImGui::EndTable();
  }
}

}  // namespace berth::ui

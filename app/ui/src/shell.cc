#include "shell.h"

#include <imgui.h>

#include "keys.h"

namespace berth::ui {

Shell::Shell(std::string store_dir, std::string actor) : session_(std::move(store_dir), std::move(actor)) {}

void Shell::Draw(double idle_seconds) {
  session_.Poll();
  if (session_.unlocked() && idle_seconds >= auto_lock_seconds_) session_.Lock();
  if (!session_.unlocked()) {
    unlock_.Draw(session_);
    return;
  }
  DrawWorkspace();
  DrawRecoveryKeyNotice(session_);
}

void Shell::DrawWorkspace() {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->WorkPos);
  ImGui::SetNextWindowSize(vp->WorkSize);
  ImGui::Begin("Workspace", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings);
  ImGui::Text("Store unlocked: %s", session_.store_dir().c_str());
  ImGui::TextDisabled("Schema version %d, device %s", session_.store()->schema_version(),
                      session_.store()->device_id().c_str());
  ImGui::Separator();
  ImGui::TextWrapped("The huddle board, matching and capacity panels are not built yet.");
  if (ImGui::Button("Lock (Ctrl+L)") || (ImGui::GetIO().KeyCtrl && ImGui::IsKeyPressed(keys::kL, false))) {
    session_.Lock();
  }
  ImGui::End();
}

}  // namespace berth::ui

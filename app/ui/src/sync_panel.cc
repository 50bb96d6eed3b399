#include "sync_panel.h"

#include <imgui.h>

namespace berth::ui {

void SyncPanel::Draw(PanelContext& ctx) {
  (void)ctx;
  ImGui::TextUnformatted("Sync status");
  ImGui::Separator();
  EmptyState(
      "This device is not enrolled with a hub.",
      "Every change made here is kept in this device's encrypted outbox, ready to send. Once sync is set up "
      "(enrol with a one-time code from the hub administrator), this panel shows the last sync, what is "
      "waiting to go, and progress while a sync runs.");
  ImGui::Spacing();
  ImGui::TextUnformatted("Conflicts inbox");
  ImGui::Separator();
  EmptyState(
      "No conflicts.",
      "When the hub refuses a claim made on this device (for example, a bed another broker booked first), it "
      "appears here to act on. Nothing has been refused: nothing has been sent yet.");
}

}  // namespace berth::ui

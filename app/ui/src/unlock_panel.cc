// The unlock and create-store screens: passphrase entry, never echoed or kept after unlock.

#include "unlock_panel.h"

#include <imgui.h>
#include <sodium.h>

#include <cstring>

#include "berth/schema/passphrase.h"
#include "panel.h"

namespace berth::ui {

namespace {
void CenteredWindow(const char* name, float width) {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(
      ImVec2(vp->WorkPos.x + vp->WorkSize.x * 0.5f, vp->WorkPos.y + vp->WorkSize.y * 0.4f), ImGuiCond_Always,
      ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowSize(ImVec2(width * ImGui::GetFontSize(), 0));
  ImGui::Begin(name, nullptr,
               ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize |
                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_AlwaysAutoResize);
}

bool PasswordField(const char* label, std::array<char, 256>& buf, bool focus) {
  if (focus) ImGui::SetKeyboardFocusHere();
  ImGui::SetNextItemWidth(-1);
  return ImGui::InputTextWithHint(label, "passphrase", buf.data(), buf.size(),
                                  ImGuiInputTextFlags_Password | ImGuiInputTextFlags_EnterReturnsTrue);
}

void ErrorText(const std::string& text) {
  if (text.empty()) return;
  ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(0.85f, 0.2f, 0.2f, 1));
  ImGui::TextWrapped("%s", text.c_str());
  ImGui::PopStyleColor();
}
}  // namespace

void UnlockPanel::ClearFields() {
  sodium_memzero(passphrase_.data(), passphrase_.size());
  sodium_memzero(confirm_.data(), confirm_.size());
  sodium_memzero(recovery_.data(), recovery_.size());
}

void UnlockPanel::Draw(WindowSession& s) {
  if (!s.store_exists() && mode_ != Mode::kCreate) {
    mode_ = Mode::kCreate;
    focus_ = true;
  }
  CenteredWindow("Berth", 28);
  ImGui::TextDisabled("Placement brokerage for adult social care");
  ImGui::Separator();
  ImGui::TextWrapped("Store: %s", s.store_dir().c_str());
  ImGui::Spacing();
  switch (mode_) {
    case Mode::kUnlock:
      DrawUnlock(s);
      break;
    case Mode::kCreate:
      DrawCreate(s);
      break;
    case Mode::kRecover:
      DrawRecover(s);
      break;
  }
  if (s.busy()) {
    ImGui::TextDisabled("Working... (deriving the key takes about half a second)");
  }
  // The courier keeps syncing sealed changes while locked; what it last did is no secret.
  const sync::AutoSyncStatus courier = s.auto_sync().status();
  if (courier.locked && courier.attempts > 0 && !courier.last_result.empty()) {
    TextWrappedDisabled("Sync while locked: " + courier.last_result);
  }
  ErrorText(local_error_.empty() ? s.error() : local_error_);
  ImGui::End();
}

void UnlockPanel::DrawUnlock(WindowSession& s) {
  ImGui::TextUnformatted("Enter the passphrase to unlock this store.");
  const bool enter = PasswordField("##passphrase", passphrase_, focus_);
  focus_ = false;
  ImGui::BeginDisabled(s.busy());
  if ((ImGui::Button("Unlock") || enter) && passphrase_[0] != '\0') {
    local_error_.clear();
    s.BeginUnlock(Secret(std::string_view(passphrase_.data())));
    ClearFields();
    focus_ = true;
  }
  ImGui::SameLine();
  if (ImGui::Button("Forgotten it? Use the recovery key")) {
    mode_ = Mode::kRecover;
    focus_ = true;
    ClearFields();
  }
  ImGui::EndDisabled();
}

void UnlockPanel::DrawCreate(WindowSession& s) {
  ImGui::TextWrapped(
      "There is no store here yet. Choose a passphrase to create one: everything Berth keeps on this device "
      "is encrypted with it.");
  PasswordField("##new", passphrase_, focus_);
  focus_ = false;
  ImGui::SetNextItemWidth(-1);
  const bool enter =
      ImGui::InputTextWithHint("##confirm", "repeat the passphrase", confirm_.data(), confirm_.size(),
                               ImGuiInputTextFlags_Password | ImGuiInputTextFlags_EnterReturnsTrue);
  ImGui::BeginDisabled(s.busy());
  if (ImGui::Button("Create store") || enter) {
    if (Status weak = CheckNewPassphrase(Secret(std::string_view(passphrase_.data()))); !weak.ok()) {
      local_error_ = weak.message();
    } else if (std::strcmp(passphrase_.data(), confirm_.data()) != 0) {
      local_error_ = "The two passphrases differ.";
    } else {
      local_error_.clear();
      s.BeginCreate(Secret(std::string_view(passphrase_.data())));
      ClearFields();
    }
  }
  ImGui::EndDisabled();
  if (s.store_exists() && ImGui::Button("Back")) mode_ = Mode::kUnlock;
}

void UnlockPanel::DrawRecover(WindowSession& s) {
  ImGui::TextWrapped("Type the recovery key you were shown when the store was made, and a new passphrase.");
  if (focus_) ImGui::SetKeyboardFocusHere();
  focus_ = false;
  ImGui::SetNextItemWidth(-1);
  ImGui::InputTextWithHint("##recovery", "xxxxxxxx-xxxxxxxx-...", recovery_.data(), recovery_.size());
  PasswordField("##newpass", passphrase_, false);
  ImGui::BeginDisabled(s.busy());
  if (ImGui::Button("Set new passphrase") && passphrase_[0] != '\0') {
    if (Status weak = CheckNewPassphrase(Secret(std::string_view(passphrase_.data()))); !weak.ok()) {
      local_error_ = weak.message();
    } else {
      local_error_.clear();
      s.BeginRecover(Secret(std::string_view(recovery_.data())),
                     Secret(std::string_view(passphrase_.data())));
      ClearFields();
    }
  }
  ImGui::SameLine();
  if (ImGui::Button("Back")) {
    mode_ = Mode::kUnlock;
    focus_ = true;
  }
  ImGui::EndDisabled();
}

void DrawRecoveryKeyNotice(WindowSession& s) {
  if (s.recovery_key().empty()) return;
  ImGui::OpenPopup("Recovery key");
  if (ImGui::BeginPopupModal("Recovery key", nullptr, ImGuiWindowFlags_AlwaysAutoResize)) {
    ImGui::TextWrapped(
        "Write this recovery key down and keep it away from this laptop. It is shown only now.");
    ImGui::Separator();
    ImGui::TextUnformatted(s.recovery_key().view().data(),
                           s.recovery_key().view().data() + s.recovery_key().size());
    ImGui::Separator();
    if (ImGui::Button("I have written it down")) {
      s.AcknowledgeRecoveryKey();
      ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
  }
}

}  // namespace berth::ui

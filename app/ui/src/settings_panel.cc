// The settings screen: the store's settings with their meaning, validated by the settings schema.

#include "settings_panel.h"

#include <imgui.h>
#include <imgui_stdlib.h>

#include <fmt/format.h>

#include <cstdlib>

#include "berth/schema/settings.h"
#include "theme.h"

namespace berth::ui {

namespace {
// "" when the value is acceptable for the key, else why not: the settings schema decides
// (berth/schema/settings.h), as it does in the store, the CLI and the hub.
std::string SettingProblem(const std::string& key, const std::string& value) {
  const Status st = ValidateSetting(key, value);
  if (st.ok()) return "";
  const std::string& why = st.message();
  const size_t at = why.find(" must be ");
  return at == std::string::npos ? why : why.substr(at + 9, why.find(" (got") - at - 9);
}
}  // namespace

void SettingsPanel::Draw(PanelContext& ctx) {
  const SettingsData& s = ctx.data.settings;
  if (!s.loaded) {
    ImGui::TextDisabled("Loading settings...");
    return;
  }
  ImGui::TextWrapped(
      "Your preferences (theme, font size, reduced motion) stay on this device and are never synced. The "
      "other settings are kept in the encrypted store and apply to everyone who syncs with it. A value is "
      "saved when you press Enter or leave the field.");
  ImGui::Spacing();
  auto save = [&](const char* key, const char* value) {
    ctx.commands.Push(cmd::SaveSetting{.key = key, .value = value});
  };
  const std::string theme = s.Get("ui.theme", "light");
  ImGui::TextUnformatted("Theme");
  ImGui::SameLine(ImGui::GetFontSize() * 18);
  const std::pair<const char*, const char*> themes[] = {
      {"Light", "light"}, {"Dark", "dark"}, {"High contrast", "high_contrast"}};
  for (const auto& [label, value] : themes) {
    if (value != themes[0].second) ImGui::SameLine();
    if (ImGui::RadioButton(label, theme == value) && theme != value) save("ui.theme", value);
  }
  bool reduced = s.Get("ui.reduced_motion", "off") == "on";
  ImGui::TextUnformatted("Reduced motion");
  ImGui::SameLine(ImGui::GetFontSize() * 18);
  if (ImGui::Checkbox("##reduced_motion", &reduced)) save("ui.reduced_motion", reduced ? "on" : "off");
  for (const EditableSetting& spec : EditableSettings()) {
    const std::string key = spec.key;
    if (key == "ui.theme" || key == "ui.reduced_motion") continue;
    std::string& text = edits_.try_emplace(key, s.Get(key, spec.fallback)).first->second;
    ImGui::TextUnformatted(spec.label);
    ImGui::SameLine(ImGui::GetFontSize() * 18);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::PushID(spec.key);
    const bool enter = ImGui::InputText("##v", &text, ImGuiInputTextFlags_EnterReturnsTrue);
    const bool left = ImGui::IsItemDeactivatedAfterEdit();
    ImGui::PopID();
    const std::string problem = SettingProblem(key, text);
    ImGui::SameLine();
    if (!problem.empty()) {
      ImGui::TextColored(ErrorTextColour(), "must be %s", problem.c_str());
    } else if (spec.help[0] != '\0') {
      ImGui::TextDisabled("%s", spec.help);
    }
    if ((enter || left) && problem.empty() && text != s.Get(key, spec.fallback)) {
      ctx.commands.Push(cmd::SaveSetting{.key = key, .value = text});
    }
  }
  ImGui::Spacing();
  ImGui::TextDisabled("Matching: scoring weights and limits (how options are ranked; see MATCHING.md)");
  for (const core::SettingInfo& info : s.match) {
    if (info.name.rfind("usual_rate.", 0) == 0 || info.name == "fnc_weekly_pence") continue;  // rates: CLI
    const std::string key = "match:" + info.name;
    std::string& text = edits_.try_emplace(key, fmt::format("{:g}", info.value)).first->second;
    ImGui::TextUnformatted(info.name.c_str());
    ImGui::SameLine(ImGui::GetFontSize() * 18);
    ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6);
    ImGui::PushID(key.c_str());
    const bool enter = ImGui::InputText("##v", &text, ImGuiInputTextFlags_EnterReturnsTrue);
    const bool left = ImGui::IsItemDeactivatedAfterEdit();
    ImGui::PopID();
    ImGui::SameLine();
    ImGui::TextDisabled("%s (default %g)", info.meaning.c_str(), info.default_value);
    if ((enter || left) && text != fmt::format("{:g}", info.value)) {
      ctx.commands.Push(cmd::SaveSetting{.key = info.name, .value = text, .matcher = true});
    }
  }
}

}  // namespace berth::ui

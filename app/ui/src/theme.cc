// The window's colour themes and sizes scaled to the display (theme.h).

#include "theme.h"

namespace berth::ui {

namespace {
bool g_dark = false;
}

bool DarkTheme() {
  return g_dark;
}

void ApplyTheme(bool dark, float scale) {
  g_dark = dark;
  ImGuiStyle style;
  if (dark) {
    ImGui::StyleColorsDark(&style);
  } else {
    ImGui::StyleColorsLight(&style);
  }
  style.WindowRounding = 0;
  style.FrameRounding = 3;
  style.GrabRounding = 3;
  style.TabRounding = 3;
  style.FramePadding = ImVec2(6, 4);
  style.ItemSpacing = ImVec2(8, 5);
  style.CellPadding = ImVec2(6, 3);
  ImVec4* c = style.Colors;
  const ImVec4 accent = dark ? ImVec4(0.30f, 0.56f, 0.90f, 1) : ImVec4(0.12f, 0.38f, 0.72f, 1);
  c[ImGuiCol_Header] = ImVec4(accent.x, accent.y, accent.z, dark ? 0.45f : 0.25f);
  c[ImGuiCol_HeaderHovered] = ImVec4(accent.x, accent.y, accent.z, dark ? 0.60f : 0.35f);
  c[ImGuiCol_HeaderActive] = ImVec4(accent.x, accent.y, accent.z, dark ? 0.75f : 0.45f);
  c[ImGuiCol_Button] = ImVec4(accent.x, accent.y, accent.z, dark ? 0.40f : 0.18f);
  c[ImGuiCol_ButtonHovered] = ImVec4(accent.x, accent.y, accent.z, dark ? 0.60f : 0.32f);
  c[ImGuiCol_CheckMark] = accent;
  if (!dark) {
    style.FrameBorderSize = 1;  // text fields must be visible on white panels
    c[ImGuiCol_FrameBg] = ImVec4(0.95f, 0.95f, 0.97f, 1);
    c[ImGuiCol_Border] = ImVec4(0.75f, 0.76f, 0.80f, 1);
    c[ImGuiCol_WindowBg] = ImVec4(0.97f, 0.97f, 0.98f, 1);
    c[ImGuiCol_ChildBg] = ImVec4(1, 1, 1, 1);
    c[ImGuiCol_TableRowBgAlt] = ImVec4(0, 0, 0, 0.03f);
  }
  style.ScaleAllSizes(scale);
  ImGui::GetStyle() = style;
}

ImU32 UrgencyColour(int64_t days_past, Priority priority) {
  if (priority == Priority::kHandBack) return IM_COL32(142, 68, 173, 255);  // purple: re-broker first
  if (days_past >= 7) return IM_COL32(192, 41, 43, 255);                    // red: a week or more delayed
  if (days_past >= 1) return IM_COL32(221, 120, 20, 255);                   // amber: delayed
  if (priority == Priority::kUrgent) return IM_COL32(200, 160, 0, 255);
  return IM_COL32(46, 139, 87, 255);  // green: not yet past the discharge-ready date
}

ImU32 BedStatusColour(BedStatus status) {
  switch (status) {
    case BedStatus::kVacant:
      return IM_COL32(46, 139, 87, 255);
    case BedStatus::kHeld:
      return IM_COL32(221, 120, 20, 255);
    case BedStatus::kOccupied:
      return IM_COL32(90, 110, 140, 255);
    case BedStatus::kUnavailable:
      return IM_COL32(150, 150, 150, 255);
  }
  return IM_COL32(150, 150, 150, 255);
}

ImU32 AccentColour() {
  return g_dark ? IM_COL32(77, 143, 230, 255) : IM_COL32(31, 97, 184, 255);
}
ImU32 MutedColour() {
  return g_dark ? IM_COL32(150, 150, 160, 255) : IM_COL32(110, 110, 120, 255);
}
ImVec4 ErrorTextColour() {
  return g_dark ? ImVec4(1.0f, 0.45f, 0.45f, 1) : ImVec4(0.78f, 0.1f, 0.1f, 1);
}
ImVec4 OkTextColour() {
  return g_dark ? ImVec4(0.45f, 0.85f, 0.55f, 1) : ImVec4(0.1f, 0.5f, 0.2f, 1);
}

}  // namespace berth::ui

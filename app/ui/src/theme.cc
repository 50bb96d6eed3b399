// The window's colour themes and sizes scaled to the display (theme.h).

#include "theme.h"

#include <cmath>

namespace berth::ui {

namespace {
Theme g_theme = Theme::kLight;

bool Dark() {
  return g_theme != Theme::kLight;
}
bool High() {
  return g_theme == Theme::kHighContrast;
}

ImVec4 Rgb(int r, int g, int b) {
  return ImVec4(static_cast<float>(r) / 255.0f, static_cast<float>(g) / 255.0f,
                static_cast<float>(b) / 255.0f, 1.0f);
}

// White on black, with one blue for selection and focus and one yellow for marks, every colour opaque so the
// contrast test sees exactly what is drawn. Every control has a white border (FrameBorderSize 1).
void HighContrastColours(ImGuiStyle& style) {
  ImVec4* c = style.Colors;
  const ImVec4 black = Rgb(0, 0, 0), white = Rgb(255, 255, 255), grey = Rgb(200, 200, 200);
  const ImVec4 blue = Rgb(0, 54, 107), blue_hover = Rgb(0, 74, 143), blue_active = Rgb(0, 96, 184);
  const ImVec4 yellow = Rgb(255, 214, 0);
  for (int i = 0; i < ImGuiCol_COUNT; ++i) c[i] = black;
  c[ImGuiCol_Text] = white;
  c[ImGuiCol_TextDisabled] = grey;
  c[ImGuiCol_Border] = white;
  c[ImGuiCol_BorderShadow] = ImVec4(0, 0, 0, 0);
  c[ImGuiCol_FrameBgHovered] = Rgb(26, 26, 64);
  c[ImGuiCol_FrameBgActive] = Rgb(38, 38, 90);
  c[ImGuiCol_ScrollbarGrab] = Rgb(160, 160, 160);
  c[ImGuiCol_ScrollbarGrabHovered] = grey;
  c[ImGuiCol_ScrollbarGrabActive] = white;
  c[ImGuiCol_CheckMark] = yellow;
  c[ImGuiCol_SliderGrab] = yellow;
  c[ImGuiCol_SliderGrabActive] = white;
  c[ImGuiCol_ButtonHovered] = blue_hover;
  c[ImGuiCol_ButtonActive] = blue_active;
  // A selected row's fill is dark enough for every coloured word to keep 4.5:1 on it; the row is also
  // marked "> " (SelectableFit), so the fill is not the only sign of the selection.
  c[ImGuiCol_Header] = blue;
  c[ImGuiCol_HeaderHovered] = blue_hover;
  c[ImGuiCol_HeaderActive] = blue_active;
  c[ImGuiCol_Separator] = white;
  c[ImGuiCol_SeparatorHovered] = yellow;
  c[ImGuiCol_SeparatorActive] = yellow;
  c[ImGuiCol_ResizeGrip] = grey;
  c[ImGuiCol_ResizeGripHovered] = yellow;
  c[ImGuiCol_ResizeGripActive] = yellow;
  c[ImGuiCol_TabHovered] = blue_hover;
  c[ImGuiCol_TabActive] = blue_active;
  c[ImGuiCol_TabUnfocusedActive] = blue_active;
  c[ImGuiCol_PlotLines] = yellow;
  c[ImGuiCol_PlotLinesHovered] = white;
  c[ImGuiCol_PlotHistogram] = blue_active;  // a progress bar's fill, with white text over it
  c[ImGuiCol_PlotHistogramHovered] = blue_hover;
  c[ImGuiCol_TableHeaderBg] = Rgb(26, 26, 26);
  c[ImGuiCol_TableBorderStrong] = white;
  c[ImGuiCol_TableBorderLight] = Rgb(160, 160, 160);
  c[ImGuiCol_TableRowBgAlt] = Rgb(20, 20, 20);
  c[ImGuiCol_TextSelectedBg] = blue_active;
  c[ImGuiCol_DragDropTarget] = yellow;
  c[ImGuiCol_NavHighlight] = yellow;
  c[ImGuiCol_NavWindowingHighlight] = white;
  c[ImGuiCol_NavWindowingDimBg] = ImVec4(0, 0, 0, 0.7f);
  c[ImGuiCol_ModalWindowDimBg] = ImVec4(0, 0, 0, 0.7f);
  style.FrameBorderSize = 1;
  style.ChildBorderSize = 1;
  style.WindowBorderSize = 1;
  style.PopupBorderSize = 1;
  style.TabBorderSize = 1;
}

double Channel(float v) {
  const double c = v;
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}
double Luminance(const ImVec4& c) {
  return 0.2126 * Channel(c.x) + 0.7152 * Channel(c.y) + 0.0722 * Channel(c.z);
}
}  // namespace

Theme ThemeFromName(std::string_view name) {
  if (name == "dark") return Theme::kDark;
  if (name == "high_contrast") return Theme::kHighContrast;
  return Theme::kLight;
}

const char* ThemeName(Theme theme) {
  switch (theme) {
    case Theme::kDark:
      return "dark";
    case Theme::kHighContrast:
      return "high_contrast";
    case Theme::kLight:
      break;
  }
  return "light";
}

Theme CurrentTheme() {
  return g_theme;
}

void ApplyTheme(Theme theme, float scale) {
  g_theme = theme;
  ImGuiStyle style;
  if (theme == Theme::kLight) {
    ImGui::StyleColorsLight(&style);
  } else {
    ImGui::StyleColorsDark(&style);
  }
  style.WindowRounding = 0;
  style.FrameRounding = 3;
  style.GrabRounding = 3;
  style.TabRounding = 3;
  style.FramePadding = ImVec2(6, 4);
  style.ItemSpacing = ImVec2(8, 5);
  style.CellPadding = ImVec2(6, 3);
  ImVec4* c = style.Colors;
  if (theme == Theme::kHighContrast) {
    HighContrastColours(style);
  } else {
    const bool dark = theme == Theme::kDark;
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
  }
  style.ScaleAllSizes(scale);
  ImGui::GetStyle() = style;
}

ImU32 UrgencyColour(int64_t days_past, Priority priority) {
  const bool hc = High();
  if (priority == Priority::kHandBack) return hc ? IM_COL32(217, 163, 255, 255) : IM_COL32(142, 68, 173, 255);
  if (days_past >= 7) return hc ? IM_COL32(255, 107, 107, 255) : IM_COL32(192, 41, 43, 255);
  if (days_past >= 1) return hc ? IM_COL32(255, 179, 71, 255) : IM_COL32(221, 120, 20, 255);
  if (priority == Priority::kUrgent) return hc ? IM_COL32(255, 225, 77, 255) : IM_COL32(200, 160, 0, 255);
  return hc ? IM_COL32(76, 224, 138, 255) : IM_COL32(46, 139, 87, 255);
}

const char* UrgencySymbol(int64_t days_past, Priority priority) {
  if (priority == Priority::kHandBack) return "<<";
  if (days_past >= 7) return "!!";
  if (days_past >= 1) return "!";
  return "";
}

ImU32 BedStatusColour(BedStatus status) {
  const bool hc = High();
  switch (status) {
    case BedStatus::kVacant:
      return hc ? IM_COL32(76, 224, 138, 255) : IM_COL32(46, 139, 87, 255);
    case BedStatus::kHeld:
      return hc ? IM_COL32(255, 179, 71, 255) : IM_COL32(221, 120, 20, 255);
    case BedStatus::kOccupied:
      return hc ? IM_COL32(159, 196, 255, 255) : IM_COL32(90, 110, 140, 255);
    case BedStatus::kUnavailable:
      break;
  }
  return hc ? IM_COL32(200, 200, 200, 255) : IM_COL32(150, 150, 150, 255);
}

ImU32 ComponentColour(size_t i) {
  static const ImU32 kColours[] = {IM_COL32(192, 41, 43, 255),  IM_COL32(221, 120, 20, 255),
                                   IM_COL32(31, 97, 184, 255),  IM_COL32(46, 139, 87, 255),
                                   IM_COL32(142, 68, 173, 255), IM_COL32(90, 110, 140, 255)};
  static const ImU32 kHigh[] = {IM_COL32(255, 107, 107, 255), IM_COL32(255, 179, 71, 255),
                                IM_COL32(108, 180, 255, 255), IM_COL32(76, 224, 138, 255),
                                IM_COL32(217, 163, 255, 255), IM_COL32(200, 200, 200, 255)};
  return High() ? kHigh[i % 6] : kColours[i % 6];
}

ImU32 WarningColour() {
  return High() ? IM_COL32(255, 179, 71, 255) : IM_COL32(221, 120, 20, 255);
}
ImU32 DangerColour() {
  return High() ? IM_COL32(255, 107, 107, 255) : IM_COL32(192, 41, 43, 255);
}
ImU32 GoodColour() {
  return High() ? IM_COL32(76, 224, 138, 255) : IM_COL32(46, 139, 87, 255);
}
ImU32 AccentColour() {
  if (High()) return IM_COL32(108, 180, 255, 255);
  return Dark() ? IM_COL32(77, 143, 230, 255) : IM_COL32(31, 97, 184, 255);
}
ImU32 MutedColour() {
  if (High()) return IM_COL32(200, 200, 200, 255);
  return Dark() ? IM_COL32(150, 150, 160, 255) : IM_COL32(110, 110, 120, 255);
}
ImVec4 ErrorTextColour() {
  if (High()) return Rgb(255, 128, 128);
  return Dark() ? ImVec4(1.0f, 0.45f, 0.45f, 1) : ImVec4(0.78f, 0.1f, 0.1f, 1);
}
ImVec4 OkTextColour() {
  if (High()) return Rgb(76, 224, 138);
  return Dark() ? ImVec4(0.45f, 0.85f, 0.55f, 1) : ImVec4(0.1f, 0.5f, 0.2f, 1);
}

ImU32 TextColourOn(ImU32 background) {
  const ImVec4 bg = ImGui::ColorConvertU32ToFloat4(background);
  return ContrastRatio(Rgb(0, 0, 0), bg) >= ContrastRatio(Rgb(255, 255, 255), bg)
             ? IM_COL32(0, 0, 0, 255)
             : IM_COL32(255, 255, 255, 255);
}

double ContrastRatio(const ImVec4& fg, const ImVec4& bg) {
  const float a = fg.w;
  const ImVec4 seen(fg.x * a + bg.x * (1 - a), fg.y * a + bg.y * (1 - a), fg.z * a + bg.z * (1 - a), 1);
  const double l1 = Luminance(seen), l2 = Luminance(bg);
  return (std::max(l1, l2) + 0.05) / (std::min(l1, l2) + 0.05);
}

std::vector<ColourPair> ThemeContrastPairs() {
  const ImVec4* c = ImGui::GetStyle().Colors;
  std::vector<ColourPair> out;
  auto blend = [](const ImVec4& top, const ImVec4& under) {
    const float a = top.w;
    return ImVec4(top.x * a + under.x * (1 - a), top.y * a + under.y * (1 - a), top.z * a + under.z * (1 - a),
                  1);
  };
  const std::pair<const char*, ImVec4> grounds[] = {
      {"WindowBg", c[ImGuiCol_WindowBg]},
      {"ChildBg", blend(c[ImGuiCol_ChildBg], c[ImGuiCol_WindowBg])},
      {"PopupBg", c[ImGuiCol_PopupBg]},
      {"FrameBg", blend(c[ImGuiCol_FrameBg], c[ImGuiCol_WindowBg])},
      {"FrameBgHovered", blend(c[ImGuiCol_FrameBgHovered], c[ImGuiCol_WindowBg])},
      {"Button", blend(c[ImGuiCol_Button], c[ImGuiCol_WindowBg])},
      {"ButtonHovered", blend(c[ImGuiCol_ButtonHovered], c[ImGuiCol_WindowBg])},
      {"ButtonActive", blend(c[ImGuiCol_ButtonActive], c[ImGuiCol_WindowBg])},
      {"Header", blend(c[ImGuiCol_Header], c[ImGuiCol_WindowBg])},
      {"HeaderHovered", blend(c[ImGuiCol_HeaderHovered], c[ImGuiCol_WindowBg])},
      {"HeaderActive", blend(c[ImGuiCol_HeaderActive], c[ImGuiCol_WindowBg])},
      {"TableHeaderBg", blend(c[ImGuiCol_TableHeaderBg], c[ImGuiCol_WindowBg])},
      {"TableRowBgAlt", blend(c[ImGuiCol_TableRowBgAlt], c[ImGuiCol_WindowBg])},
      {"TabActive", blend(c[ImGuiCol_TabActive], c[ImGuiCol_WindowBg])},
      {"TextSelectedBg", blend(c[ImGuiCol_TextSelectedBg], c[ImGuiCol_FrameBg])},
      {"PlotHistogram", blend(c[ImGuiCol_PlotHistogram], c[ImGuiCol_FrameBg])},
  };
  for (const auto& [name, bg] : grounds)
    out.push_back({std::string("Text on ") + name, c[ImGuiCol_Text], bg, 4.5});
  // Words drawn in a colour of their own, on the grounds they appear on.
  std::vector<std::pair<std::string, ImVec4>> coloured = {
      {"TextDisabled", c[ImGuiCol_TextDisabled]},
      {"error text", ErrorTextColour()},
      {"ok text", OkTextColour()},
      {"accent", ImGui::ColorConvertU32ToFloat4(AccentColour())},
      {"muted", ImGui::ColorConvertU32ToFloat4(MutedColour())},
  };
  const char* const kBeds[] = {"vacant", "held", "occupied", "unavailable"};
  for (int i = 0; i < 4; ++i) {
    coloured.push_back({std::string("bed status ") + kBeds[i],
                        ImGui::ColorConvertU32ToFloat4(BedStatusColour(static_cast<BedStatus>(i)))});
  }
  for (const auto& [name, fg] : coloured) {
    for (const char* ground : {"WindowBg", "ChildBg", "TableRowBgAlt", "Header"}) {
      for (const auto& [gname, bg] : grounds) {
        if (std::string_view(gname) == ground) out.push_back({name + " on " + gname, fg, bg, 4.5});
      }
    }
  }
  // Labels on filled chips and the urgency, status and score marks themselves (3:1 against the ground).
  const ImVec4 child = grounds[1].second;
  std::vector<std::pair<std::string, ImU32>> marks = {
      {"warning", WarningColour()}, {"danger", DangerColour()}, {"good", GoodColour()}};
  const Priority kPriorities[] = {Priority::kRoutine, Priority::kUrgent, Priority::kHandBack};
  for (Priority p : kPriorities) {
    for (int64_t days : {-1, 1, 7}) marks.push_back({"urgency mark", UrgencyColour(days, p)});
  }
  for (size_t i = 0; i < 6; ++i)
    marks.push_back({"score component " + std::to_string(i), ComponentColour(i)});
  for (const auto& [name, colour] : marks) {
    const ImVec4 fill = ImGui::ColorConvertU32ToFloat4(colour);
    out.push_back({name + " on ChildBg", fill, child, 3.0});
    out.push_back({"chip text on " + name, ImGui::ColorConvertU32ToFloat4(TextColourOn(colour)), fill, 4.5});
  }
  // The parts of controls: borders, check marks, grabs, separators and focus against what is around them.
  out.push_back({"Border on WindowBg", c[ImGuiCol_Border], c[ImGuiCol_WindowBg], 3.0});
  out.push_back({"Border on ChildBg", c[ImGuiCol_Border], child, 3.0});
  out.push_back({"CheckMark on FrameBg", c[ImGuiCol_CheckMark], grounds[3].second, 3.0});
  out.push_back({"SliderGrab on FrameBg", c[ImGuiCol_SliderGrab], grounds[3].second, 3.0});
  out.push_back({"ScrollbarGrab on ScrollbarBg", c[ImGuiCol_ScrollbarGrab],
                 blend(c[ImGuiCol_ScrollbarBg], c[ImGuiCol_WindowBg]), 3.0});
  out.push_back({"Separator on WindowBg", c[ImGuiCol_Separator], c[ImGuiCol_WindowBg], 3.0});
  out.push_back({"NavHighlight on WindowBg", c[ImGuiCol_NavHighlight], c[ImGuiCol_WindowBg], 3.0});
  out.push_back({"PlotHistogram on FrameBg", c[ImGuiCol_PlotHistogram], grounds[3].second, 3.0});
  out.push_back({"TabActive on WindowBg", grounds[13].second, c[ImGuiCol_WindowBg], 3.0});
  return out;
}

}  // namespace berth::ui

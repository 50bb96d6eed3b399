// What a frame actually drew as text, read back for the layout checks (issue 19): every piece of text any
// widget submitted (Berth's own helpers and ImGui's widgets alike), with its box and its effective clip
// rectangle, grouped by the window whose draw list it went into.
//
// How the text is seen: every piece of text ImGui draws, for any widget, ends in one of the two
// ImDrawList::AddText overloads (ImGui's RenderText*, InputText and Berth's own draw-list text all call it).
// The test binary is linked with `-Wl,--wrap` on both (tests/ui/CMakeLists.txt), so each call is recorded
// here, with the draw list's clip rectangle at that moment intersected with the fine clip rectangle ImGui
// passes for clipped labels, before the real AddText runs. Reading glyph quads back from the vertex buffer
// instead would lose exactly what matters: ImGui drops glyphs outside the clip rectangle on the CPU, so a
// cut label looks the same as a short one. After ImGui::Render() only the records whose draw list is in
// ImGui::GetDrawData() count (what was really drawn), and each draw list is matched to its window to know
// whether that window scrolls (text past a scrolling window's edge is scrolled, not cut).
//
// An ellipsis is not a cut: ImGui's RenderTextEllipsis (table headers, tabs) and Berth's TextEllipsis
// submit only the part that fits, followed by the dots, so the text recorded fits its clip rectangle.
#pragma once

#include <imgui.h>

#include <string>
#include <vector>

namespace berth::ui::uitest {

struct DrawnText {
  const ImDrawList* list = nullptr;
  std::string window;  // the window whose draw list holds the text ("" when the list has no window)
  std::string text;
  ImVec2 min, max;  // the text's box, leading and trailing blanks left out
  ImVec4 clip;      // the effective clip rectangle (x1, y1, x2, y2)
};

// Records text from now until TakeDrawnText(); at most one recorder at a time.
void StartRecordingText();
// What was recorded since StartRecordingText() and went into ImGui's last draw data; stops recording.
std::vector<DrawnText> TakeDrawnText();

// One finding per problem, in words that name the window and the text.
std::vector<std::string> LayoutProblems(const std::vector<DrawnText>& drawn);

}  // namespace berth::ui::uitest

// Helpers every panel shares: key presses without modifiers, empty states.

#include "panel.h"

#include <imgui.h>

namespace berth::ui {

bool KeyPressed(int key) {
  const ImGuiIO& io = ImGui::GetIO();
  return !io.KeyCtrl && !io.KeyAlt && !io.KeySuper && ImGui::IsKeyPressed(key, true);
}

bool CtrlPressed(int key) {
  const ImGuiIO& io = ImGui::GetIO();
  return io.KeyCtrl && !io.KeyAlt && ImGui::IsKeyPressed(key, false);
}

void EmptyState(const char* title, const char* text) {
  ImGui::Spacing();
  ImGui::Spacing();
  ImGui::Indent(ImGui::GetFontSize());
  ImGui::TextUnformatted(title);
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
  ImGui::PushTextWrapPos(ImGui::GetFontSize() * 40);
  ImGui::TextWrapped("%s", text);
  ImGui::PopTextWrapPos();
  ImGui::PopStyleColor();
  ImGui::Unindent(ImGui::GetFontSize());
}

void Chip(const char* text, unsigned int colour) {
  const ImVec2 size = ImGui::CalcTextSize(text);
  const float pad = ImGui::GetFontSize() * 0.35f;
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const ImVec2 box(size.x + 2 * pad, ImGui::GetTextLineHeight());
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + box.x, p.y + box.y), colour, box.y * 0.5f);
  dl->AddText(ImVec2(p.x + pad, p.y), IM_COL32(255, 255, 255, 255), text);
  ImGui::Dummy(box);
}

void ScoreBar(const char* label, float fraction, unsigned int colour, const char* value_text) {
  const float h = ImGui::GetTextLineHeight();
  const float label_w = ImGui::GetFontSize() * 11;
  const float bar_w = ImGui::GetFontSize() * 10;
  const ImVec2 p = ImGui::GetCursorScreenPos();
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddText(p, ImGui::GetColorU32(ImGuiCol_Text), label);
  const ImVec2 b(p.x + label_w, p.y + h * 0.15f);
  dl->AddRectFilled(b, ImVec2(b.x + bar_w, b.y + h * 0.7f), ImGui::GetColorU32(ImGuiCol_FrameBg), 2);
  const float f = fraction < 0 ? 0 : fraction > 1 ? 1 : fraction;
  dl->AddRectFilled(b, ImVec2(b.x + bar_w * f, b.y + h * 0.7f), colour, 2);
  dl->AddText(ImVec2(b.x + bar_w + ImGui::GetFontSize() * 0.5f, p.y), ImGui::GetColorU32(ImGuiCol_Text),
              value_text);
  ImGui::Dummy(ImVec2(label_w + bar_w + ImGui::GetFontSize() * 6, h));
}

}  // namespace berth::ui

// Helpers every panel shares: key presses without modifiers, empty states.

#include "panel.h"

#include <imgui.h>

#include "theme.h"

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

std::string FitText(std::string_view text, float width, bool* cut) {
  if (cut != nullptr) *cut = false;
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (ImGui::CalcTextSize(begin, end).x <= width) return std::string(text);
  if (cut != nullptr) *cut = true;
  const char* kDots = "...";
  const float room = width - ImGui::CalcTextSize(kDots).x;
  // The longest prefix that fits, cut at a character boundary (UTF-8 continuation bytes are 10xxxxxx).
  size_t lo = 0, hi = text.size();
  while (lo < hi) {
    const size_t mid = (lo + hi + 1) / 2;
    if (ImGui::CalcTextSize(begin, begin + mid).x <= room) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  while (lo > 0 && (static_cast<unsigned char>(text[lo]) & 0xC0) == 0x80) --lo;
  while (lo > 0 && text[lo - 1] == ' ') --lo;
  return std::string(text.substr(0, lo)) + kDots;
}

void FullTextTooltip(bool cut, std::string_view text) {
  if (!cut || !ImGui::IsItemHovered()) return;
  ImGui::BeginTooltip();
  ImGui::PushTextWrapPos(ImGui::GetFontSize() * 35);
  ImGui::TextUnformatted(text.data(), text.data() + text.size());
  ImGui::PopTextWrapPos();
  ImGui::EndTooltip();
}

bool SelectableFit(std::string_view label, bool selected, int flags, float height, float width) {
  bool cut = false;
  const std::string marked = selected ? "> " + std::string(label) : std::string(label);
  const std::string shown =
      FitText(marked, width > 0 ? width : ImGui::GetContentRegionAvail().x, &cut) + "###fit";
  const bool clicked = ImGui::Selectable(shown.c_str(), selected, flags, ImVec2(0, height));
  FullTextTooltip(cut, label);
  return clicked;
}

bool CheckboxFit(std::string_view label, bool* on) {
  const ImGuiStyle& style = ImGui::GetStyle();
  const float room = ImGui::GetContentRegionAvail().x - ImGui::GetFrameHeight() - style.ItemInnerSpacing.x;
  bool cut = false;
  const std::string shown = FitText(label, room, &cut) + "###" + std::string(label);
  const bool changed = ImGui::Checkbox(shown.c_str(), on);
  FullTextTooltip(cut, label);
  return changed;
}

bool BeginComboFit(const char* label, std::string_view preview, float width) {
  const ImGuiStyle& style = ImGui::GetStyle();
  bool cut = false;
  const std::string shown =
      FitText(preview, width - ImGui::GetFrameHeight() - style.FramePadding.x * 2, &cut);
  ImGui::SetNextItemWidth(width);
  const bool open = ImGui::BeginCombo(label, shown.c_str());
  FullTextTooltip(cut && !open, preview);
  return open;
}

void SameLineIfRoom(float next_width) {
  const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
  if (ImGui::GetItemRectMax().x + ImGui::GetStyle().ItemSpacing.x + next_width <= right) ImGui::SameLine();
}

float ButtonWidth(const char* label) {
  return ImGui::CalcTextSize(label, nullptr, true).x + ImGui::GetStyle().FramePadding.x * 2;
}

void TextFit(std::string_view text, unsigned int colour, float width) {
  bool cut = false;
  const std::string shown = FitText(text, width > 0 ? width : ImGui::GetContentRegionAvail().x, &cut);
  if (colour != 0) ImGui::PushStyleColor(ImGuiCol_Text, colour);
  ImGui::TextUnformatted(shown.c_str());
  if (colour != 0) ImGui::PopStyleColor();
  FullTextTooltip(cut, text);
}

void TextFitDisabled(std::string_view text, float width) {
  TextFit(text, ImGui::GetColorU32(ImGuiCol_TextDisabled), width);
}

void TextWrappedDisabled(std::string_view text) {
  ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyle().Colors[ImGuiCol_TextDisabled]);
  ImGui::PushTextWrapPos(0.0f);
  ImGui::TextUnformatted(text.data(), text.data() + text.size());
  ImGui::PopTextWrapPos();
  ImGui::PopStyleColor();
}

void Chip(const char* text, unsigned int colour) {
  const ImVec2 size = ImGui::CalcTextSize(text);
  const float pad = ImGui::GetFontSize() * 0.35f;
  const ImVec2 p = ImGui::GetCursorScreenPos();
  const ImVec2 box(size.x + 2 * pad, ImGui::GetTextLineHeight());
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(p, ImVec2(p.x + box.x, p.y + box.y), colour, box.y * 0.5f);
  dl->AddText(ImVec2(p.x + pad, p.y), TextColourOn(colour), text);
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

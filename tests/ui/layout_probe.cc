// The layout probe (layout_probe.h): wraps ImDrawList text submission to record each piece of text with
// its clip, then groups it by window after Render() for the overlap and cut-text checks.
#include "layout_probe.h"

#include <imgui.h>
#include <imgui_internal.h>

#include <algorithm>
#include <cfloat>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

// The real overloads and their wrappers, joined by the linker's --wrap (see layout_probe.h).
extern "C" {
void __wrap__ZN10ImDrawList7AddTextEPK6ImFontfRK6ImVec2jPKcS7_fPK6ImVec4(
    ImDrawList* self, const ImFont* font, float font_size, const ImVec2& pos, ImU32 col,
    const char* text_begin, const char* text_end, float wrap_width, const ImVec4* cpu_fine_clip_rect);
void __wrap__ZN10ImDrawList7AddTextERK6ImVec2jPKcS4_(ImDrawList* self, const ImVec2& pos, ImU32 col,
                                                     const char* text_begin, const char* text_end);
void __real__ZN10ImDrawList7AddTextEPK6ImFontfRK6ImVec2jPKcS7_fPK6ImVec4(
    ImDrawList* self, const ImFont* font, float font_size, const ImVec2& pos, ImU32 col,
    const char* text_begin, const char* text_end, float wrap_width, const ImVec4* cpu_fine_clip_rect);
void __real__ZN10ImDrawList7AddTextERK6ImVec2jPKcS4_(ImDrawList* self, const ImVec2& pos, ImU32 col,
                                                     const char* text_begin, const char* text_end);
}

namespace berth::ui::uitest {
namespace {

struct Record {
  const ImDrawList* list;
  std::string text;
  ImVec2 min, max;
  ImVec4 clip;
};

bool g_recording = false;
std::vector<Record>* g_records = nullptr;

bool Blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void Note(const ImDrawList* list, const ImFont* font, float font_size, const ImVec2& pos, ImU32 col,
          const char* begin, const char* end, float wrap_width, const ImVec4* fine_clip) {
  if (!g_recording || g_records == nullptr || begin == nullptr) return;
  if (end == nullptr) end = begin + std::strlen(begin);
  if ((col & IM_COL32_A_MASK) == 0) return;  // AddText draws nothing
  if (font == nullptr) font = list->_Data->Font;
  if (font_size == 0) font_size = list->_Data->FontSize;
  // Blanks at either end take room but show nothing: they are not part of the box that may collide.
  const char* first = begin;
  while (first < end && Blank(*first) && *first != '\n') ++first;
  const char* last = end;
  while (last > first && Blank(last[-1])) --last;
  if (first == last) return;
  const float lead = font->CalcTextSizeA(font_size, FLT_MAX, 0, begin, first).x;
  // Wrapped text keeps its wrapping from the original start, so only the lead moves it.
  const ImVec2 size =
      font->CalcTextSizeA(font_size, FLT_MAX, wrap_width > 0 ? wrap_width - lead : 0, first, last);
  ImVec4 clip = list->_CmdHeader.ClipRect;
  if (fine_clip != nullptr) {
    clip.x = std::max(clip.x, fine_clip->x);
    clip.y = std::max(clip.y, fine_clip->y);
    clip.z = std::min(clip.z, fine_clip->z);
    clip.w = std::min(clip.w, fine_clip->w);
  }
  g_records->push_back(Record{list, std::string(first, last), ImVec2(pos.x + lead, pos.y),
                              ImVec2(pos.x + lead + size.x, pos.y + size.y), clip});
}

std::string Describe(const DrawnText& t) {
  char where[160];
  std::snprintf(where, sizeof(where), " at (%.0f,%.0f)-(%.0f,%.0f), clip (%.0f,%.0f)-(%.0f,%.0f)", t.min.x,
                t.min.y, t.max.x, t.max.y, t.clip.x, t.clip.y, t.clip.z, t.clip.w);
  std::string text = t.text.size() > 60 ? t.text.substr(0, 57) + "..." : t.text;
  return "'" + text + "'" + where;
}

}  // namespace

void StartRecordingText() {
  static std::vector<Record> records;
  records.clear();
  g_records = &records;
  g_recording = true;
}

std::vector<DrawnText> TakeDrawnText() {
  g_recording = false;
  std::vector<DrawnText> out;
  if (g_records == nullptr) return out;
  std::set<const ImDrawList*> drawn;
  if (const ImDrawData* dd = ImGui::GetDrawData(); dd != nullptr && dd->Valid) {
    for (int i = 0; i < dd->CmdListsCount; ++i) drawn.insert(dd->CmdLists[i]);
  }
  std::map<const ImDrawList*, std::string> windows;
  for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows) windows[w->DrawList] = w->Name;
  for (const Record& r : *g_records) {
    if (drawn.count(r.list) == 0) continue;
    auto w = windows.find(r.list);
    out.push_back(DrawnText{r.list, w == windows.end() ? "" : w->second, r.text, r.min, r.max, r.clip});
  }
  g_records->clear();
  return out;
}

std::vector<std::string> LayoutProblems(const std::vector<DrawnText>& drawn) {
  // Half a pixel either way: positions are rounded to whole pixels, sizes are not.
  constexpr float kSlack = 0.5f;
  // Which way each window scrolls. ImGui works out ScrollMax.x from the content's width whether or not
  // the window can scroll sideways, so sideways counts only with a horizontal scroll bar.
  std::map<std::string, ImVec2> scroll;
  for (ImGuiWindow* w : ImGui::GetCurrentContext()->Windows) {
    scroll[w->Name] = ImVec2(w->ScrollbarX ? w->ScrollMax.x : 0.0f, w->ScrollMax.y);
  }
  std::vector<std::string> problems;
  std::vector<ImVec4> visible(drawn.size());
  for (size_t i = 0; i < drawn.size(); ++i) {
    const DrawnText& t = drawn[i];
    const ImVec2 can_scroll = scroll.count(t.window) ? scroll[t.window] : ImVec2(0, 0);
    const bool cut_x = t.min.x < t.clip.x - kSlack || t.max.x > t.clip.z + kSlack;
    const bool cut_y = t.min.y < t.clip.y - kSlack || t.max.y > t.clip.w + kSlack;
    // Past the edge of a window that scrolls that way is scrolled out of view, not cut.
    if ((cut_x && can_scroll.x <= 0) || (cut_y && can_scroll.y <= 0)) {
      problems.push_back("cut in window '" + t.window + "': " + Describe(t));
    }
    visible[i] = ImVec4(std::max(t.min.x, t.clip.x), std::max(t.min.y, t.clip.y), std::min(t.max.x, t.clip.z),
                        std::min(t.max.y, t.clip.w));
  }
  for (size_t i = 0; i < drawn.size(); ++i) {
    const ImVec4& a = visible[i];
    if (a.z - a.x <= kSlack || a.w - a.y <= kSlack) continue;
    for (size_t j = i + 1; j < drawn.size(); ++j) {
      if (drawn[j].list != drawn[i].list) continue;
      const ImVec4& b = visible[j];
      const float w = std::min(a.z, b.z) - std::max(a.x, b.x);
      const float h = std::min(a.w, b.w) - std::max(a.y, b.y);
      if (w > 1.0f && h > 1.0f) {
        problems.push_back("overlap in window '" + drawn[i].window + "': " + Describe(drawn[i]) + " and " +
                           Describe(drawn[j]));
      }
    }
  }
  return problems;
}

}  // namespace berth::ui::uitest

// The wrappers: record, then draw as ImGui would.
extern "C" {
void __wrap__ZN10ImDrawList7AddTextEPK6ImFontfRK6ImVec2jPKcS7_fPK6ImVec4(
    ImDrawList* self, const ImFont* font, float font_size, const ImVec2& pos, ImU32 col,
    const char* text_begin, const char* text_end, float wrap_width, const ImVec4* cpu_fine_clip_rect) {
  berth::ui::uitest::Note(self, font, font_size, pos, col, text_begin, text_end, wrap_width,
                          cpu_fine_clip_rect);
  __real__ZN10ImDrawList7AddTextEPK6ImFontfRK6ImVec2jPKcS7_fPK6ImVec4(
      self, font, font_size, pos, col, text_begin, text_end, wrap_width, cpu_fine_clip_rect);
}
void __wrap__ZN10ImDrawList7AddTextERK6ImVec2jPKcS4_(ImDrawList* self, const ImVec2& pos, ImU32 col,
                                                     const char* text_begin, const char* text_end) {
  berth::ui::uitest::Note(self, nullptr, 0, pos, col, text_begin, text_end, 0, nullptr);
  __real__ZN10ImDrawList7AddTextERK6ImVec2jPKcS4_(self, pos, col, text_begin, text_end);
}
}

// Colours and the themes: light, dark and high contrast. Urgency and status colours are chosen per theme and
// always carry their meaning in words or a symbol as well (a label is drawn beside every colour). The high
// contrast theme meets WCAG 2.2 AA: 4.5:1 for text and 3:1 for the parts of controls, checked pair by pair
// by ThemeContrastPairs() in tests/ui/theme_test.cc.
#pragma once

#include <imgui.h>

#include <string>
#include <string_view>
#include <vector>

#include "berth/schema/model.h"

namespace berth::ui {

enum class Theme { kLight, kDark, kHighContrast };

// "light", "dark" or "high_contrast" (the preference's spelling); anything else is light.
Theme ThemeFromName(std::string_view name);
const char* ThemeName(Theme theme);

void ApplyTheme(Theme theme, float scale);
Theme CurrentTheme();

ImU32 UrgencyColour(int64_t days_past, Priority priority);
// The urgency colour's meaning as a symbol beside it: "!!" a week or more past the discharge-ready date,
// "!" past it, "<<" a hand back, "" otherwise (the waiting time is written out beside it).
const char* UrgencySymbol(int64_t days_past, Priority priority);
ImU32 BedStatusColour(BedStatus status);
ImU32 ComponentColour(size_t i);  // the score components' bars, in order
ImU32 WarningColour();            // amber: something to chase or below target
ImU32 DangerColour();             // red: due, or money lost
ImU32 GoodColour();               // green: on target
ImU32 AccentColour();
ImU32 MutedColour();
ImVec4 ErrorTextColour();
ImVec4 OkTextColour();
// Black or white, whichever reads better on `background` (text on chips and filled labels).
ImU32 TextColourOn(ImU32 background);

// WCAG 2.2 contrast ratio (1 to 21) of `fg` drawn over `bg`; a translucent `fg` is blended over `bg` first.
double ContrastRatio(const ImVec4& fg, const ImVec4& bg);

// Every pair of colours the current theme draws one on the other, with the ratio WCAG 2.2 AA asks of it.
struct ColourPair {
  std::string what;  // "Text on ChildBg"
  ImVec4 fg, bg;
  double minimum;  // 4.5 for text, 3.0 for the parts of controls and status marks
};
std::vector<ColourPair> ThemeContrastPairs();

}  // namespace berth::ui

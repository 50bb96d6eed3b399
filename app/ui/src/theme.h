// Colours and the light/dark themes. Urgency and status colours are chosen to stay readable in both themes
// and to carry meaning by text as well (a label is always drawn beside the colour).
#pragma once

#include <imgui.h>

#include "berth/schema/model.h"

namespace berth::ui {

void ApplyTheme(bool dark, float scale);
bool DarkTheme();

ImU32 UrgencyColour(int64_t days_past, Priority priority);
ImU32 BedStatusColour(BedStatus status);
ImU32 AccentColour();
ImU32 MutedColour();
ImVec4 ErrorTextColour();
ImVec4 OkTextColour();

}  // namespace berth::ui

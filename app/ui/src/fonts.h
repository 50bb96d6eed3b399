// Font loading for the window (platform glue; ImGui only).

#pragma once

namespace berth::ui {
// Loads Inter (fonts-inter), else DejaVu Sans (fonts-dejavu-core), else ImGui's built-in font, at
// `size_px` pixels (already multiplied by the display's content scale). Returns the file used, or "".
const char* LoadFonts(float size_px);
}  // namespace berth::ui

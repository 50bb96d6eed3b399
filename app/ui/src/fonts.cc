// Font loading for the window: Inter, else DejaVu Sans, else ImGui's own font (fonts.h).

#include "fonts.h"

#include <imgui.h>
#include <unistd.h>

namespace berth::ui {

const char* LoadFonts(float size_px) {
  static const char* kCandidates[] = {
      "/usr/share/fonts/opentype/inter/Inter-Regular.otf",
      "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  };
  ImGuiIO& io = ImGui::GetIO();
  io.Fonts->Clear();
  for (const char* path : kCandidates) {
    if (access(path, R_OK) != 0) continue;
    if (io.Fonts->AddFontFromFileTTF(path, size_px) != nullptr) return path;
  }
  ImFontConfig config;
  config.SizePixels = size_px;
  io.Fonts->AddFontDefault(&config);
  return "";
}

}  // namespace berth::ui

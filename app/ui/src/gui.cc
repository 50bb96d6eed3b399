#include "berth/ui/gui.h"

#include <imgui.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include <chrono>
#include <cstdio>
#include <thread>
#include <fstream>

#include "fonts.h"
#include "platform.h"
#include "shell.h"

namespace berth::ui {

Status RunGui(const GuiOptions& options) {
#if defined(__SANITIZE_ADDRESS__)
  // Mesa's GL drivers (dlopen'd through GLFW) keep allocations LeakSanitizer cannot attribute once they are
  // unloaded. Leak checking of Berth's own UI code happens in the headless panel tests instead.
  __lsan_disable();
#endif
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  struct ContextGuard {
    ~ContextGuard() { ImGui::DestroyContext(); }
  } guard;
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // window layout is not worth a file beside personal data
  io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;

  const bool screenshot = !options.screenshot_path.empty();
  auto platform = Platform::Create("Berth", 1280, 800, !screenshot);
  if (!platform.ok()) return platform.status();
  const float scale = (*platform)->ContentScale();
  LoadFonts(16.0f * scale);
  ImGui::StyleColorsLight();
  ImGui::GetStyle().ScaleAllSizes(scale);

  Shell shell(options.store_dir, options.actor);
  shell.set_panel(options.panel);
  if (!options.passphrase_file.empty() && Store::Exists(options.store_dir)) {
    std::ifstream in(options.passphrase_file);
    std::string line;
    std::getline(in, line);
    shell.session().BeginUnlock(Secret(line));
    WipeString(line);
  }
  int frame = 0;
  while (!(*platform)->ShouldClose()) {
    (*platform)->BeginFrame();
    // A screenshot waits for a pending unlock, so it shows the unlocked panel rather than "Working...".
    if (screenshot && shell.session().busy() && frame + 1 >= options.frames) {
      while (!shell.session().Poll()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    shell.Draw((*platform)->IdleSeconds());
    (*platform)->EndFrame();
    ++frame;
    if (screenshot && frame >= options.frames) {
      int w = 0, h = 0;
      auto pixels = (*platform)->ReadPixels(&w, &h);
      return WritePng(options.screenshot_path, pixels, w, h);
    }
    (*platform)->Present();
  }
  return Status::Ok();
}

}  // namespace berth::ui

// Entry point of the window (gui.h): picks the scale, creates the platform window and runs the shell's
// frame loop until the user closes it.

#include "berth/ui/gui.h"

#include <imgui.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "fonts.h"
#include "platform.h"
#include "shell.h"
#include "theme.h"

namespace berth::ui {

namespace {
float RequestedScale(const GuiOptions& options) {
  if (options.scale > 0) return options.scale;
  if (const char* env = std::getenv("BERTH_UI_SCALE"); env != nullptr && *env != '\0') {
    const float s = static_cast<float>(std::atof(env));
    if (s >= 0.5f && s <= 4.0f) return s;
  }
  return 0;
}
}  // namespace

Status RunGui(const GuiOptions& options) {
#if defined(__SANITIZE_ADDRESS__)
  // Mesa's GL drivers (dlopen'd through GLFW) keep allocations LeakSanitizer cannot attribute once they are
  // unloaded. Leak checking of Berth's own UI code happens in the headless panel tests instead.
  __lsan_disable();
#endif
  if (!options.panel.empty()) {
    PanelId p;
    if (!PanelFromSlug(options.panel, &p)) {
      return UsageError("unknown panel '" + options.panel +
                        "' (expected huddle, referral, match, plan, capacity, voids, sync or settings)");
    }
  }
  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  struct ContextGuard {
    ~ContextGuard() { ImGui::DestroyContext(); }
  } guard;
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // window layout is not worth a file beside personal data
  io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;

  const bool screenshot = !options.screenshot_path.empty();
  const float requested = RequestedScale(options);
  const int base_w = 1280, base_h = 800;
  auto platform =
      Platform::Create("Berth", requested > 0 ? static_cast<int>(base_w * requested) : base_w,
                       requested > 0 ? static_cast<int>(base_h * requested) : base_h, !screenshot);
  if (!platform.ok()) return platform.status();
  const float scale = requested > 0 ? requested : (*platform)->ContentScale();
  LoadFonts(16.0f * scale);
  ApplyTheme(Theme::kLight, scale);

  Shell shell(options.store_dir, options.actor);
  shell.set_ui_scale(scale);
  shell.set_panel(options.panel);
  shell.set_initial_referral(options.referral);
  if (!options.passphrase.empty() && Store::Exists(options.store_dir)) {
    shell.session().BeginUnlock(options.passphrase.Clone());
  }
  int frame = 0;
  int settled_frames = 0;
  while (!(*platform)->ShouldClose()) {
    (*platform)->BeginFrame();
    shell.DropFiles((*platform)->TakeDroppedPaths());
    // A screenshot waits for the unlock and for the panel's data, so it shows the panel rather than
    // "Working..." or "Loading...". Interactive frames never wait.
    const bool finishing = screenshot && frame + 1 >= options.frames;
    if (finishing) {
      while (shell.session().busy() && !shell.session().Poll())
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (shell.session().unlocked()) shell.Settle();
    }
    shell.Draw(screenshot ? 0.0 : (*platform)->IdleSeconds());
    (*platform)->EndFrame();
    ++frame;
    if (finishing) {
      settled_frames = !shell.session().unlocked() || shell.settled() ? settled_frames + 1 : 0;
      // Two settled frames let auto-sized windows and scrolling take their final place.
      if (settled_frames >= 3 || frame > options.frames + 300) {
        if (!shell.session().unlocked() && !shell.session().error().empty()) {
          return WrongPassphrase(shell.session().error());
        }
        int w = 0, h = 0;
        auto pixels = (*platform)->ReadPixels(&w, &h);
        return WritePng(options.screenshot_path, pixels, w, h);
      }
    }
    (*platform)->Present();
  }
  return Status::Ok();
}

}  // namespace berth::ui

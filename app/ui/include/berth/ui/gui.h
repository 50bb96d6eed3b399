// Berth's window. The only public entry point of berth_ui.
#pragma once

#include <string>

#include "berth/schema/secret.h"
#include "berth/schema/status.h"

namespace berth::ui {

struct GuiOptions {
  std::string store_dir;
  // Unlocks without the unlock screen when not empty (from --passphrase-file or $BERTH_PASSPHRASE).
  Secret passphrase;
  std::string actor = "local";
  std::string screenshot_path;  // when set: render `frames` frames, write a PNG, exit
  int frames = 3;
  std::string panel;  // the panel to show first: huddle|referral|match|plan|capacity|voids|sync|settings
  // Display scale: 1 (100%) or 2 (200%): the window, fonts and spacing are multiplied by it. 0 takes
  // $BERTH_UI_SCALE, else the monitor's content scale.
  float scale = 0;
  std::string referral;  // the referral to select first (default: the most urgent one)
};

// Opens the window and runs until it is closed (or the screenshot is written). Without a display it
// fails with a clear message instead of hanging.
Status RunGui(const GuiOptions& options);

}  // namespace berth::ui

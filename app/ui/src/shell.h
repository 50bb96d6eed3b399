// The frame around every panel: the unlock screen while locked, the panels once unlocked, auto-lock.
// Independent of GLFW and OpenGL, so tests drive it with a bare ImGui context.
#pragma once

#include <string>

#include "session.h"
#include "unlock_panel.h"

namespace berth::ui {

class Shell {
 public:
  Shell(std::string store_dir, std::string actor);

  // Draws one frame. `idle_seconds`: time since the user's last input, for auto-lock.
  void Draw(double idle_seconds);

  Session& session() { return session_; }
  void set_auto_lock_seconds(double s) { auto_lock_seconds_ = s; }
  double auto_lock_seconds() const { return auto_lock_seconds_; }
  void set_panel(const std::string& panel) { panel_ = panel; }

 private:
  void DrawWorkspace();

  Session session_;
  UnlockPanel unlock_;
  double auto_lock_seconds_ = 600;  // ten minutes, the council laptop standard
  std::string panel_;
};

}  // namespace berth::ui

// The platform glue: one GLFW window with an OpenGL 3 context and ImGui's GLFW/OpenGL3 backends.
// Everything GLFW- or GL-specific lives behind this class.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "berth/schema/status.h"

struct GLFWwindow;

namespace berth::ui {

class Platform {
 public:
  ~Platform();
  // `visible` false keeps the window off screen (screenshots under Xvfb).
  static Result<std::unique_ptr<Platform>> Create(const std::string& title, int width, int height,
                                                  bool visible);

  bool ShouldClose() const;
  void BeginFrame();  // polls events, starts an ImGui frame
  void EndFrame();    // renders ImGui into the back buffer (no swap)
  void Present();     // swaps buffers
  // The back buffer as RGBA rows, top row first. Call between EndFrame and Present.
  std::vector<unsigned char> ReadPixels(int* width, int* height) const;
  float ContentScale() const;  // 1.0 at 96 dpi, 2.0 on a HiDPI screen
  double IdleSeconds() const;  // since the last keyboard or mouse input
  // Paths of files dropped on the window since the last call (GLFW's drop callback).
  std::vector<std::string> TakeDroppedPaths();

 private:
  Platform() = default;
  GLFWwindow* window_ = nullptr;
};

Status WritePng(const std::string& path, const std::vector<unsigned char>& rgba, int width, int height);

}  // namespace berth::ui

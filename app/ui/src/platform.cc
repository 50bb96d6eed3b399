// The GLFW platform glue: window, OpenGL context, input and idle waits (platform.h).

#include "platform.h"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <stb/stb_image_write.h>

#include <cstdlib>

namespace berth::ui {

namespace {
double g_last_input = 0;
std::vector<std::string> g_dropped;  // filled by GLFW's drop callback during glfwPollEvents
void NoteInput() {
  g_last_input = glfwGetTime();
}
}  // namespace

Result<std::unique_ptr<Platform>> Platform::Create(const std::string& title, int width, int height,
                                                   bool visible) {
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if ((display == nullptr || *display == '\0') && (wayland == nullptr || *wayland == '\0')) {
    return Status(Code::kUsage, "no display: set DISPLAY (or run under xvfb-run) to open Berth's window");
  }
  if (!glfwInit()) return Status(Code::kIo, "could not initialise GLFW (is the display reachable?)");
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
  glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
  glfwWindowHint(GLFW_VISIBLE, visible ? GLFW_TRUE : GLFW_FALSE);
  glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
  GLFWwindow* window = glfwCreateWindow(width, height, title.c_str(), nullptr, nullptr);
  if (window == nullptr) {
    glfwTerminate();
    return Status(Code::kIo, "could not open a window with an OpenGL 3.3 context");
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(1);
  // Installed before ImGui's backend, which chains to callbacks it finds (1.86 polls the cursor itself).
  glfwSetCursorPosCallback(window, [](GLFWwindow*, double, double) { NoteInput(); });
  glfwSetKeyCallback(window, [](GLFWwindow*, int, int, int, int) { NoteInput(); });
  glfwSetMouseButtonCallback(window, [](GLFWwindow*, int, int, int) { NoteInput(); });
  glfwSetDropCallback(window, [](GLFWwindow*, int count, const char** paths) {
    for (int i = 0; i < count; ++i) g_dropped.emplace_back(paths[i]);
    NoteInput();
  });
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 330");
  NoteInput();
  auto p = std::unique_ptr<Platform>(new Platform());
  p->window_ = window;
  return p;
}

Platform::~Platform() {
  if (window_ == nullptr) return;
  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  glfwDestroyWindow(window_);
  glfwTerminate();
}

bool Platform::ShouldClose() const {
  return glfwWindowShouldClose(window_);
}

void Platform::BeginFrame() {
  glfwPollEvents();
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGui::NewFrame();
}

void Platform::EndFrame() {
  ImGui::Render();
  int w = 0, h = 0;
  glfwGetFramebufferSize(window_, &w, &h);
  glViewport(0, 0, w, h);
  const ImVec4 bg = ImGui::GetStyle().Colors[ImGuiCol_WindowBg];
  glClearColor(bg.x, bg.y, bg.z, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

void Platform::Present() {
  glfwSwapBuffers(window_);
}

std::vector<unsigned char> Platform::ReadPixels(int* width, int* height) const {
  glfwGetFramebufferSize(window_, width, height);
  std::vector<unsigned char> pixels(static_cast<size_t>(*width) * static_cast<size_t>(*height) * 4);
  glReadBuffer(GL_BACK);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, *width, *height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
  // OpenGL's origin is bottom-left; PNG rows go top to bottom.
  const size_t row = static_cast<size_t>(*width) * 4;
  for (int y = 0; y < *height / 2; ++y) {
    std::swap_ranges(pixels.begin() + static_cast<long>(y * row),
                     pixels.begin() + static_cast<long>((y + 1) * row),
                     pixels.begin() + static_cast<long>((*height - 1 - y) * row));
  }
  return pixels;
}

float Platform::ContentScale() const {
  float x = 1, y = 1;
  glfwGetWindowContentScale(window_, &x, &y);
  return x > 0 ? x : 1.0f;
}

std::vector<std::string> Platform::TakeDroppedPaths() {
  std::vector<std::string> out;
  out.swap(g_dropped);
  return out;
}

double Platform::IdleSeconds() const {
  return glfwGetTime() - g_last_input;
}

Status WritePng(const std::string& path, const std::vector<unsigned char>& rgba, int width, int height) {
  if (stbi_write_png(path.c_str(), width, height, 4, rgba.data(), width * 4) == 0) {
    return IoError("could not write " + path);
  }
  return Status::Ok();
}

}  // namespace berth::ui

// A real ImGui context with no GPU and no window: frames are built and rendered to draw lists, keys and
// characters arrive through ImGuiIO exactly as the GLFW backend delivers them (GLFW key codes).
#pragma once

#include <imgui.h>

#include <string>

#include "keys.h"
#include "shell.h"

namespace berth::ui::uitest {

class HeadlessImGui {
 public:
  HeadlessImGui() {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = 1.0f / 60.0f;
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    io.KeyMap[ImGuiKey_Tab] = keys::kTab;
    io.KeyMap[ImGuiKey_LeftArrow] = keys::kLeft;
    io.KeyMap[ImGuiKey_RightArrow] = keys::kRight;
    io.KeyMap[ImGuiKey_UpArrow] = keys::kUp;
    io.KeyMap[ImGuiKey_DownArrow] = keys::kDown;
    io.KeyMap[ImGuiKey_PageUp] = keys::kPageUp;
    io.KeyMap[ImGuiKey_PageDown] = keys::kPageDown;
    io.KeyMap[ImGuiKey_Home] = keys::kHome;
    io.KeyMap[ImGuiKey_End] = keys::kEnd;
    io.KeyMap[ImGuiKey_Delete] = keys::kDelete;
    io.KeyMap[ImGuiKey_Backspace] = keys::kBackspace;
    io.KeyMap[ImGuiKey_Enter] = keys::kEnter;
    io.KeyMap[ImGuiKey_Escape] = keys::kEscape;
    io.KeyMap[ImGuiKey_Space] = keys::kSpace;
    io.KeyMap[ImGuiKey_A] = keys::kA;
    io.KeyMap[ImGuiKey_C] = keys::kC;
    io.KeyMap[ImGuiKey_V] = keys::kV;
    io.KeyMap[ImGuiKey_X] = keys::kX;
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);  // builds the atlas; no texture upload needed
  }
  ~HeadlessImGui() { ImGui::DestroyContext(); }
  HeadlessImGui(const HeadlessImGui&) = delete;
  HeadlessImGui& operator=(const HeadlessImGui&) = delete;

  void Frame(Shell& shell, double idle = 0) {
    ImGui::NewFrame();
    shell.Draw(idle);
    ImGui::Render();
  }
  // Frames with the worker's results delivered in between, until nothing is pending.
  void Settle(Shell& shell, int frames = 3) {
    for (int i = 0; i < frames; ++i) {
      shell.Settle();
      Frame(shell);
    }
  }
  void Type(Shell& shell, const std::string& text) {
    for (char c : text) ImGui::GetIO().AddInputCharacter(static_cast<unsigned>(c));
    Frame(shell);
  }
  // One key press: down for a frame, then up for a frame.
  void Press(Shell& shell, int key, bool ctrl = false, bool shift = false) {
    ImGuiIO& io = ImGui::GetIO();
    io.KeyCtrl = ctrl;
    io.KeyShift = shift;
    io.KeysDown[key] = true;
    Frame(shell);
    io.KeysDown[key] = false;
    io.KeyCtrl = false;
    io.KeyShift = false;
    Frame(shell);
  }
  int Vertices() const { return ImGui::GetDrawData()->TotalVtxCount; }
};

}  // namespace berth::ui::uitest

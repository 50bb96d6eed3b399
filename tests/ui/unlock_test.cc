// The unlock screen driven through a real ImGui context with no GPU: keys typed through ImGuiIO.
#include <gtest/gtest.h>
#include <imgui.h>

#include <chrono>
#include <thread>

#include "keys.h"
#include "shell.h"
#include "support/test_support.h"

namespace berth::ui {
namespace {

class HeadlessImGui {
 public:
  HeadlessImGui() {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = 1.0f / 60.0f;
    io.KeyMap[ImGuiKey_Enter] = keys::kEnter;
    io.KeyMap[ImGuiKey_Tab] = keys::kTab;
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);  // builds the atlas; no texture upload needed
  }
  ~HeadlessImGui() { ImGui::DestroyContext(); }

  void Frame(Shell& shell, double idle = 0) {
    ImGui::NewFrame();
    shell.Draw(idle);
    ImGui::Render();
    ImGui::GetIO().KeysDown[keys::kEnter] = false;
  }
  void Type(const std::string& text) {
    for (char c : text) ImGui::GetIO().AddInputCharacter(static_cast<unsigned>(c));
  }
  void PressEnter() { ImGui::GetIO().KeysDown[keys::kEnter] = true; }
  int Vertices() const { return ImGui::GetDrawData()->TotalVtxCount; }
};

void WaitForSession(HeadlessImGui& ui, Shell& shell) {
  for (int i = 0; i < 2000 && shell.session().busy(); ++i) {
    ui.Frame(shell);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ui.Frame(shell);
}

TEST(UnlockScreen, CreatesAStoreFromTypedPassphrasesAndAutoLockWipesIt) {
  testing::TempDir tmp;
  HeadlessImGui ui;
  Shell shell(tmp.Sub("store"), "test");
  ui.Frame(shell);
  ui.Frame(shell);  // auto-sized windows appear on their second frame
  EXPECT_GT(ui.Vertices(), 0);  // the create-store form was drawn
  EXPECT_FALSE(shell.session().unlocked());
  ui.Type("ward laptop 7");  // focus starts in the passphrase field
  ui.Frame(shell);
  ImGui::GetIO().KeysDown[keys::kTab] = true;  // to the confirmation field
  ui.Frame(shell);
  ImGui::GetIO().KeysDown[keys::kTab] = false;
  ui.Frame(shell);
  ui.Type("ward laptop 7");
  ui.PressEnter();
  ui.Frame(shell);
  WaitForSession(ui, shell);
  ASSERT_TRUE(shell.session().unlocked()) << shell.session().error();
  EXPECT_TRUE(Store::Exists(tmp.Sub("store")));
  EXPECT_FALSE(shell.session().recovery_key().empty());  // shown once, in a modal

  // Idle past the auto-lock limit: the store is closed and its keys wiped.
  Store* store = shell.session().store();
  ASSERT_NE(store, nullptr);
  ui.Frame(shell, shell.auto_lock_seconds() + 1);
  EXPECT_FALSE(shell.session().unlocked());
  EXPECT_TRUE(shell.session().recovery_key().empty());
}

TEST(UnlockScreen, WrongPassphraseIsSaidPlainly) {
  testing::TempDir tmp;
  {
    Secret recovery;
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    ASSERT_TRUE(Store::Create(tmp.Sub("store"), Secret("the right one"), &recovery, o).ok());
  }
  HeadlessImGui ui;
  Shell shell(tmp.Sub("store"), "test");
  ui.Frame(shell);
  ui.Frame(shell);
  ui.Type("the wrong one");
  ui.PressEnter();
  ui.Frame(shell);
  WaitForSession(ui, shell);
  EXPECT_FALSE(shell.session().unlocked());
  EXPECT_NE(shell.session().error().find("does not open"), std::string::npos) << shell.session().error();
}

}  // namespace
}  // namespace berth::ui

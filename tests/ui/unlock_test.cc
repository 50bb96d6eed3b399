// The unlock screen driven through a real ImGui context with no GPU: keys typed through ImGuiIO.
#include <gtest/gtest.h>
#include <imgui.h>

#include <chrono>
#include <thread>

#include "headless.h"
#include "keys.h"
#include "shell.h"
#include "support/test_support.h"

namespace berth::ui {
namespace {

using uitest::HeadlessImGui;

// Frames until the unlock's background job is done, as the window's loop draws them. The bound only turns
// a hang into a failure; the pause is a frame's vsync wait, not a timing (nothing is asserted about time).
void WaitForSession(HeadlessImGui& ui, Shell& shell) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (shell.session().busy() && std::chrono::steady_clock::now() < give_up) {
    ui.Frame(shell);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ui.Frame(shell);
}

TEST(UnlockScreen, CreatesAStoreFromTypedPassphrasesAndAutoLockWipesIt) {
  testing::TempDir tmp;
  const size_t secret_bytes_before = Secret::LiveBytes();
  HeadlessImGui ui;
  Shell shell(tmp.Sub("store"), "test");
  ui.Frame(shell);
  ui.Frame(shell);              // auto-sized windows appear on their second frame
  EXPECT_GT(ui.Vertices(), 0);  // the create-store form was drawn
  EXPECT_FALSE(shell.session().unlocked());
  ui.Type(shell, "ward laptop 7");  // focus starts in the passphrase field
  ui.Press(shell, keys::kTab);      // to the confirmation field
  ui.Type(shell, "ward laptop 7");
  ui.Press(shell, keys::kEnter);
  WaitForSession(ui, shell);
  ASSERT_TRUE(shell.session().unlocked()) << shell.session().error();
  EXPECT_TRUE(Store::Exists(tmp.Sub("store")));
  EXPECT_FALSE(shell.session().recovery_key().empty());  // shown once, in a modal
  // The data key (and the recovery key on show) are held in guarded memory while unlocked.
  EXPECT_GT(Secret::LiveBytes(), secret_bytes_before);

  // Idle past the auto-lock limit: the store is closed and its keys wiped.
  ASSERT_NE(shell.session().store(), nullptr);
  ui.Frame(shell, shell.auto_lock_seconds() + 1);
  EXPECT_FALSE(shell.session().unlocked());
  EXPECT_TRUE(shell.session().recovery_key().empty());
  EXPECT_EQ(shell.session().store(), nullptr);
  // Every key and passphrase the unlock made is gone from memory, not only hidden.
  EXPECT_EQ(Secret::LiveBytes(), secret_bytes_before);
}

// The window's create form follows the same rule as `berth init` (berth/schema/passphrase.h).
TEST(UnlockScreen, APassphraseUnderTenCharactersCreatesNoStore) {
  testing::TempDir tmp;
  HeadlessImGui ui;
  Shell shell(tmp.Sub("store"), "test");
  ui.Frame(shell);
  ui.Frame(shell);
  ui.Type(shell, "too short");  // nine characters
  ui.Press(shell, keys::kTab);
  ui.Type(shell, "too short");
  ui.Press(shell, keys::kEnter);
  WaitForSession(ui, shell);
  EXPECT_FALSE(shell.session().unlocked());
  EXPECT_FALSE(Store::Exists(tmp.Sub("store")));
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
  ui.Type(shell, "the wrong one");
  ui.Press(shell, keys::kEnter);
  WaitForSession(ui, shell);
  EXPECT_FALSE(shell.session().unlocked());
  EXPECT_NE(shell.session().error().find("does not open"), std::string::npos) << shell.session().error();
}

}  // namespace
}  // namespace berth::ui

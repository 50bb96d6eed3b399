// A window on the county demo store (uitest::MakeDemoStore), driven headless and configured as `berth gui`
// opens it: the fixture of the tests that look at what the real screens draw (layout_test.cc,
// demo_screens_test.cc).
#pragma once

#include <gtest/gtest.h>
#include <imgui.h>

#include <memory>
#include <string>

#include "fonts.h"
#include "headless.h"
#include "shell.h"
#include "support/test_support.h"
#include "theme.h"
#include "ui_fixture.h"

namespace berth::ui::uitest {

class DemoWindow : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = MakeDemoStore(tmp_.Sub("store"));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    shell_ = std::make_unique<Shell>(tmp_.Sub("store"), "broker.ahmed");
    shell_->session().Adopt(std::move(store).value());
    ui_.Frame(*shell_);
    ui_.Settle(*shell_);
  }
  void TearDown() override { shell_.reset(); }

  // The window as `berth gui --scale S` opens it: the display, the fonts and the theme's sizes scaled.
  void ConfigureWindow(float scale, int width, int height) {
    ImGuiIO& io = ImGui::GetIO();
    io.DisplaySize = ImVec2(static_cast<float>(width) * scale, static_cast<float>(height) * scale);
    LoadFonts(16.0f * scale);
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    ApplyTheme(Theme::kLight, scale);
    shell_->set_ui_scale(scale);
  }

  berth::testing::TempDir tmp_;
  HeadlessImGui ui_;
  std::unique_ptr<Shell> shell_;
};

}  // namespace berth::ui::uitest

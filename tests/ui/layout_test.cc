// Issue 19's layout check: every screen of the demo store, at 100% and 200% and in a 1280x800 and a
// 1920x1080 window, drawn with the real fonts and theme; what each screen drew as text (layout_probe.h:
// every widget's text with its clip rectangle, read as ImGui drew it) must show no text over other text and
// nothing cut off without an ellipsis.
#include <gtest/gtest.h>
#include <imgui.h>

#include <memory>
#include <string>
#include <vector>

#include "berth/core/demo.h"
#include "berth/core/geo.h"
#include "demo_window.h"
#include "fonts.h"
#include "headless.h"
#include "keys.h"
#include "layout_probe.h"
#include "panel.h"
#include "shell.h"
#include "support/test_support.h"
#include "theme.h"
#include "ui_fixture.h"

namespace berth::ui {
namespace {

struct WindowSize {
  int width, height;
};

std::string Join(const std::vector<std::string>& problems) {
  std::string out;
  const size_t shown = std::min<size_t>(problems.size(), 12);
  for (size_t i = 0; i < shown; ++i) out += "\n  " + problems[i];
  if (problems.size() > shown) out += "\n  ... and " + std::to_string(problems.size() - shown) + " more";
  return out;
}

class LayoutTest : public uitest::DemoWindow {
 protected:
  void Configure(float scale, WindowSize size) { ConfigureWindow(scale, size.width, size.height); }
  void Show(PanelId p) {
    shell_->commands().Push(cmd::ShowPanel{p});
    ui_.Settle(*shell_);
  }
  // Draws the screen until its auto-sized parts have settled, then checks one more frame as drawn.
  void Check(const std::string& screen) {
    ui_.Settle(*shell_);
    ui_.Frame(*shell_);
    uitest::StartRecordingText();
    ui_.Frame(*shell_);
    const std::vector<uitest::DrawnText> drawn = uitest::TakeDrawnText();
    EXPECT_GT(drawn.size(), 5u) << screen << ": the screen drew almost no text";
    const std::vector<std::string> problems = uitest::LayoutProblems(drawn);
    EXPECT_TRUE(problems.empty()) << screen << ": " << problems.size() << " layout problems"
                                  << Join(problems);
    ++screens_;
  }

  int screens_ = 0;
};

// The probe itself: text cut by its clip rectangle, text over text, and the same texts laid out properly.
TEST(LayoutProbe, SeesCutTextAndTextOverTextButNotAnEllipsis) {
  uitest::HeadlessImGui ui;
  auto frame = [](bool bad) {
    ImGui::NewFrame();
    ImGui::SetNextWindowPos(ImVec2(0, 0));
    ImGui::SetNextWindowSize(ImVec2(400, 300));
    ImGui::Begin("probe", nullptr, ImGuiWindowFlags_NoDecoration);
    ImGui::BeginChild("narrow", ImVec2(80, 100), true);
    const std::string long_text = "a label far too long for this narrow child window";
    if (bad) {
      ImGui::TextUnformatted(long_text.c_str());
    } else {
      TextFit(long_text);
    }
    ImGui::EndChild();
    ImGui::TextUnformatted("first");
    ImGui::SameLine(bad ? ImGui::GetStyle().WindowPadding.x + ImGui::CalcTextSize("first").x * 0.5f : 0.0f);
    ImGui::TextUnformatted("second");
    ImGui::End();
    ImGui::Render();
  };
  uitest::StartRecordingText();
  frame(true);
  auto problems = uitest::LayoutProblems(uitest::TakeDrawnText());
  ASSERT_EQ(problems.size(), 2u) << Join(problems);
  EXPECT_NE(problems[0].find("cut in window 'probe/narrow"), std::string::npos) << problems[0];
  EXPECT_NE(problems[1].find("overlap in window 'probe'"), std::string::npos) << problems[1];
  EXPECT_NE(problems[1].find("'first'"), std::string::npos) << problems[1];
  uitest::StartRecordingText();
  frame(false);
  const std::vector<uitest::DrawnText> drawn = uitest::TakeDrawnText();
  EXPECT_EQ(uitest::LayoutProblems(drawn), std::vector<std::string>{});
  ASSERT_EQ(drawn.size(), 3u);
  EXPECT_EQ(drawn[0].text.substr(drawn[0].text.size() - 3), "...");
}

TEST_F(LayoutTest, EveryScreenHoldsAtBothScalesAndBothWindowSizes) {
  // The match view and the case log show a referral the huddle plan places in a bed, with some casework
  // (a hold, a call, a chase reminder), so the capacity board and the case log have something to show.
  Show(PanelId::kPlan);
  const PlanAllocation* placed = nullptr;
  for (const PlanAllocation& a : shell_->workspace().plan.allocations) {
    if (a.option.kind == "bed") {
      placed = &a;
      break;
    }
  }
  ASSERT_NE(placed, nullptr);
  const std::string referral = placed->referral_id, bed = placed->option.bed_id;
  shell_->commands().Push(cmd::SelectReferral{referral});
  ui_.Settle(*shell_);
  // As the match view's Hold (H) sends it.
  shell_->commands().Push(
      cmd::Hold{.referral_id = referral, .provider_id = placed->option.provider_id, .bed_id = bed});
  ui_.Settle(*shell_);
  ASSERT_FALSE(shell_->workspace().last_message_is_error)
      << shell_->workspace().last_message << " (bed " << bed << ")";
  shell_->commands().Push(cmd::AddNote{.referral_id = referral,
                                       .kind = "call",
                                       .text = "rang the home: they can assess on the ward tomorrow"});
  shell_->commands().Push(cmd::AddNote{
      .referral_id = referral, .kind = "reminder", .text = "chase the funding panel", .due = TodayIsoDate()});
  ui_.Settle(*shell_);
  ASSERT_FALSE(shell_->workspace().last_message_is_error)
      << shell_->workspace().last_message << " (bed " << bed << ")";
  for (const float scale : {1.0f, 2.0f}) {
    for (const WindowSize size : {WindowSize{1280, 800}, WindowSize{1920, 1080}}) {
      Configure(scale, size);
      const std::string config = std::to_string(static_cast<int>(scale * 100)) + "% " +
                                 std::to_string(size.width) + "x" + std::to_string(size.height);
      for (int i = 0; i < static_cast<int>(PanelId::kCount); ++i) {
        const auto panel = static_cast<PanelId>(i);
        Show(panel);
        Check(config + " " + PanelSlug(panel));
      }
      Show(PanelId::kHuddle);
      ui_.Press(*shell_, keys::kF1);
      ASSERT_TRUE(shell_->help_open());
      Check(config + " keyboard help");
      ui_.Press(*shell_, keys::kEscape);
    }
  }
  EXPECT_EQ(screens_, 4 * (static_cast<int>(PanelId::kCount) + 1));
}

TEST_F(LayoutTest, TheUnlockScreenHoldsAtBothScalesAndBothWindowSizes) {
  Shell locked(tmp_.Sub("store"), "broker.ahmed");
  for (const float scale : {1.0f, 2.0f}) {
    for (const WindowSize size : {WindowSize{1280, 800}, WindowSize{1920, 1080}}) {
      Configure(scale, size);
      for (int i = 0; i < 3; ++i) ui_.Frame(locked);
      uitest::StartRecordingText();
      ui_.Frame(locked);
      const std::vector<std::string> problems = uitest::LayoutProblems(uitest::TakeDrawnText());
      EXPECT_TRUE(problems.empty()) << scale << "x " << size.width << ": " << Join(problems);
    }
  }
}

}  // namespace
}  // namespace berth::ui

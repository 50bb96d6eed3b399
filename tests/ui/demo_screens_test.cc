// What each screen of the demo store shows, read from the text ImGui drew (layout_probe.h): the panel's own
// content (its rows, names and counts, taken from the view models the screen was drawn from), in the panel's
// part of the window, at the size `berth gui --screenshot` uses. The screenshots under Xvfb
// (tests/e2e/gui_panels_test.cc) are these same frames rendered by OpenGL.
#include <gtest/gtest.h>
#include <imgui.h>

#include <memory>
#include <string>
#include <vector>

#include "demo_window.h"
#include "layout_probe.h"
#include "panel.h"
#include "shell.h"

namespace berth::ui {
namespace {

class DemoScreens : public uitest::DemoWindow {
 protected:
  void SetUp() override {
    DemoWindow::SetUp();
    if (HasFatalFailure()) return;
    ConfigureWindow(1.0f, 1280, 800);  // the screenshot's window
  }

  // The texts the panel area drew once the screen had settled (the navigation and status bar left out).
  std::vector<std::string> PanelText(PanelId p) {
    shell_->commands().Push(cmd::ShowPanel{p});
    ui_.Settle(*shell_);
    ui_.Frame(*shell_);
    uitest::StartRecordingText();
    ui_.Frame(*shell_);
    std::vector<std::string> out;
    for (const uitest::DrawnText& d : uitest::TakeDrawnText()) {
      if (d.window.find("/panel") != std::string::npos) out.push_back(d.text);
    }
    EXPECT_EQ(shell_->current_panel(), p);
    EXPECT_TRUE(Shows(out, PanelName(p))) << "no title: " << All(out);
    return out;
  }
  // True when `want` was drawn whole, or shortened to fit its cell ("Keith Robins..."), or inside a longer
  // text.
  static bool Shows(const std::vector<std::string>& drawn, const std::string& want) {
    for (const std::string& t : drawn) {
      if (t.find(want) != std::string::npos) return true;
      const bool cut = t.size() > 3 && t.compare(t.size() - 3, 3, "...") == 0;
      if (cut && t.size() > 6 && want.compare(0, t.size() - 3, t, 0, t.size() - 3) == 0) return true;
    }
    return false;
  }
  static std::string All(const std::vector<std::string>& drawn) {
    std::string out;
    for (const std::string& t : drawn) out += " | " + t;
    return out;
  }
};

TEST_F(DemoScreens, EachPanelShowsItsOwnRowsNamesAndCounts) {
  const Workspace& ws = shell_->workspace();
  // The huddle board: the first open referrals of the queue, most urgent first.
  {
    const auto drawn = PanelText(PanelId::kHuddle);
    const std::vector<int> rows = FilterQueue(ws.queue, QueueFilter{});
    ASSERT_GE(rows.size(), 5u);
    EXPECT_TRUE(Shows(drawn, std::to_string(rows.size()) + " shown")) << All(drawn);
    for (size_t i = 0; i < 5; ++i) {
      const QueueRow& r = ws.queue.rows[static_cast<size_t>(rows[i])];
      EXPECT_TRUE(Shows(drawn, r.name)) << r.name << ":" << All(drawn);
    }
  }
  // The match view: the selected referral and its best options.
  {
    const auto drawn = PanelText(PanelId::kMatch);
    ASSERT_TRUE(ws.match.matched);
    ASSERT_FALSE(ws.match.options.empty());
    EXPECT_TRUE(Shows(drawn, ws.match.referral_name)) << All(drawn);
    EXPECT_TRUE(Shows(drawn, ws.match.options[0].provider_name)) << All(drawn);
  }
  // The huddle plan: its first allocations, person and provider.
  {
    const auto drawn = PanelText(PanelId::kPlan);
    ASSERT_GE(ws.plan.allocations.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_TRUE(Shows(drawn, ws.plan.allocations[i].referral_name)) << All(drawn);
      EXPECT_TRUE(Shows(drawn, ws.plan.allocations[i].option.provider_name)) << All(drawn);
    }
  }
  // The capacity board: the first district and the home open on it.
  {
    const auto drawn = PanelText(PanelId::kCapacity);
    ASSERT_FALSE(ws.capacity.homes.empty());
    ASSERT_FALSE(ws.capacity.districts.empty());
    EXPECT_TRUE(Shows(drawn, ws.capacity.districts[0].name)) << All(drawn);
    EXPECT_TRUE(Shows(drawn, ws.capacity.homes[0].name)) << All(drawn);
  }
  // Voids and utilisation: the longest-empty void's home.
  {
    const auto drawn = PanelText(PanelId::kVoids);
    ASSERT_FALSE(ws.voids.voids.empty());
    EXPECT_TRUE(Shows(drawn, ws.voids.voids[0].home)) << All(drawn);
  }
  // Sync: a demo store is not enrolled, and its conflicts inbox is counted.
  {
    const auto drawn = PanelText(PanelId::kSync);
    EXPECT_TRUE(Shows(drawn, "Conflicts inbox (" + std::to_string(ws.sync.conflicts.size()) + ")"))
        << All(drawn);
    EXPECT_TRUE(Shows(drawn, "Enrol this device")) << All(drawn);
  }
  // Settings: each editable setting's label.
  {
    const auto drawn = PanelText(PanelId::kSettings);
    for (const EditableSetting& s : EditableSettings()) EXPECT_TRUE(Shows(drawn, s.label)) << All(drawn);
  }
}

}  // namespace
}  // namespace berth::ui

// Every panel of a demo store, rendered by the real `berth gui --screenshot` in a real window under Xvfb,
// read back from its pixels (png_checks.h): each PNG has the size asked for; the navigation highlights the
// panel asked for, in the navigation's order; the panel has its title line and its own lines of text (the
// huddle board a screenful of the demo's referrals); and each panel differs from the others. What the text
// says is checked on the same frames by tests/ui/demo_screens_test.cc, from the text ImGui drew.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <vector>

#include "png_checks.h"
#include "support/test_support.h"
#include "xvfb.h"

namespace berth {
namespace {

using e2e::Box;
using e2e::Image;
using testing::Program;
using testing::RunCommand;
using testing::TempDir;

// The panel's part of a 1280x800 window at scale 1: right of the navigation, above the status bar.
constexpr Box kPanelTitle{212, 12, 700, 34};
constexpr Box kPanelBody{212, 40, 1265, 752};

TEST(GuiPanels, EveryPanelOfTheDemoStoreRendersUnderXvfb) {
  TempDir tmp;
  const e2e::Xvfb x;
  ASSERT_FALSE(x.display().empty()) << "Xvfb did not start";
  const std::string store = tmp.Sub("store"), pass = tmp.Sub("pass");
  { std::ofstream(pass) << "demo passphrase\n"; }
  const std::string berth = Program("app/berth") + " --store " + store + " --passphrase-file " + pass;
  std::string out;
  ASSERT_EQ(RunCommand(berth + " demo", &out), 0) << out;
  std::map<std::string, Image> shots;
  int previous_highlight = -1;
  for (const char* panel : {"huddle", "referral", "match", "plan", "capacity", "voids", "sync", "settings"}) {
    const std::string png = tmp.Sub(std::string(panel) + ".png");
    const int rc =
        RunCommand(x.Prefix() + berth + " gui --screenshot " + png + " --frames 3 --panel " + panel, &out);
    ASSERT_EQ(rc, 0) << panel << ": " << out;
    Image img = e2e::LoadPng(png);
    ASSERT_EQ(img.width, 1280) << panel;
    ASSERT_EQ(img.height, 800) << panel;
    // The navigation shows this panel as the current one: its entry is highlighted, below the previous
    // panel's (the entries are in this order).
    const int highlight = e2e::NavHighlightY(img, 1);
    EXPECT_GT(highlight, previous_highlight) << panel << " is not the highlighted entry";
    previous_highlight = highlight;
    EXPECT_EQ(e2e::TextLines(img, kPanelTitle), 1) << panel << ": no title line";
    const int lines = e2e::TextLines(img, kPanelBody);
    EXPECT_GE(lines, 3) << panel << " shows almost nothing";
    if (std::string(panel) == "huddle") {
      EXPECT_GE(lines, 15) << "the board shows a screenful of referrals";
    }
    shots[panel] = std::move(img);
  }
  // Each panel shows something of its own (not the same frame eight times, e.g. a stuck unlock screen).
  for (auto a = shots.begin(); a != shots.end(); ++a) {
    for (auto b = std::next(a); b != shots.end(); ++b)
      EXPECT_NE(a->second.rgba, b->second.rgba) << a->first << " vs " << b->first;
  }
}

TEST(GuiPanels, ScaleTwoRendersAtDoubleSize) {
  TempDir tmp;
  const e2e::Xvfb x("2600x1700x24");
  ASSERT_FALSE(x.display().empty()) << "Xvfb did not start";
  const std::string png = tmp.Sub("big.png");
  std::string out;
  const int rc = RunCommand(x.Prefix() + Program("app/berth") + " --store " + tmp.Sub("store") +
                                " gui --screenshot " + png + " --frames 3 --scale 2",
                            &out);
  ASSERT_EQ(rc, 0) << out;
  Image img = e2e::LoadPng(png);
  ASSERT_EQ(img.width, 2560);
  ASSERT_EQ(img.height, 1600);
  // A new store: the create-store dialog, centred, twice as large as at scale 1 (tests/e2e's first screen:
  // about 450 pixels wide there), with its lines of text.
  const Box box = e2e::DrawnBox(img);
  ASSERT_FALSE(box.empty()) << "blank";
  EXPECT_NEAR((box.x0 + box.x1) / 2, img.width / 2, 8);
  EXPECT_GT(box.x1 - box.x0, 2 * 400);
  EXPECT_LT(box.x1 - box.x0, 2 * 520);
  EXPECT_GE(e2e::TextLines(img, box), 4);
}

TEST(GuiPanels, AnUnknownPanelIsRefusedClearly) {
  TempDir tmp;
  const e2e::Xvfb x;
  ASSERT_FALSE(x.display().empty()) << "Xvfb did not start";
  std::string out;
  const int rc = RunCommand(x.Prefix() + Program("app/berth") + " --store " + tmp.Sub("store") +
                                " gui --screenshot " + tmp.Sub("x.png") + " --panel nonsense",
                            &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("unknown panel 'nonsense'"), std::string::npos) << out;
  EXPECT_FALSE(std::ifstream(tmp.Sub("x.png")).good());
}

}  // namespace
}  // namespace berth

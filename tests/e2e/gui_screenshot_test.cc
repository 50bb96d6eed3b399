// The real `berth` program opens a real window under Xvfb and writes a screenshot of its first screen, read
// back from its pixels (png_checks.h): the size asked for, and the screen it should be.
#include <gtest/gtest.h>

#include <cstdlib>

#include "png_checks.h"
#include "support/test_support.h"
#include "xvfb.h"

namespace berth {
namespace {

using testing::Program;
using testing::RunCommand;
using testing::TempDir;

// The first screen of a new store: the create-store dialog alone, centred across the window, with its
// lines of text (title, store, what to do, the button), and no navigation (nothing is unlocked).
void ExpectCreateStoreDialog(const e2e::Image& img) {
  const e2e::Box box = e2e::DrawnBox(img);
  ASSERT_FALSE(box.empty()) << "the screenshot is blank";
  EXPECT_NEAR((box.x0 + box.x1) / 2, img.width / 2, 4);
  EXPECT_GT(box.x1 - box.x0, 400);
  EXPECT_LT(box.x1 - box.x0, 520);
  EXPECT_GT(box.y0, 100);
  EXPECT_LT(box.y1, img.height - 100);
  EXPECT_GE(e2e::TextLines(img, box), 4);
  EXPECT_EQ(e2e::NavHighlightY(img, 1), -1);
}

TEST(GuiScreenshot, FirstScreenRendersUnderXvfb) {
  TempDir tmp;
  const e2e::Xvfb x;
  ASSERT_FALSE(x.display().empty()) << "Xvfb did not start";
  const std::string png = tmp.Sub("first.png");
  std::string out;
  const int rc = RunCommand(x.Prefix() + Program("app/berth") + " --store " + tmp.Sub("store") +
                                " gui --screenshot " + png + " --frames 3",
                            &out);
  ASSERT_EQ(rc, 0) << out;
  const e2e::Image img = e2e::LoadPng(png);
  ASSERT_EQ(img.width, 1280);
  ASSERT_EQ(img.height, 800);
  ExpectCreateStoreDialog(img);
}

// The window reads the passphrase sources the README lists: $BERTH_PASSPHRASE unlocks it as
// --passphrase-file does (a wrong one is refused with the CLI's exit code), with no unlock screen.
TEST(GuiScreenshot, BerthPassphraseUnlocksTheWindow) {
  TempDir tmp;
  const e2e::Xvfb x;
  ASSERT_FALSE(x.display().empty()) << "Xvfb did not start";
  const std::string berth = Program("app/berth") + " --store " + tmp.Sub("store");
  std::string out;
  ASSERT_EQ(RunCommand("BERTH_PASSPHRASE='window passphrase' " + berth + " init", &out), 0) << out;
  const std::string gui = " gui --panel settings --frames 3 --screenshot ";
  EXPECT_EQ(RunCommand("BERTH_PASSPHRASE='window passphrase' " + x.Prefix() + berth + gui + tmp.Sub("ok.png"),
                       &out),
            0)
      << out;
  // Unlocked at once: the whole window with the settings entry highlighted, not a dialog.
  const e2e::Image ok = e2e::LoadPng(tmp.Sub("ok.png"));
  ASSERT_EQ(ok.width, 1280);
  const e2e::Box box = e2e::DrawnBox(ok);
  EXPECT_LT(box.x0, 20);
  EXPECT_GT(box.x1, ok.width - 20);
  EXPECT_GT(e2e::NavHighlightY(ok, 1), 0);
  EXPECT_EQ(
      RunCommand("BERTH_PASSPHRASE='not the passphrase' " + x.Prefix() + berth + gui + tmp.Sub("no.png"),
                 &out),
      3)
      << out;
}

TEST(GuiScreenshot, WithoutADisplayItSaysSoInsteadOfHanging) {
  TempDir tmp;
  std::string out;
  const int rc = RunCommand("env -u DISPLAY -u WAYLAND_DISPLAY " + Program("app/berth") + " --store " +
                                tmp.Sub("store") + " gui --screenshot " + tmp.Sub("x.png"),
                            &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("no display"), std::string::npos) << out;
}

}  // namespace
}  // namespace berth

// The real `berth` program opens a real window under Xvfb and writes a screenshot of its first screen.
#include <gtest/gtest.h>
#include <stb/stb_image.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "support/test_support.h"

namespace berth {
namespace {

using testing::Program;
using testing::RunCommand;
using testing::TempDir;

// Distinct colours in the image: a blank or single-colour frame has one or two.
int DistinctColours(const std::string& png, int* width, int* height) {
  int channels = 0;
  unsigned char* px = stbi_load(png.c_str(), width, height, &channels, 4);
  if (px == nullptr) return 0;
  std::vector<uint32_t> seen;
  for (int i = 0; i < *width * *height; i += 7) {
    uint32_t c;
    std::memcpy(&c, px + i * 4, 4);
    if (std::find(seen.begin(), seen.end(), c) == seen.end()) seen.push_back(c);
    if (seen.size() > 64) break;
  }
  stbi_image_free(px);
  return static_cast<int>(seen.size());
}

TEST(GuiScreenshot, FirstScreenRendersUnderXvfb) {
  TempDir tmp;
  const std::string png = tmp.Sub("first.png");
  std::string out;
  const int rc = RunCommand("xvfb-run -a " + Program("app/berth") + " --store " + tmp.Sub("store") +
                                " gui --screenshot " + png + " --frames 3",
                            &out);
  ASSERT_EQ(rc, 0) << out;
  int w = 0, h = 0;
  EXPECT_GT(DistinctColours(png, &w, &h), 8) << "the screenshot looks blank";
  EXPECT_EQ(w, 1280);
  EXPECT_EQ(h, 800);
}

// The window reads the passphrase sources the README lists: $BERTH_PASSPHRASE unlocks it as
// --passphrase-file does (a wrong one is refused with the CLI's exit code), with no unlock screen.
TEST(GuiScreenshot, BerthPassphraseUnlocksTheWindow) {
  TempDir tmp;
  const std::string berth = Program("app/berth") + " --store " + tmp.Sub("store");
  std::string out;
  ASSERT_EQ(RunCommand("BERTH_PASSPHRASE='window passphrase' " + berth + " init", &out), 0) << out;
  const std::string gui = " gui --panel settings --frames 3 --screenshot ";
  EXPECT_EQ(
      RunCommand("BERTH_PASSPHRASE='window passphrase' xvfb-run -a " + berth + gui + tmp.Sub("ok.png"), &out),
      0)
      << out;
  int w = 0, h = 0;
  EXPECT_GT(DistinctColours(tmp.Sub("ok.png"), &w, &h), 8) << "the screenshot looks blank";
  EXPECT_EQ(RunCommand("BERTH_PASSPHRASE='not the passphrase' xvfb-run -a " + berth + gui + tmp.Sub("no.png"),
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

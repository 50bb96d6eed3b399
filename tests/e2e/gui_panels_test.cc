// Every panel of a demo store, rendered by the real `berth gui --screenshot` in a real window under Xvfb:
// each PNG has the window's size, is not blank, and differs from the other panels (each shows its own view).
#include <gtest/gtest.h>
#include <stb/stb_image.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <vector>

#include "support/test_support.h"

namespace berth {
namespace {

using testing::Program;
using testing::RunCommand;
using testing::TempDir;

struct Image {
  int width = 0, height = 0;
  std::vector<unsigned char> rgba;
};

Image Load(const std::string& png) {
  Image img;
  int channels = 0;
  unsigned char* px = stbi_load(png.c_str(), &img.width, &img.height, &channels, 4);
  if (px == nullptr) return img;
  img.rgba.assign(px, px + static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * 4);
  stbi_image_free(px);
  return img;
}

// Distinct colours on a sparse grid: a blank or single-colour frame has one or two.
int DistinctColours(const Image& img) {
  std::vector<uint32_t> seen;
  for (size_t i = 0; i + 4 <= img.rgba.size(); i += 4 * 7) {
    uint32_t c;
    std::memcpy(&c, img.rgba.data() + i, 4);
    if (std::find(seen.begin(), seen.end(), c) == seen.end()) seen.push_back(c);
    if (seen.size() > 64) break;
  }
  return static_cast<int>(seen.size());
}

// Share of pixels that are not the background colour (the top-left pixel): how much was drawn.
double InkShare(const Image& img) {
  if (img.rgba.empty()) return 0;
  uint32_t bg;
  std::memcpy(&bg, img.rgba.data(), 4);
  size_t ink = 0, n = 0;
  for (size_t i = 0; i + 4 <= img.rgba.size(); i += 4 * 3, ++n) {
    uint32_t c;
    std::memcpy(&c, img.rgba.data() + i, 4);
    ink += c != bg ? 1 : 0;
  }
  return static_cast<double>(ink) / static_cast<double>(n);
}

TEST(GuiPanels, EveryPanelOfTheDemoStoreRendersUnderXvfb) {
  TempDir tmp;
  const std::string store = tmp.Sub("store"), pass = tmp.Sub("pass");
  { std::ofstream(pass) << "demo passphrase\n"; }
  const std::string berth = Program("app/berth") + " --store " + store + " --passphrase-file " + pass;
  std::string out;
  ASSERT_EQ(RunCommand(berth + " demo", &out), 0) << out;
  std::map<std::string, Image> shots;
  for (const char* panel : {"huddle", "referral", "match", "plan", "capacity", "voids", "sync", "settings"}) {
    const std::string png = tmp.Sub(std::string(panel) + ".png");
    const int rc = RunCommand(
        "xvfb-run -a " + berth + " gui --screenshot " + png + " --frames 3 --panel " + panel, &out);
    ASSERT_EQ(rc, 0) << panel << ": " << out;
    Image img = Load(png);
    EXPECT_EQ(img.width, 1280) << panel;
    EXPECT_EQ(img.height, 800) << panel;
    EXPECT_GT(DistinctColours(img), 8) << panel << " looks blank";
    EXPECT_GT(InkShare(img), 0.02) << panel << " has almost nothing drawn";
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
  const std::string png = tmp.Sub("big.png");
  std::string out;
  const int rc = RunCommand("xvfb-run -a -s '-screen 0 2600x1700x24' " + Program("app/berth") + " --store " +
                                tmp.Sub("store") + " gui --screenshot " + png + " --frames 3 --scale 2",
                            &out);
  ASSERT_EQ(rc, 0) << out;
  Image img = Load(png);
  EXPECT_EQ(img.width, 2560);
  EXPECT_EQ(img.height, 1600);
  EXPECT_GT(DistinctColours(img), 8);
}

TEST(GuiPanels, AnUnknownPanelIsRefusedClearly) {
  TempDir tmp;
  std::string out;
  const int rc = RunCommand("xvfb-run -a " + Program("app/berth") + " --store " + tmp.Sub("store") +
                                " gui --screenshot " + tmp.Sub("x.png") + " --panel nonsense",
                            &out);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("unknown panel 'nonsense'"), std::string::npos) << out;
  EXPECT_FALSE(std::ifstream(tmp.Sub("x.png")).good());
}

}  // namespace
}  // namespace berth

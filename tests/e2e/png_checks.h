// Reading a screenshot back: what `berth gui --screenshot` drew, checked from its pixels. The window's
// geometry these checks rely on (the navigation column on the left, 12 font sizes wide; the panel to its
// right; the status bar at the bottom) is the shell's (app/ui/src/shell.cc); at --scale 2 every length
// doubles. Text is found as rows of dark ink: the light theme draws text near-black on a near-white
// background, and hints and disabled text in grey (not counted).
#pragma once

#include <stb/stb_image.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace berth::e2e {

struct Image {
  int width = 0, height = 0;
  std::vector<unsigned char> rgba;

  const unsigned char* At(int x, int y) const {
    return rgba.data() + (static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * 4;
  }
  int Luma(int x, int y) const {
    const unsigned char* p = At(x, y);
    return (p[0] * 299 + p[1] * 587 + p[2] * 114) / 1000;
  }
};

inline Image LoadPng(const std::string& png) {
  Image img;
  int channels = 0;
  unsigned char* px = stbi_load(png.c_str(), &img.width, &img.height, &channels, 4);
  if (px == nullptr) return Image{};
  img.rgba.assign(px, px + static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * 4);
  stbi_image_free(px);
  return img;
}

struct Box {
  int x0 = 0, y0 = 0, x1 = -1, y1 = -1;  // inclusive; empty when x1 < x0
  bool empty() const { return x1 < x0; }
};

// Lines of text in a box: runs of pixel rows holding dark ink (luma below 110), at least 4 rows tall so a
// rule or a border is not a line.
inline int TextLines(const Image& img, Box b) {
  int lines = 0, run = 0;
  for (int y = b.y0; y <= b.y1 && y < img.height; ++y) {
    bool ink = false;
    for (int x = b.x0; x <= b.x1 && x < img.width && !ink; ++x) ink = img.Luma(x, y) < 110;
    if (ink) {
      ++run;
    } else {
      lines += run >= 4 ? 1 : 0;
      run = 0;
    }
  }
  return lines + (run >= 4 ? 1 : 0);
}

// The box holding every pixel that differs from the background (the top-left pixel).
inline Box DrawnBox(const Image& img) {
  Box b{img.width, img.height, -1, -1};
  if (img.rgba.empty()) return b;
  const unsigned char* bg = img.At(0, 0);
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      const unsigned char* p = img.At(x, y);
      if (p[0] == bg[0] && p[1] == bg[1] && p[2] == bg[2]) continue;
      b.x0 = std::min(b.x0, x);
      b.y0 = std::min(b.y0, y);
      b.x1 = std::max(b.x1, x);
      b.y1 = std::max(b.y1, y);
    }
  }
  return b;
}

// The navigation's highlighted entry (the current panel): the middle row of the bluish band in the
// navigation column, right of the entries' text; -1 when there is none.
inline int NavHighlightY(const Image& img, int scale) {
  const int x = 185 * scale;
  int first = -1, last = -1;
  for (int y = 30 * scale; y < 300 * scale && y < img.height; ++y) {
    const unsigned char* p = img.At(x, y);
    if (p[2] - p[0] > 15) {
      if (first < 0) first = y;
      last = y;
    }
  }
  return first < 0 ? -1 : (first + last) / 2;
}

}  // namespace berth::e2e

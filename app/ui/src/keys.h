// Key codes as ImGui 1.86 sees them: the GLFW backend fills io.KeysDown[] with GLFW key codes, which are
// ASCII for letters, digits and '/'. Named here so panels and tests need not include GLFW.
#pragma once

namespace berth::ui::keys {
inline constexpr int kSlash = '/';
inline constexpr int kSpace = ' ';
inline constexpr int k0 = '0';  // '1'..'9' follow
inline constexpr int kA = 'A';  // 'B'..'Z' follow
inline constexpr int kC = 'C';
inline constexpr int kE = 'E';
inline constexpr int kF = 'F';
inline constexpr int kH = 'H';
inline constexpr int kJ = 'J';
inline constexpr int kK = 'K';
inline constexpr int kL = 'L';
inline constexpr int kN = 'N';
inline constexpr int kO = 'O';
inline constexpr int kR = 'R';
inline constexpr int kS = 'S';
inline constexpr int kU = 'U';
inline constexpr int kV = 'V';
inline constexpr int kX = 'X';
inline constexpr int kY = 'Y';
inline constexpr int kEscape = 256;  // GLFW_KEY_ESCAPE
inline constexpr int kEnter = 257;   // GLFW_KEY_ENTER
inline constexpr int kTab = 258;
inline constexpr int kBackspace = 259;
inline constexpr int kDelete = 261;
inline constexpr int kRight = 262;
inline constexpr int kLeft = 263;
inline constexpr int kDown = 264;
inline constexpr int kUp = 265;
inline constexpr int kPageUp = 266;
inline constexpr int kPageDown = 267;
inline constexpr int kHome = 268;
inline constexpr int kEnd = 269;
inline constexpr int kF1 = 290;
inline constexpr int kF5 = 294;
}  // namespace berth::ui::keys

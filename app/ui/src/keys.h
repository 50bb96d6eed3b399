// Key codes as ImGui 1.86 sees them: the GLFW backend fills io.KeysDown[] with GLFW key codes, which are
// ASCII for letters and digits. Named here so panels and tests need not include GLFW.
#pragma once

namespace berth::ui::keys {
inline constexpr int kL = 'L';
inline constexpr int kEnter = 257;  // GLFW_KEY_ENTER
inline constexpr int kEscape = 256;
inline constexpr int kTab = 258;
inline constexpr int kF1 = 290;
}  // namespace berth::ui::keys

// The high contrast theme against WCAG 2.2 AA (4.5:1 for text, 3:1 for the parts of controls and status
// marks), pair by pair; and the theme as a preference of the person at the device.
#include <gtest/gtest.h>
#include <imgui.h>

#include "berth/schema/settings.h"
#include "headless.h"
#include "theme.h"
#include "window_harness.h"

namespace berth::ui {
namespace {

ImVec4 Hex(int rgb) {
  return ImVec4(static_cast<float>((rgb >> 16) & 0xFF) / 255.0f,
                static_cast<float>((rgb >> 8) & 0xFF) / 255.0f, static_cast<float>(rgb & 0xFF) / 255.0f,
                1.0f);
}

TEST(Contrast, RatiosMatchWcagsFormula) {
  EXPECT_NEAR(ContrastRatio(Hex(0x000000), Hex(0xFFFFFF)), 21.0, 1e-9);
  EXPECT_NEAR(ContrastRatio(Hex(0xFFFFFF), Hex(0x000000)), 21.0, 1e-9);  // either way round
  EXPECT_NEAR(ContrastRatio(Hex(0x777777), Hex(0x777777)), 1.0, 1e-9);
  EXPECT_NEAR(ContrastRatio(Hex(0x777777), Hex(0xFFFFFF)), 4.48, 0.01);  // the classic just-too-light grey
  EXPECT_NEAR(ContrastRatio(Hex(0x767676), Hex(0xFFFFFF)), 4.54, 0.01);
  // Translucent colours are seen blended over what is under them: half-transparent black on white is grey.
  EXPECT_NEAR(ContrastRatio(ImVec4(0, 0, 0, 0.5f), Hex(0xFFFFFF)),
              ContrastRatio(Hex(0x808080), Hex(0xFFFFFF)), 0.05);
}

TEST(Contrast, TheHighContrastThemeMeetsWcagAaOnEveryPair) {
  uitest::HeadlessImGui ui;
  ApplyTheme(Theme::kHighContrast, 1.0f);
  const std::vector<ColourPair> pairs = ThemeContrastPairs();
  EXPECT_GT(pairs.size(), 60u);
  int text = 0, parts = 0;
  for (const ColourPair& p : pairs) {
    EXPECT_GE(ContrastRatio(p.fg, p.bg), p.minimum) << p.what;
    (p.minimum >= 4.5 ? text : parts) += 1;
  }
  EXPECT_GT(text, 30);
  EXPECT_GT(parts, 15);
  // Every control is outlined, so a control is never told from its ground by its fill alone.
  EXPECT_GE(ImGui::GetStyle().FrameBorderSize, 1.0f);
  ApplyTheme(Theme::kLight, 1.0f);
}

TEST(Contrast, ChipsTakeWhicheverOfBlackOrWhiteReadsBetter) {
  EXPECT_EQ(TextColourOn(IM_COL32(255, 214, 0, 255)), IM_COL32(0, 0, 0, 255));
  EXPECT_EQ(TextColourOn(IM_COL32(0, 54, 107, 255)), IM_COL32(255, 255, 255, 255));
}

TEST(Contrast, EveryUrgencyColourHasASymbolOrWordsBesideIt) {
  // Hand backs and delays each have their own mark; the rest are told apart by the words "urgent",
  // "today" and "in N d" the queue writes beside them.
  EXPECT_STREQ(UrgencySymbol(3, Priority::kHandBack), "<<");
  EXPECT_STREQ(UrgencySymbol(7, Priority::kRoutine), "!!");
  EXPECT_STREQ(UrgencySymbol(1, Priority::kUrgent), "!");
  EXPECT_STREQ(UrgencySymbol(0, Priority::kRoutine), "");
}

class ThemePreference : public uitest::WindowHarness {};

TEST_F(ThemePreference, HighContrastIsAPreferenceOfThisDeviceAndNeverEntersTheOutbox) {
  const int64_t outbox = Count("SELECT count(*) FROM outbox");
  Send(cmd::SaveSetting{.key = "ui.theme", .value = "high_contrast"});
  EXPECT_FALSE(Refused()) << Message();
  EXPECT_EQ(CurrentTheme(), Theme::kHighContrast);
  EXPECT_EQ(ImGui::GetStyle().Colors[ImGuiCol_WindowBg].x, 0.0f);
  Send(cmd::SaveSetting{.key = "ui.reduced_motion", .value = "on"});
  EXPECT_FALSE(Refused()) << Message();
  EXPECT_FALSE(ImGui::GetIO().ConfigInputTextCursorBlink);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), outbox);
  EXPECT_EQ(*SettingValue(store(), "ui.theme"), "high_contrast");
  // A value the schema does not know is refused, and the theme stays as it was.
  ExpectRefused(cmd::SaveSetting{.key = "ui.theme", .value = "purple"}, "ui.theme");
  EXPECT_EQ(CurrentTheme(), Theme::kHighContrast);
  Send(cmd::SaveSetting{.key = "ui.theme", .value = "light"});
  EXPECT_EQ(CurrentTheme(), Theme::kLight);
}

}  // namespace
}  // namespace berth::ui

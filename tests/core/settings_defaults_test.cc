// The settings schema (berth/schema/settings.h) and app/core's matcher agree: every matcher setting is in
// the schema, with the same default, and the matcher's defaults are inside the schema's ranges.
#include <gtest/gtest.h>

#include <cstdlib>

#include "berth/core/scoring.h"
#include "berth/schema/settings.h"

namespace berth {
namespace {

TEST(SettingsDefaults, EveryMatcherSettingIsInTheSchemaWithTheSameDefault) {
  const auto described = core::DescribeSettings(core::MatchSettings{});
  ASSERT_FALSE(described.empty());
  for (const auto& info : described) {
    const SettingSpec* spec = FindSetting(info.key);
    ASSERT_NE(spec, nullptr) << info.key << " is missing from the settings schema";
    EXPECT_TRUE(spec->syncs) << info.key;
    EXPECT_DOUBLE_EQ(std::strtod(spec->default_value.c_str(), nullptr), info.default_value) << info.key;
    EXPECT_TRUE(ValidateSetting(info.key, spec->default_value).ok()) << info.key;
  }
}

}  // namespace
}  // namespace berth

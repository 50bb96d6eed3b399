// Tests of NHS number parsing and its check digit.

#include "berth/core/nhs_number.h"

#include <gtest/gtest.h>

namespace berth::core {
namespace {

TEST(NhsNumber, AcceptsValidNumbersWithOrWithoutSpaces) {
  auto a = ParseNhsNumber("9434765919");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(*a, "9434765919");
  auto b = ParseNhsNumber("943 476 5919");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b, "9434765919");
}

TEST(NhsNumber, RejectsAWrongCheckDigit) {
  auto r = ParseNhsNumber("9434765918");
  EXPECT_EQ(r.status().code(), Code::kBadInput);
  EXPECT_NE(r.status().message().find("check digit"), std::string::npos);
}

TEST(NhsNumber, RejectsWrongLengthAndLetters) {
  EXPECT_EQ(ParseNhsNumber("943476591").status().code(), Code::kBadInput);
  EXPECT_EQ(ParseNhsNumber("94347659199").status().code(), Code::kBadInput);
  EXPECT_EQ(ParseNhsNumber("94347A5919").status().code(), Code::kBadInput);
}

TEST(NhsNumber, RejectsNumbersWhoseCheckDigitWouldBeTen) {
  // Weighted sum of 000000006 is 6*2 = 12; 11 - (12 % 11) = 10, which no valid number has.
  EXPECT_EQ(ParseNhsNumber("0000000060").status().code(), Code::kBadInput);
}

TEST(NhsNumber, FormatsInThreeThreeFour) {
  EXPECT_EQ(FormatNhsNumber("9434765919"), "943 476 5919");
}

}  // namespace
}  // namespace berth::core

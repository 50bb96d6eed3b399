// Tests of the sync protocol version check.

#include "berth/sync/version.h"

#include <gtest/gtest.h>

namespace berth::sync {
namespace {

TEST(ProtocolVersion, SameVersionIsAccepted) {
  EXPECT_TRUE(CheckProtocolVersion(kProtocolVersion).ok());
}

TEST(ProtocolVersion, MismatchIsAClearBadInputNamingBothVersions) {
  const Status st = CheckProtocolVersion(kProtocolVersion + 1);
  EXPECT_EQ(st.code(), Code::kBadInput);
  EXPECT_NE(st.message().find(std::to_string(kProtocolVersion + 1)), std::string::npos);
  EXPECT_NE(st.message().find(std::to_string(kProtocolVersion)), std::string::npos);
}

}  // namespace
}  // namespace berth::sync

// Enrolling from the sync screen with a one-time code, against a real hub process: the device is enrolled
// (the same sync::Enroll as `berth enroll`), the enrolment is audited, and a used code is refused.
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "sync/hub_harness.h"
#include "window_harness.h"

namespace berth::ui {
namespace {

class EnrolWindow : public uitest::WindowHarness {};

TEST_F(EnrolWindow, TheSyncScreenEnrolsThisDeviceWithAOneTimeCode) {
  testing::SetTestEnvironment();
  testing::HubProcess hub(tmp_.Sub("hub"));
  hub.Start();
  const std::string code = hub.MakeCode("ward laptop", "broker", "Huntingdonshire");
  shell_->commands().Push(cmd::ShowPanel{PanelId::kSync});
  Send(cmd::Refresh{});
  ASSERT_TRUE(shell_->workspace().sync.loaded);
  EXPECT_FALSE(shell_->workspace().sync.enrolled);

  ExpectRefused(cmd::Enroll{.hub_url = hub.url(), .code = ""}, "one-time code");
  Send(cmd::Enroll{.hub_url = hub.url(), .code = code});
  EXPECT_FALSE(Refused()) << Message();
  EXPECT_NE(Message().find("fingerprint"), std::string::npos) << Message();
  EXPECT_TRUE(shell_->workspace().sync.enrolled);
  EXPECT_EQ(shell_->workspace().sync.hub_url, hub.url());
  EXPECT_EQ(shell_->workspace().sync.role, "broker");
  auto trail = store().AuditTrail("device", store().device_id());
  ASSERT_TRUE(trail.ok());
  ASSERT_FALSE(trail->empty());
  EXPECT_EQ(trail->back().action, "enroll");

  // Enrolled once: a second enrolment is refused and changes nothing.
  const std::string again = hub.MakeCode("ward laptop", "broker", "Huntingdonshire");
  Send(cmd::Enroll{.hub_url = hub.url(), .code = again});
  EXPECT_TRUE(Refused()) << Message();
  EXPECT_EQ(shell_->workspace().sync.hub_url, hub.url());
  hub.Kill();
}

}  // namespace
}  // namespace berth::ui

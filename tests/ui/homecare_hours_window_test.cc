// Homecare hours edited on the capacity board (the Homecare tab's rows), through core::SetHomecareHours:
// what the store holds, the outbox and the audit trail; refusals write nothing.
#include <gtest/gtest.h>

#include "berth/schema/repository.h"
#include "window_harness.h"

namespace berth::ui {
namespace {

class HomecareHoursWindow : public uitest::WindowHarness {
 protected:
  const HomecareRowView& Row() {
    EXPECT_EQ(shell_->workspace().capacity.homecare_rows.size(), 1u);
    return shell_->workspace().capacity.homecare_rows.at(0);
  }
  static cmd::SetHomecareHours Hours(const std::string& id, std::string hours, bool double_up) {
    return {.capacity_id = id, .hours = std::move(hours), .double_up = double_up};
  }
};

TEST_F(HomecareHoursWindow, AnAgencysHoursAreEditedOnTheCapacityBoard) {
  const HomecareRowView row = Row();
  EXPECT_EQ(row.agency, "Homecare Example Ltd");
  EXPECT_EQ(row.zone, "Huntingdon");
  EXPECT_EQ(row.hours, 14);
  EXPECT_TRUE(row.double_up);
  const auto [outbox, audit] = Written();
  Send(Hours(row.id, "20.5", false));
  EXPECT_FALSE(Refused()) << Message();
  auto saved = LoadHomecareCapacityRow(store().db(), row.id);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  EXPECT_EQ(saved->hours_per_week, 20.5);
  EXPECT_FALSE(saved->double_up);
  EXPECT_GT(Written().first, outbox);  // a synced change
  EXPECT_GT(Written().second, audit);
  auto trail = store().AuditTrail("homecare_capacity", row.id);
  ASSERT_TRUE(trail.ok());
  ASSERT_FALSE(trail->empty());
  EXPECT_EQ(trail->back().action, "homecare_hours");
  // The board shows what the store now holds.
  EXPECT_EQ(Row().hours, 20.5);
  EXPECT_FALSE(Row().double_up);
}

TEST_F(HomecareHoursWindow, HoursOutOfRangeNotANumberUnknownOrUnchangedAreRefusedAndNothingIsWritten) {
  const HomecareRowView row = Row();
  ExpectRefused(Hours(row.id, "-3", true), "0 to 1000");
  ExpectRefused(Hours(row.id, "1001", true), "0 to 1000");
  ExpectRefused(Hours(row.id, "7.3", true), "half hours");
  ExpectRefused(Hours(row.id, "lots", true), "must be a number");
  ExpectRefused(Hours(row.id, "14", true), "nothing to change");
  ExpectRefused(Hours("no-such-row", "10", true), "");
  EXPECT_EQ(LoadHomecareCapacityRow(store().db(), row.id)->hours_per_week, 14);
}

}  // namespace
}  // namespace berth::ui

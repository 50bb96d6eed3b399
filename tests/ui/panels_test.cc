// The panels driven through a real ImGui context with no GPU, on a small store of fictional people: what
// the broker sees (the view models and the panels' state) and what reaches the store.
#include <gtest/gtest.h>
#include <imgui.h>

#include "berth/core/referrals.h"
#include "capacity_panel.h"
#include "headless.h"
#include "huddle_panel.h"
#include "keys.h"
#include "match_panel.h"
#include "referral_panel.h"
#include "shell.h"
#include "support/test_support.h"
#include "ui_fixture.h"
#include "voids_panel.h"
#include "window_harness.h"

namespace berth::ui {
namespace {

using uitest::HeadlessImGui;

std::vector<std::string> VisibleNames(Shell& shell) {
  std::vector<std::string> out;
  for (int i : shell.huddle().visible())
    out.push_back(shell.workspace().queue.rows[static_cast<size_t>(i)].name);
  return out;
}

class PanelsTest : public uitest::WindowHarness {};

TEST(QueueOrder, HandBacksFirstThenDaysPastThenUrgent) {
  std::vector<QueueRow> rows(5);
  rows[0] = {.id = "a", .name = "late", .priority = Priority::kRoutine, .days_past = 10};
  rows[1] = {.id = "b", .name = "handback", .priority = Priority::kHandBack, .days_past = -1};
  rows[2] = {.id = "c", .name = "urgent3", .priority = Priority::kUrgent, .days_past = 3};
  rows[3] = {.id = "d", .name = "routine3", .priority = Priority::kRoutine, .days_past = 3};
  rows[4] = {.id = "e", .name = "future", .priority = Priority::kUrgent, .days_past = -2};
  SortByUrgency(rows);
  std::vector<std::string> names;
  for (const auto& r : rows) names.push_back(r.name);
  EXPECT_EQ(names, (std::vector<std::string>{"handback", "late", "urgent3", "routine3", "future"}));
}

TEST(QueueFilter, SearchesByNameOrNhsNumberAndFiltersByColumn) {
  QueueData data;
  data.available = true;
  data.rows = {{.id = "1",
                .name = "Ann Example",
                .nhs_number = "9434765919",
                .pathway = Pathway::kP3,
                .hospital = "Hinchingbrooke",
                .area = "PE29",
                .broker = "jo",
                .search_key = "ann example 9434765919"},
               {.id = "2",
                .name = "Bob Other",
                .nhs_number = "4010232137",
                .pathway = Pathway::kP1,
                .hospital = "Addenbrooke's",
                .area = "CB2",
                .search_key = "bob other 4010232137"},
               {.id = "3",
                .name = "Cy Placed",
                .nhs_number = "9434765870",
                .status = ReferralStatus::kPlaced,
                .search_key = "cy placed 9434765870"}};
  QueueFilter f;
  EXPECT_EQ(FilterQueue(data, f), (std::vector<int>{0, 1}));  // open ones only by default
  f.search = "EXAMPLE";
  EXPECT_EQ(FilterQueue(data, f), (std::vector<int>{0}));
  f.search = "943 476";  // NHS prefix, spaces ignored; the placed one is not open
  EXPECT_EQ(FilterQueue(data, f), (std::vector<int>{0}));
  f = {};
  f.pathway = static_cast<int>(Pathway::kP1);
  EXPECT_EQ(FilterQueue(data, f), (std::vector<int>{1}));
  f = {};
  f.area = "PE29";
  EXPECT_EQ(FilterQueue(data, f), (std::vector<int>{0}));
  f = {};
  f.hospital = "Addenbrooke's";
  EXPECT_EQ(FilterQueue(data, f), (std::vector<int>{1}));
  f = {};
  f.broker = "(unassigned)";
  EXPECT_EQ(FilterQueue(data, f), (std::vector<int>{1}));
  f = {};
  f.status = static_cast<int>(ReferralStatus::kPlaced);
  EXPECT_EQ(FilterQueue(data, f), (std::vector<int>{2}));
}

TEST_F(PanelsTest, HuddleBoardListsTheOpenQueueByUrgency) {
  EXPECT_EQ(shell_->current_panel(), PanelId::kHuddle);
  EXPECT_EQ(VisibleNames(*shell_), (std::vector<std::string>{"Bob Handback", "Ann Example", "Cara Urgent",
                                                             "Dan Routine", "Eve Future"}));
  // The most urgent referral is selected from the start, so the match view has something to show.
  EXPECT_EQ(shell_->workspace().selected_referral, fx_.bob);
}

TEST_F(PanelsTest, SlashSearchesAndEnterOpensTheMatchViewForTheSelectedReferral) {
  ui_.Press(*shell_, keys::kSlash);
  ui_.Type(*shell_, "cara");
  ui_.Frame(*shell_);
  EXPECT_EQ(VisibleNames(*shell_), (std::vector<std::string>{"Cara Urgent"}));
  ui_.Press(*shell_, keys::kEnter);  // leaves the search field, keeping the text
  ui_.Press(*shell_, keys::kEnter);  // matches the selected referral
  ui_.Settle(*shell_);
  EXPECT_EQ(shell_->current_panel(), PanelId::kMatch);
  EXPECT_EQ(shell_->workspace().selected_referral, fx_.cara);
  EXPECT_EQ(shell_->workspace().detail.referral.name, "Cara Urgent");
  // Opening the person's record was audited as a view.
  auto trail = store().AuditTrail("referral", fx_.cara);
  ASSERT_TRUE(trail.ok());
  bool viewed = false;
  for (const auto& e : *trail) viewed = viewed || e.action == "view";
  EXPECT_TRUE(viewed);
}

TEST_F(PanelsTest, ArrowKeysMoveTheSelectionAndFiltersNarrowTheBoard) {
  ui_.Press(*shell_, keys::kDown);
  ui_.Press(*shell_, keys::kDown);
  EXPECT_EQ(shell_->huddle().selected(), 2);
  shell_->huddle().filter().pathway = static_cast<int>(Pathway::kP2);
  ui_.Frame(*shell_);
  EXPECT_EQ(VisibleNames(*shell_), (std::vector<std::string>{"Cara Urgent", "Eve Future"}));
  // The selected person (Cara) stays selected when the filter still shows her.
  EXPECT_EQ(shell_->huddle().selected(), 0);
}

TEST_F(PanelsTest, CreatingAReferralThroughTheFormStoresIt) {
  ui_.Press(*shell_, keys::kN, /*ctrl=*/true);
  ui_.Settle(*shell_);
  ASSERT_EQ(shell_->current_panel(), PanelId::kReferral);
  // Focus starts in the NHS number; Tab moves through the text fields in order.
  ui_.Type(*shell_, "9434765919");
  ui_.Press(*shell_, keys::kTab);
  ui_.Type(*shell_, "Gwen Newperson");
  ui_.Press(*shell_, keys::kTab);
  ui_.Type(*shell_, "1938-02-11");
  ui_.Press(*shell_, keys::kTab);
  ui_.Type(*shell_, "pe275aa");
  EXPECT_TRUE(shell_->referral().Problems().empty()) << shell_->referral().Problems().front();
  ui_.Press(*shell_, keys::kS, /*ctrl=*/true);
  ui_.Settle(*shell_);
  auto all = LoadReferrals(store().db());
  ASSERT_TRUE(all.ok());
  const Referral* gwen = nullptr;
  for (const auto& r : *all) gwen = r.name == "Gwen Newperson" ? &r : gwen;
  ASSERT_NE(gwen, nullptr);
  EXPECT_EQ(gwen->nhs_number, "9434765919");
  EXPECT_EQ(gwen->date_of_birth, "1938-02-11");
  EXPECT_EQ(gwen->postcode, "PE27 5AA");
  EXPECT_EQ(gwen->location_kind, LocationKind::kCommunity);
  EXPECT_EQ(gwen->discharge_ready_date, TodayIsoDate());
  EXPECT_EQ(shell_->workspace().last_message, "Referral created");
  // The new referral is on the board, and its history shows its creation.
  EXPECT_EQ(shell_->workspace().queue.rows.size(), 7u);
  ASSERT_TRUE(shell_->workspace().detail.loaded);
  EXPECT_EQ(shell_->workspace().detail.referral.id, gwen->id);
  EXPECT_FALSE(shell_->workspace().detail.history.empty());
}

TEST_F(PanelsTest, AReferralWithABadNhsNumberIsRefusedAndNothingIsWritten) {
  const int64_t before = *CountLive(store().db(), "referral");
  ui_.Press(*shell_, keys::kN, /*ctrl=*/true);
  ui_.Settle(*shell_);
  ui_.Type(*shell_, "9434765918");  // wrong check digit
  ui_.Press(*shell_, keys::kTab);
  ui_.Type(*shell_, "Hal Typo");
  ui_.Press(*shell_, keys::kTab);
  ui_.Type(*shell_, "1938-02-11");
  ui_.Press(*shell_, keys::kTab);
  ui_.Type(*shell_, "PE27 5AA");
  const auto problems = shell_->referral().Problems();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("NHS number"), std::string::npos) << problems[0];
  ui_.Press(*shell_, keys::kS, /*ctrl=*/true);
  ui_.Settle(*shell_);
  EXPECT_EQ(*CountLive(store().db(), "referral"), before);
}

TEST(ReferralValidation, PostcodesAndDates) {
  EXPECT_EQ(PostcodeProblem("PE29 6NT"), "");
  EXPECT_EQ(PostcodeProblem("cb20qq"), "");
  EXPECT_EQ(PostcodeProblem("W1A 1AA"), "");
  EXPECT_NE(PostcodeProblem("PE29"), "");
  EXPECT_NE(PostcodeProblem("12345"), "");
  EXPECT_NE(PostcodeProblem("PE29 NT6"), "");
  EXPECT_EQ(NormalisePostcode("pe296nt"), "PE29 6NT");
  EXPECT_EQ(DateProblem("2026-02-28"), "");
  EXPECT_NE(DateProblem("2026-02-30"), "");
  EXPECT_NE(DateProblem("28/02/2026"), "");
}

TEST_F(PanelsTest, CapacityBoardShowsHoldsAndClosedHomesAndEditsABedInPlace) {
  const CapacityData& cap = shell_->workspace().capacity;
  ASSERT_TRUE(cap.available);
  ASSERT_EQ(cap.homes.size(), 2u);
  const HomeView* riverside = nullptr;
  const HomeView* fenview = nullptr;
  for (const auto& h : cap.homes) {
    if (h.name == "Riverside Care Home") riverside = &h;
    if (h.name == "Fenview Lodge") fenview = &h;
  }
  ASSERT_NE(riverside, nullptr);
  ASSERT_NE(fenview, nullptr);
  EXPECT_TRUE(fenview->closed);
  EXPECT_NE(fenview->closed_note.find("outbreak"), std::string::npos);
  EXPECT_EQ(riverside->by_status[static_cast<size_t>(BedStatus::kHeld)], 1);
  bool shows_hold = false;
  for (const auto& b : riverside->beds)
    shows_hold = shows_hold || (b.id == fx_.held_bed && b.held_for == "Ann Example");
  EXPECT_TRUE(shows_hold);
  ASSERT_EQ(cap.zones, (std::vector<std::string>{"Huntingdon"}));
  EXPECT_DOUBLE_EQ(cap.zone_hours[0][0].hours, 14);

  // Go to the capacity board, pick Riverside's vacant bed (room 1), mark it unavailable with the keyboard.
  ui_.Press(*shell_, keys::k0 + 5, /*ctrl=*/true);
  ASSERT_EQ(shell_->current_panel(), PanelId::kCapacity);
  // Homes are sorted by district: Fenland (Fenview) then Huntingdonshire (Riverside).
  ui_.Press(*shell_, keys::kDown);
  EXPECT_EQ(shell_->capacity().selected_home(), 1);
  EXPECT_EQ(shell_->capacity().selected_bed(), 0);  // room 1, the vacant block bed
  ui_.Press(*shell_, keys::kU);
  ui_.Settle(*shell_);
  auto bed = LoadBed(store().db(), fx_.vacant_bed);
  ASSERT_TRUE(bed.ok());
  EXPECT_EQ(bed->status, BedStatus::kUnavailable);
  EXPECT_EQ(bed->status_since, TodayIsoDate());
  // The voids report no longer counts it.
  for (const auto& v : shell_->workspace().voids.voids) EXPECT_NE(v.room + v.home, "1Riverside Care Home");
}

TEST_F(PanelsTest, VoidsDashboardCostsVacantBlockBeds) {
  const VoidsData& v = shell_->workspace().voids;
  ASSERT_TRUE(v.available);
  // One vacant block bed (Riverside room 1) for 14 days at £700 a week = £1,400; the vacant spot bed is no
  // void.
  ASSERT_EQ(v.voids.size(), 1u);
  EXPECT_EQ(v.voids[0].days, 14);
  EXPECT_EQ(v.total_void_cost_pence, 140000);
  EXPECT_EQ(v.daily_void_cost_pence, 10000);
  double charted = 0;
  for (double w : v.void_cost_by_week) charted += w;
  EXPECT_NEAR(charted, 1400.0, 0.01);
  // Riverside: 3 block beds (1 vacant, 1 occupied, 1 held) -> 1/3 used.
  ASSERT_FALSE(v.utilisation.empty());
  EXPECT_EQ(v.utilisation[0].block_beds, 3);
  EXPECT_EQ(v.utilisation[0].block_occupied, 1);
  EXPECT_EQ(VoidsCsv(v).substr(0, 44), "home,room,category,vacant_since,days_vacant,");
  EXPECT_NE(VoidsCsv(v).find("Riverside Care Home,1,residential,"), std::string::npos);
  // The commissioning tabs show core's reports, and they agree with the voids above.
  const CommissioningData& c = v.commissioning;
  ASSERT_TRUE(c.available);
  EXPECT_EQ(c.why_voids.voids, static_cast<int64_t>(v.voids.size()));
  EXPECT_EQ(c.why_voids.cost_so_far_pence, v.total_void_cost_pence);
  ASSERT_EQ(c.why_voids.rows.size(), 1u);
  EXPECT_EQ(c.why_voids.rows[0].bed.days_vacant, v.voids[0].days);
  EXPECT_EQ(c.spend.void_beds, static_cast<int64_t>(v.voids.size()));
  int64_t block_beds = 0;
  for (const HomeUtilisation& u : v.utilisation) block_beds += u.block_beds;
  EXPECT_EQ(c.spend.block_beds, block_beds);
  int64_t open = 0;
  for (const QueueRow& q : shell_->workspace().queue.rows) open += core::IsOpen(q.status) ? 1 : 0;
  EXPECT_EQ(c.unmet.queued, open);
  // Ctrl+6 shows the screen; Right walks through the report tabs, each drawing its table, and wraps.
  ui_.Press(*shell_, keys::k0 + 6, /*ctrl=*/true);
  ASSERT_EQ(shell_->current_panel(), PanelId::kVoids);
  for (int i = 1; i <= VoidsPanel::kTabs; ++i) {
    ui_.Press(*shell_, keys::kRight);
    ui_.Frame(*shell_);
    EXPECT_EQ(shell_->voids().tab(), i % VoidsPanel::kTabs);
    EXPECT_GT(ui_.Vertices(), 100);
  }
  ui_.Press(*shell_, keys::kLeft);
  ui_.Frame(*shell_);
  EXPECT_EQ(shell_->voids().tab(), VoidsPanel::kTabs - 1);
}

TEST_F(PanelsTest, SettingsAreSavedInTheStoreAndAutoLockFollowsThem) {
  shell_->commands().Push(cmd::SaveSetting{.key = "ui.auto_lock_minutes", .value = "3"});
  ui_.Settle(*shell_);
  auto v = store().GetSetting("ui.auto_lock_minutes");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->value_or(""), "3");
  EXPECT_DOUBLE_EQ(shell_->auto_lock_seconds(), 180);
}

TEST_F(PanelsTest, LockingClearsEveryPanelOfPersonalData) {
  ASSERT_FALSE(shell_->workspace().queue.rows.empty());
  ui_.Press(*shell_, keys::kL, /*ctrl=*/true);
  EXPECT_FALSE(shell_->session().unlocked());
  EXPECT_TRUE(shell_->workspace().queue.rows.empty());
  EXPECT_TRUE(shell_->workspace().selected_referral.empty());
  EXPECT_FALSE(shell_->workspace().detail.loaded);
  EXPECT_TRUE(shell_->huddle().visible().empty());
}

TEST_F(PanelsTest, AHoldFromTheMatchViewIsRecordedAndShownOnTheCapacityBoard) {
  const std::string outbox_sql = "SELECT count(*) FROM outbox WHERE row_id = '" + fx_.vacant_bed + "'";
  const int64_t outbox_before = *store().db().QueryInt(outbox_sql);
  // Select Ann on the board (second row) with the keyboard and open her options.
  ui_.Press(*shell_, keys::kDown);
  ui_.Press(*shell_, keys::kEnter);
  ui_.Settle(*shell_);
  ASSERT_EQ(shell_->current_panel(), PanelId::kMatch);
  ASSERT_EQ(shell_->workspace().selected_referral, fx_.ann);
  const MatchData& m = shell_->workspace().match;
  ASSERT_TRUE(m.matched);
  ASSERT_EQ(m.referral_id, fx_.ann);
  ASSERT_FALSE(m.options.empty());
  // The top option is Riverside's vacant block bed (a void), and the score explains itself.
  EXPECT_EQ(m.options[0].bed_id, fx_.vacant_bed);
  EXPECT_EQ(m.options[0].provider_name, "Riverside Care Home");
  ASSERT_EQ(m.options[0].components.size(), 7u);
  EXPECT_EQ(m.options[0].components[0].name, "Fills a void");
  EXPECT_GT(m.options[0].components[0].contribution, 0);
  // Fenview is closed to admissions: excluded, with the rule that says so.
  bool fenview_excluded = false;
  for (const auto& x : m.excluded) {
    if (x.provider_name.rfind("Fenview Lodge", 0) == 0) {
      fenview_excluded = true;
      EXPECT_EQ(x.reason_code, "admissions_closed");
      EXPECT_FALSE(x.reason.empty());
    }
  }
  EXPECT_TRUE(fenview_excluded);
  EXPECT_EQ(shell_->match().selected(), 0);

  ui_.Press(*shell_, keys::kH);  // hold the selected (top) option
  ui_.Settle(*shell_);
  auto bed = LoadBed(store().db(), fx_.vacant_bed);
  ASSERT_TRUE(bed.ok());
  EXPECT_EQ(bed->status, BedStatus::kHeld);
  EXPECT_EQ(bed->held_for_referral_id, fx_.ann);
  EXPECT_FALSE(bed->held_until.empty());
  EXPECT_FALSE(shell_->workspace().last_message_is_error) << shell_->workspace().last_message;
  EXPECT_EQ(shell_->workspace().last_message.rfind("Held Riverside Care Home, room 1 until", 0), 0u)
      << shell_->workspace().last_message;
  // The hold went through the outbox (it syncs) and the capacity board shows it, focused on that bed.
  EXPECT_GT(*store().db().QueryInt(outbox_sql), outbox_before);
  ui_.Press(*shell_, keys::k0 + 5, /*ctrl=*/true);
  EXPECT_EQ(shell_->current_panel(), PanelId::kCapacity);
  const CapacityData& cap = shell_->workspace().capacity;
  const auto& home = cap.homes[static_cast<size_t>(shell_->capacity().selected_home())];
  const auto& held = home.beds[static_cast<size_t>(shell_->capacity().selected_bed())];
  EXPECT_EQ(held.id, fx_.vacant_bed);
  EXPECT_EQ(held.status, BedStatus::kHeld);
  EXPECT_EQ(held.held_for, "Ann Example");
}

TEST_F(PanelsTest, SyncPanelSaysPlainlyThatTheDeviceIsNotEnrolledAndCountsWhatWaits) {
  const SyncData& sync = shell_->workspace().sync;
  ASSERT_TRUE(sync.loaded);
  EXPECT_FALSE(sync.enrolled);
  EXPECT_TRUE(sync.conflicts.empty());
  // Every fixture write is waiting in the outbox.
  EXPECT_EQ(sync.pending, *store().db().QueryInt("SELECT count(*) FROM outbox"));
  EXPECT_GT(sync.pending, 0);
  ui_.Press(*shell_, keys::kY, /*ctrl=*/true);  // sync now: refused clearly, nothing attempted
  ui_.Settle(*shell_);
  EXPECT_TRUE(shell_->workspace().last_message_is_error);
  EXPECT_NE(shell_->workspace().last_message.find("not enrolled"), std::string::npos);
}

TEST_F(PanelsTest, F1ShowsTheShortcutsAndEscapeClosesThem) {
  ui_.Press(*shell_, keys::kF1);
  EXPECT_TRUE(shell_->help_open());
  ui_.Press(*shell_, keys::kEscape);
  EXPECT_FALSE(shell_->help_open());
}

TEST_F(PanelsTest, EveryPanelDrawsWithoutTouchingTheStoreOnTheUiThread) {
  for (int i = 0; i < static_cast<int>(PanelId::kCount); ++i) {
    ui_.Press(*shell_, keys::k0 + 1 + i, /*ctrl=*/true);
    ui_.Settle(*shell_);
    EXPECT_EQ(shell_->current_panel(), static_cast<PanelId>(i));
    EXPECT_GT(ui_.Vertices(), 100) << PanelSlug(static_cast<PanelId>(i));
  }
}

}  // namespace
}  // namespace berth::ui

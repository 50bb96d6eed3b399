// The window changes the store only through app/core's workflow: its panels send commands (events), the
// shell hands each to the workflow API, and what the workflow refuses is refused in the window too, with
// the workflow's words in the status bar and nothing written. Driven headless (a real ImGui context, no
// GPU) on a small store of fictional people, and on the county demo for the queue order.
#include <gtest/gtest.h>
#include <imgui.h>

#include <algorithm>

#include "berth/core/demo.h"
#include "berth/core/geo.h"
#include "berth/core/plan.h"
#include "berth/core/referrals.h"
#include "berth/core/reports.h"
#include "berth/schema/repository.h"
#include "capacity_panel.h"
#include "headless.h"
#include "keys.h"
#include "match_panel.h"
#include "shell.h"
#include "support/test_support.h"
#include "ui_fixture.h"
#include "window_harness.h"

namespace berth::ui {
namespace {

using uitest::HeadlessImGui;

class WindowWorkflow : public uitest::WindowHarness {
 protected:
  // A command carried out: an outbox entry for `entity` and an audit entry `action`.
  void ExpectDone(Command c, const std::string& entity, const std::string& action) {
    const auto before = Written();
    Send(std::move(c));
    EXPECT_FALSE(Refused()) << Message();
    EXPECT_GT(Count("SELECT count(*) FROM outbox WHERE seq > " + std::to_string(before.first) +
                    " AND entity = '" + entity + "'"),
              0);
    EXPECT_GT(Count("SELECT count(*) FROM audit WHERE action = '" + action + "'"), 0);
  }
  template <class C>  // cmd::Hold, cmd::Offer or cmd::Confirm, as the match view sends them
  static C Act(const std::string& referral, const std::string& provider, const std::string& bed) {
    return C{.referral_id = referral, .provider_id = provider, .bed_id = bed, .label = "the option"};
  }
  std::string OfferOf(const std::string& referral) {
    auto offers = LoadOffersForReferral(store().db(), referral);
    return offers.ok() && !offers->empty() ? offers->back().id : "";
  }
};

TEST_F(WindowWorkflow, TheWindowCannotClearAHoldOrPlaceAReferralExceptThroughTheWorkflow) {
  // On the capacity board, Riverside's room 4 is held for Ann. V, U and O are refused: a hold is cleared
  // only by releasing it (or its lapse).
  ui_.Press(*shell_, keys::k0 + 5, /*ctrl=*/true);
  ui_.Press(*shell_, keys::kDown);  // Riverside (Huntingdonshire) after Fenview (Fenland)
  for (int i = 0; i < 3; ++i) ui_.Press(*shell_, keys::kJ);
  const CapacityData& cap = shell_->workspace().capacity;
  const HomeView& home = cap.homes[static_cast<size_t>(shell_->capacity().selected_home())];
  ASSERT_EQ(home.beds[static_cast<size_t>(shell_->capacity().selected_bed())].id, fx_.held_bed);
  const auto before = Written();
  for (int key : {keys::kV, keys::kU, keys::kO}) {
    ui_.Press(*shell_, key);
    ui_.Settle(*shell_);
    EXPECT_TRUE(Refused()) << Message();
    EXPECT_NE(Message().find("release the hold first"), std::string::npos) << Message();
    auto bed = LoadBed(store().db(), fx_.held_bed);
    EXPECT_EQ(bed->status, BedStatus::kHeld);
    EXPECT_EQ(bed->held_for_referral_id, fx_.ann);
  }
  EXPECT_EQ(Written(), before);
  // A referral cannot be set to placed by editing it: the form has no such control, and a save that tries
  // is refused by the workflow.
  Referral ann = *LoadReferral(store().db(), fx_.ann);
  ann.status = ReferralStatus::kPlaced;
  cmd::SaveReferral save{.referral = ann};
  ExpectRefused(save, "only through the workflow");
  EXPECT_EQ(LoadReferral(store().db(), fx_.ann)->status, ReferralStatus::kSourcing);
  // Nor by confirming her top option from the match view (C) before the home has accepted.
  shell_->commands().Push(cmd::SelectReferral{fx_.ann});
  ui_.Settle(*shell_);
  ui_.Press(*shell_, keys::k0 + 3, /*ctrl=*/true);
  ui_.Settle(*shell_);
  const MatchData& m = shell_->workspace().match;
  ASSERT_EQ(m.referral_id, fx_.ann);
  ASSERT_FALSE(m.options.empty());
  const MatchOption top = m.options[0];
  const auto before_confirm = Written();
  ui_.Press(*shell_, keys::kC);
  ui_.Settle(*shell_);
  EXPECT_TRUE(Refused()) << Message();
  EXPECT_NE(Message().find("has not accepted an offer"), std::string::npos) << Message();
  EXPECT_EQ(Written(), before_confirm);
  EXPECT_EQ(Count("SELECT count(*) FROM placement"), 0);

  // Through the workflow it works: offer (O), the home's acceptance recorded, confirm (C). Placing Ann
  // releases her hold on room 4.
  ui_.Press(*shell_, keys::kO);
  ui_.Settle(*shell_);
  ASSERT_FALSE(Refused()) << Message();
  ASSERT_EQ(shell_->workspace().match.offers.size(), 1u);
  EXPECT_EQ(shell_->workspace().match.offers[0].status, "pending");
  ExpectDone(
      cmd::AnswerOffer{.offer_id = OfferOf(fx_.ann), .provider_name = top.provider_name, .accept = true},
      "offer", "accept");
  ui_.Press(*shell_, keys::kC);
  ui_.Settle(*shell_);
  EXPECT_FALSE(Refused()) << Message();
  EXPECT_EQ(LoadReferral(store().db(), fx_.ann)->status, ReferralStatus::kPlaced);
  EXPECT_EQ(LoadBed(store().db(), top.bed_id)->status, BedStatus::kOccupied);
  EXPECT_EQ(LoadBed(store().db(), fx_.held_bed)->status, BedStatus::kVacant);
  EXPECT_EQ(Count("SELECT count(*) FROM audit WHERE action = 'confirm' AND row_id = '" + fx_.ann + "'"), 1);
}

TEST_F(WindowWorkflow, EveryCommandOfTheWindowLegalAndIllegal) {
  // The referral form's save.
  Referral gwen = uitest::MakeReferral("Gwen Newperson", 876543219, Pathway::kP3, 0, Priority::kRoutine,
                                       ReferralStatus::kNew);
  gwen.id.clear();
  cmd::SaveReferral save{.referral = gwen, .is_new = true};
  ExpectDone(save, "referral", "create");
  EXPECT_EQ(Message(), "Referral created");
  save.referral.nhs_number = "8765432190";  // wrong check digit
  save.referral.name = "Hal Typo";
  ExpectRefused(save, "nhs_number");
  // Bed status (capacity board V/U/O) and admissions (close / reopen).
  ExpectDone(cmd::SetBedStatus{.bed_id = fx_.vacant_bed, .status = "unavailable", .reason = "other"}, "bed",
             "bed_status");
  ExpectRefused(cmd::SetBedStatus{.bed_id = fx_.vacant_bed, .status = "unavailable", .reason = "other"},
                "nothing to change");
  ExpectDone(cmd::SetBedStatus{.bed_id = fx_.vacant_bed, .status = "vacant"}, "bed", "bed_status");
  ExpectDone(cmd::SetAdmissions{.provider_id = fx_.home_a, .close = true, .reason = "staffing"},
             "provider_admissions", "admissions_close");
  ExpectRefused(cmd::SetAdmissions{.provider_id = fx_.home_a, .close = true, .reason = "staffing"},
                "it already is");
  ExpectDone(cmd::SetAdmissions{.provider_id = fx_.home_a, .close = false}, "provider_admissions",
             "admissions_open");
  // Holds (match H) and their release (capacity R).
  ExpectDone(Act<cmd::Hold>(fx_.dan, fx_.home_a, fx_.vacant_bed), "bed", "hold");
  ExpectRefused(Act<cmd::Hold>(fx_.cara, fx_.home_a, fx_.vacant_bed), "held for another referral");
  ExpectDone(cmd::Release{.bed_id = fx_.vacant_bed}, "bed", "release");
  ExpectRefused(cmd::Release{.bed_id = fx_.vacant_bed}, "only a held bed can be released");
  // Offers (match O) and the providers' answers.
  ExpectDone(Act<cmd::Offer>(fx_.dan, fx_.home_a, ""), "offer", "offer");
  ExpectRefused(Act<cmd::Offer>(fx_.dan, fx_.home_a, ""), "already has a pending offer");
  const std::string dan_offer = OfferOf(fx_.dan);
  ExpectRefused(
      cmd::AnswerOffer{
          .offer_id = dan_offer, .provider_name = "Riverside", .accept = false, .decline_reason = ""},
      "needs a reason");
  ExpectDone(cmd::AnswerOffer{.offer_id = dan_offer,
                              .provider_name = "Riverside",
                              .accept = false,
                              .decline_reason = "not_compatible"},
             "offer", "decline");
  ExpectRefused(cmd::AnswerOffer{.offer_id = dan_offer, .provider_name = "Riverside", .accept = true},
                "only a pending offer");
  // Confirm (match C): refused without an acceptance; Cara's goes through offer, acceptance, confirmation.
  ExpectRefused(Act<cmd::Confirm>(fx_.dan, fx_.home_a, fx_.vacant_bed), "has not accepted an offer");
  ExpectDone(Act<cmd::Offer>(fx_.cara, fx_.home_a, fx_.vacant_bed), "offer", "offer");
  ExpectDone(cmd::AnswerOffer{.offer_id = OfferOf(fx_.cara), .provider_name = "Riverside", .accept = true},
             "offer", "accept");
  ExpectDone(Act<cmd::Confirm>(fx_.cara, fx_.home_a, fx_.vacant_bed), "placement", "confirm");
  // Hand back (the form, for a placed referral): with notice; Fay has no placement in Berth to hand back.
  const std::string last_day = uitest::DaysFromToday(28);
  ExpectRefused(cmd::HandBack{.referral_id = fx_.fay, .last_day = last_day, .reason = "staffing"},
                "no planned or active placement");
  ExpectRefused(
      cmd::HandBack{.referral_id = fx_.cara, .last_day = uitest::DaysFromToday(-1), .reason = "staffing"},
      "before today");
  ExpectDone(cmd::HandBack{.referral_id = fx_.cara, .last_day = last_day, .reason = "staffing"}, "handback",
             "handback");
  const Referral cara = *LoadReferral(store().db(), fx_.cara);
  EXPECT_EQ(cara.status, ReferralStatus::kSourcing);
  EXPECT_EQ(cara.priority, Priority::kHandBack);
  EXPECT_EQ(LoadBed(store().db(), fx_.vacant_bed)->status, BedStatus::kOccupied);  // until the last day
  // A referral's life from the form: cancel with a reason (refused without one), reopen; a changed
  // discharge-ready date is kept as history.
  ExpectRefused(cmd::CancelReferral{.referral_id = fx_.eve, .reason = ""}, "needs a reason");
  ExpectDone(cmd::CancelReferral{.referral_id = fx_.eve, .reason = "readmitted"}, "referral", "cancel");
  EXPECT_EQ(LoadReferral(store().db(), fx_.eve)->status, ReferralStatus::kCancelled);
  ExpectRefused(cmd::CancelReferral{.referral_id = fx_.eve, .reason = "readmitted"}, "only an open referral");
  ExpectDone(cmd::ReopenReferral{fx_.eve}, "referral", "reopen");
  Referral eve = *LoadReferral(store().db(), fx_.eve);
  EXPECT_TRUE(core::IsOpen(eve.status));
  eve.discharge_ready_date = uitest::DaysFromToday(5);
  cmd::SaveReferral moved{.referral = eve};
  ExpectDone(moved, "referral_date_change", "drd_change");
  EXPECT_EQ(LoadDateChanges(store().db(), fx_.eve)->size(), 1u);
  // The board puts her among the hand backs at the top, needed from the day after care ends (after Bob,
  // whose hand back is needed sooner).
  const auto& rows = shell_->workspace().queue.rows;
  ASSERT_GE(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, fx_.bob);
  EXPECT_EQ(rows[1].id, fx_.cara);
  EXPECT_EQ(rows[1].care_ends, last_day);
  EXPECT_EQ(rows[1].needed_from, uitest::DaysFromToday(29));
}

// Acceptance: on the county demo, the huddle board, `report queue` and the plan list the same open
// referrals in the same order.
TEST(WindowQueue, TheBoardTheQueueReportAndThePlanAgreeOnTheDemo) {
  testing::TempDir tmp;
  core::DemoOptions demo;
  demo.today = TodayIsoDate();
  auto store = uitest::MakeDemoStore(tmp.Sub("store"), demo);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto board = LoadQueue(**store);
  ASSERT_TRUE(board.ok());
  std::vector<std::string> on_board;
  for (int i : FilterQueue(*board, QueueFilter{})) on_board.push_back(board->rows[static_cast<size_t>(i)].id);
  auto report = core::BuildQueueReport((*store)->db(), demo.today);
  ASSERT_TRUE(report.ok());
  std::vector<std::string> in_report;
  for (const auto& row : report->rows) in_report.push_back(row.referral_id);
  auto queue = core::LoadOpenQueue((*store)->db(), demo.today);
  ASSERT_TRUE(queue.ok());
  auto geo = core::DefaultGeography();
  ASSERT_TRUE(geo.ok());
  auto ix = core::SupplyIndex::Build((*store)->db(), *geo);
  ASSERT_TRUE(ix.ok());
  core::MatchSettings settings;
  core::MatchContext ctx = core::ContextNow(*ix, settings, *geo);
  const core::Plan plan = core::MakePlan(ctx, *queue);
  EXPECT_EQ(on_board.size(), 40u);
  EXPECT_EQ(on_board, in_report);
  EXPECT_EQ(on_board, plan.queue);
  // The plan's allocations and unplaced people follow that order too.
  std::vector<std::string> planned;
  for (const auto& a : plan.allocations) planned.push_back(a.referral_id);
  std::vector<std::string> expected;
  for (const auto& id : plan.queue) {
    if (std::find(planned.begin(), planned.end(), id) != planned.end()) expected.push_back(id);
  }
  EXPECT_EQ(planned, expected);
  // The demo's two hand backs lead, by the day their care ends.
  ASSERT_GE(report->rows.size(), 2u);
  EXPECT_EQ(report->rows[0].priority, "hand_back");
  EXPECT_EQ(report->rows[1].priority, "hand_back");
  EXPECT_LE(report->rows[0].care_ends, report->rows[1].care_ends);
}

}  // namespace
}  // namespace berth::ui

// Casework in the window (issue 18): offers to several providers at once, answers, withdrawals, and the
// case log with its notes, calls and chase reminders, each through app/core with its stored state and audit
// entries checked; and the acceptance walk on the demo store: from the match screen, offers to three homes,
// one decline, one accept, a confirmation, and the case log telling each step in words. Headless.
#include <gtest/gtest.h>
#include <imgui.h>

#include <set>

#include "berth/core/case_log.h"
#include "berth/core/demo.h"
#include "berth/core/geo.h"
#include "berth/schema/repository.h"
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

class Casework : public uitest::WindowHarness {
 protected:
  std::vector<Offer> Offers(const std::string& referral) {
    return *LoadOffersForReferral(store().db(), referral);
  }
  int64_t Audits(const std::string& action, const std::string& row) {
    return Count("SELECT count(*) FROM audit WHERE action = '" + action + "' AND row_id = '" + row + "'");
  }
};

TEST_F(Casework, SendsThePackageToSeveralProvidersAtOnceAndWithdrawsOne) {
  cmd::SendOffers send{.referral_id = fx_.dan};
  ExpectRefused(send, "name at least one provider");
  send.targets = {{fx_.home_a, ""}, {fx_.home_b, ""}};
  send.names = "Riverside Care Home, Fenview Lodge";
  const auto before = Written();
  Send(send);
  ASSERT_FALSE(Refused()) << Message();
  EXPECT_NE(Message().find("to 2 providers"), std::string::npos) << Message();
  auto offers = Offers(fx_.dan);
  ASSERT_EQ(offers.size(), 2u);
  for (const Offer& o : offers) {
    EXPECT_EQ(o.status, OfferStatus::kPending);
    EXPECT_FALSE(o.respond_by.empty());  // each with its deadline
    EXPECT_EQ(o.note.find("Dan"), std::string::npos) << "the package is anonymised";
  }
  EXPECT_EQ(LoadReferral(store().db(), fx_.dan)->status, ReferralStatus::kOffered);
  EXPECT_EQ(
      Count("SELECT count(*) FROM outbox WHERE entity = 'offer' AND seq > " + std::to_string(before.first)),
      2);
  EXPECT_EQ(Audits("offer", fx_.dan), 1);
  // The same again is refused: each provider already has a pending offer. Nothing is written.
  ExpectRefused(send, "already has a pending offer");

  // Withdraw the offer to Fenview; the referral stays offered (Riverside's is pending).
  const std::string fenview = offers[0].provider_id == fx_.home_b ? offers[0].id : offers[1].id;
  Send(cmd::WithdrawOffer{.offer_id = fenview, .provider_name = "Fenview Lodge"});
  ASSERT_FALSE(Refused()) << Message();
  EXPECT_EQ(LoadOffer(store().db(), fenview)->status, OfferStatus::kWithdrawn);
  EXPECT_EQ(LoadReferral(store().db(), fx_.dan)->status, ReferralStatus::kOffered);
  EXPECT_EQ(Audits("withdraw", fx_.dan), 1);
  ExpectRefused(cmd::WithdrawOffer{.offer_id = fenview, .provider_name = "Fenview Lodge"},
                "only a pending or accepted");
}

TEST_F(Casework, TheCasePanelAddsNotesCallsAndRemindersThatFallDueOnTheBoard) {
  shell_->commands().Push(cmd::SelectReferral{fx_.dan});
  ui_.Settle(*shell_);
  ui_.Press(*shell_, keys::k0 + 9, /*ctrl=*/true);
  ui_.Settle(*shell_);
  ASSERT_EQ(shell_->current_panel(), PanelId::kCase);
  ASSERT_TRUE(shell_->workspace().case_data.loaded);
  EXPECT_EQ(shell_->workspace().case_data.referral_id, fx_.dan);

  ExpectRefused(cmd::AddNote{.referral_id = fx_.dan, .kind = "note", .text = "   "}, "text is required");
  ExpectRefused(cmd::AddNote{.referral_id = fx_.dan, .kind = "reminder", .text = "chase"},
                "needs the moment");
  ExpectRefused(cmd::AddNote{.referral_id = fx_.dan, .kind = "memo", .text = "chase"}, "note kind");

  Send(cmd::AddNote{.referral_id = fx_.dan, .kind = "call", .text = "rang Riverside: a bed next week"});
  ASSERT_FALSE(Refused()) << Message();
  // A reminder already due (yesterday) shows on the board until it is done.
  Send(cmd::AddNote{.referral_id = fx_.dan,
                    .kind = "reminder",
                    .text = "chase the funding panel",
                    .due = uitest::DaysFromToday(-1)});
  ASSERT_FALSE(Refused()) << Message();
  EXPECT_EQ(Count("SELECT count(*) FROM referral_note WHERE referral_id = '" + fx_.dan + "'"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox WHERE entity = 'referral_note'"), 2);
  EXPECT_EQ(Audits("note", fx_.dan), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM audit WHERE detail LIKE '%funding panel%'"), 0);
  EXPECT_EQ(shell_->workspace().queue.due_reminders.count(fx_.dan), 1u);

  const CaseData& c = shell_->workspace().case_data;
  ASSERT_EQ(c.reminders.size(), 1u);
  std::string log;
  for (const core::CaseEntry& e : c.log) log += core::CaseLine(e) + "\n";
  EXPECT_NE(log.find("test-broker: call: rang Riverside: a bed next week\n"), std::string::npos) << log;
  EXPECT_NE(log.find(": chase the funding panel\n"), std::string::npos) << log;
  // Opening the case is an audited view of its notes.
  EXPECT_GE(
      Count("SELECT count(*) FROM audit WHERE action = 'view' AND entity = 'referral_note' AND row_id = '" +
            fx_.dan + "'"),
      1);

  const std::string reminder = c.reminders[0].id;
  Send(cmd::ReminderDone{reminder});
  ASSERT_FALSE(Refused()) << Message();
  EXPECT_EQ(shell_->workspace().queue.due_reminders.count(fx_.dan), 0u);
  EXPECT_TRUE(shell_->workspace().case_data.reminders.empty());
  EXPECT_EQ(Audits("note_done", fx_.dan), 1);
  ExpectRefused(cmd::ReminderDone{reminder}, "it was done at");
}

// Issue 18's acceptance, on the county demo: from the match screen, a broker chooses three homes (Space),
// sends the package to all three at once (O), records one decline and one accept as the homes ring back,
// and confirms the accepted home's bed (C), without the CLI; the case log tells each step in words.
TEST(CaseworkAcceptance, OffersToThreeHomesADeclineAnAcceptAndAConfirmationToldByTheCaseLog) {
  testing::TempDir tmp;
  core::DemoOptions demo;
  demo.today = TodayIsoDate();
  // broker.ahmed: the user the window's store names in the audit trail
  auto store = uitest::MakeDemoStore(tmp.Sub("store"), demo, "broker.ahmed");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  HeadlessImGui ui;
  Shell shell(tmp.Sub("store"), "broker.ahmed");
  shell.session().Adopt(std::move(store).value());
  ui.Frame(shell);
  ui.Settle(shell);

  // The first referral on the board whose options come from three different homes.
  const QueueData& q = shell.workspace().queue;
  std::string person;
  std::vector<int> picks;
  for (const QueueRow& row : q.rows) {
    if (!IsOpen(row.status) || row.category.empty()) continue;
    shell.commands().Push(cmd::SelectReferral{row.id});
    ui.Settle(shell);
    const MatchData& m = shell.workspace().match;
    std::set<std::string> homes;
    picks.clear();
    for (size_t i = 0; i < m.options.size() && picks.size() < 3; ++i) {
      if (m.options[i].kind == "bed" && homes.insert(m.options[i].provider_id).second)
        picks.push_back(static_cast<int>(i));
    }
    if (picks.size() == 3) {
      person = row.id;
      break;
    }
  }
  ASSERT_FALSE(person.empty()) << "no referral in the demo has options in three homes";
  ui.Press(shell, keys::k0 + 3, /*ctrl=*/true);
  ui.Settle(shell);
  ASSERT_EQ(shell.current_panel(), PanelId::kMatch);
  const MatchData& m = shell.workspace().match;
  ASSERT_EQ(m.referral_id, person);
  std::vector<MatchOption> chosen;
  for (int i : picks) chosen.push_back(m.options[static_cast<size_t>(i)]);

  // Choose the three with J/K and Space, then O sends the anonymised package to all three.
  int at = 0;
  for (int i : picks) {
    for (; at < i; ++at) ui.Press(shell, keys::kJ);
    ui.Press(shell, keys::kSpace);
  }
  EXPECT_EQ(shell.match().chosen().size(), 3u);
  ui.Press(shell, keys::kO);
  ui.Settle(shell);
  ASSERT_FALSE(shell.workspace().last_message_is_error) << shell.workspace().last_message;
  ASSERT_EQ(shell.workspace().match.offers.size(), 3u);
  auto offers = *LoadOffersForReferral(shell.session().store()->db(), person);
  ASSERT_EQ(offers.size(), 3u);
  auto offer_of = [&](const std::string& provider) {
    for (const Offer& o : offers) {
      if (o.provider_id == provider) return o.id;
    }
    return std::string();
  };

  // The second home rings to decline (not compatible); the first accepts. Recorded in the offers view.
  auto answer = [&](const MatchOption& o, const char* text, const char* reason) {
    shell.commands().Push(cmd::AnswerOffer{.offer_id = offer_of(o.provider_id),
                                           .provider_name = o.provider_name,
                                           .accept = std::string(text) == "accept",
                                           .decline_reason = reason});
    ui.Settle(shell);
    ASSERT_FALSE(shell.workspace().last_message_is_error) << shell.workspace().last_message;
  };
  answer(chosen[1], "decline", "not_compatible");
  answer(chosen[0], "accept", "");
  // Confirm the accepted home's bed: select it (K back to the top) and press C.
  for (int i = 0; i < 200 && shell.match().selected() > 0; ++i) ui.Press(shell, keys::kK);
  const MatchData& after = shell.workspace().match;
  int accepted = -1;
  for (size_t i = 0; i < after.options.size(); ++i) {
    if (after.options[i].bed_id == chosen[0].bed_id) accepted = static_cast<int>(i);
  }
  ASSERT_GE(accepted, 0);
  for (int i = 0; i < accepted; ++i) ui.Press(shell, keys::kJ);
  ASSERT_EQ(shell.match().selected(), accepted);
  ui.Press(shell, keys::kC);
  ui.Settle(shell);
  ASSERT_FALSE(shell.workspace().last_message_is_error) << shell.workspace().last_message;
  Store& s = *shell.session().store();
  EXPECT_EQ(LoadReferral(s.db(), person)->status, ReferralStatus::kPlaced);
  EXPECT_EQ(LoadOffer(s.db(), offer_of(chosen[2].provider_id))->status, OfferStatus::kWithdrawn);

  // The case panel (Ctrl+9) tells it in words.
  ui.Press(shell, keys::k0 + 9, /*ctrl=*/true);
  ui.Settle(shell);
  const CaseData& c = shell.workspace().case_data;
  ASSERT_TRUE(c.loaded);
  std::string log;
  for (const core::CaseEntry& e : c.log) log += core::CaseLine(e) + "\n";
  const std::string sent = "broker.ahmed: offer sent to 3 homes: " + chosen[0].provider_name + ", " +
                           chosen[1].provider_name + ", " + chosen[2].provider_name + ", answer by ";
  EXPECT_NE(log.find(sent), std::string::npos) << log;
  EXPECT_NE(log.find("broker.ahmed: " + chosen[1].provider_name + " declined: not_compatible\n"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("broker.ahmed: " + chosen[0].provider_name + " accepted; status offered -> accepted\n"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("broker.ahmed: placed in room " + chosen[0].room + " at " + chosen[0].provider_name),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("status accepted -> placed\n"), std::string::npos) << log;
}

}  // namespace
}  // namespace berth::ui

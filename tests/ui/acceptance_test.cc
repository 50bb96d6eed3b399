// Issue 6's acceptance walk, on the real demo store and with the keyboard alone: from the huddle board,
// find the most urgent referral, open its options, see why the top one ranks first, hold it, and see the
// hold on the capacity board.
#include <gtest/gtest.h>
#include <imgui.h>

#include "berth/core/demo.h"
#include "berth/core/geo.h"
#include "berth/schema/repository.h"
#include "capacity_panel.h"
#include "headless.h"
#include "huddle_panel.h"
#include "keys.h"
#include "match_panel.h"
#include "shell.h"
#include "support/test_support.h"
#include "ui_fixture.h"

namespace berth::ui {
namespace {

TEST(Acceptance, KeyboardAloneFromTheMostUrgentReferralToAHoldOnTheCapacityBoard) {
  testing::TempDir tmp;
  auto store = uitest::MakeDemoStore(tmp.Sub("store"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  uitest::HeadlessImGui ui;
  Shell shell(tmp.Sub("store"), "broker");
  shell.session().Adopt(std::move(store).value());
  ui.Frame(shell);
  ui.Settle(shell);

  // The board opens on the queue, most urgent first, with the first row selected.
  ASSERT_EQ(shell.current_panel(), PanelId::kHuddle);
  const QueueData& q = shell.workspace().queue;
  ASSERT_GT(shell.huddle().visible().size(), 10u);
  EXPECT_EQ(shell.huddle().selected(), 0);
  const QueueRow& top = q.rows[static_cast<size_t>(shell.huddle().visible()[0])];
  for (int i : shell.huddle().visible()) {
    const QueueRow& r = q.rows[static_cast<size_t>(i)];
    if (r.priority == Priority::kHandBack) continue;  // hand backs come first by rule
    EXPECT_GE(top.priority == Priority::kHandBack ? 1000 : top.days_past, r.days_past);
  }

  // Walk down the queue with Down and Enter until a referral has options (the first ones in the demo may
  // be hand backs nobody can take yet: the match view then says why, with the excluded options shown).
  int row = 0;
  for (; row < 40; ++row) {
    ui.Press(shell, keys::kEnter);
    ui.Settle(shell);
    ASSERT_EQ(shell.current_panel(), PanelId::kMatch);
    const MatchData& m = shell.workspace().match;
    ASSERT_TRUE(m.matched);
    ASSERT_EQ(m.referral_id, shell.workspace().selected_referral);
    if (!m.options.empty() && m.options[0].kind == "bed") break;  // homecare hours are offered, not held
    if (m.options.empty()) {
      EXPECT_TRUE(shell.match().show_excluded());  // nothing suitable: the reasons are on screen
      EXPECT_FALSE(m.excluded.empty());
    }
    ui.Press(shell, keys::k0 + 1, /*ctrl=*/true);
    ui.Press(shell, keys::kDown);
  }
  ASSERT_LT(row, 40) << "no referral in the demo queue has a suitable bed";
  // Copies: the view models are replaced when the hold reloads them.
  const MatchData m = shell.workspace().match;
  // Why the top option ranks first: its score is the sum of its visible components, and the best.
  const MatchOption first = m.options[0];
  double sum = 0;
  for (const ScoreComponent& c : first.components) sum += c.contribution;
  EXPECT_NEAR(sum, first.score, 1e-6);
  for (const MatchOption& o : m.options) EXPECT_LE(o.score, first.score);
  ASSERT_EQ(first.kind, "bed");
  EXPECT_EQ(shell.match().selected(), 0);

  ui.Press(shell, keys::kH);
  ui.Settle(shell);
  EXPECT_FALSE(shell.workspace().last_message_is_error) << shell.workspace().last_message;
  auto bed = LoadBed(shell.session().store()->db(), first.bed_id);
  ASSERT_TRUE(bed.ok());
  EXPECT_EQ(bed->status, BedStatus::kHeld);
  EXPECT_EQ(bed->held_for_referral_id, m.referral_id);

  ui.Press(shell, keys::k0 + 5, /*ctrl=*/true);
  ASSERT_EQ(shell.current_panel(), PanelId::kCapacity);
  const CapacityData& cap = shell.workspace().capacity;
  const HomeView& home = cap.homes[static_cast<size_t>(shell.capacity().selected_home())];
  const BedView& shown = home.beds[static_cast<size_t>(shell.capacity().selected_bed())];
  EXPECT_EQ(shown.id, first.bed_id);
  EXPECT_EQ(shown.status, BedStatus::kHeld);
  EXPECT_EQ(shown.held_for, shell.workspace().detail.referral.name);
  EXPECT_EQ(home.by_status[static_cast<size_t>(BedStatus::kHeld)], 1);
}

}  // namespace
}  // namespace berth::ui

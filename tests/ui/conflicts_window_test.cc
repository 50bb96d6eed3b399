// The Conflicts inbox on the sync screen: a conflict the hub reported is marked resolved with a note,
// through core::ResolveConflict; the note reaches the person's case log and the resolution is audited.
#include <gtest/gtest.h>

#include "window_harness.h"

namespace berth::ui {
namespace {

class ConflictsWindow : public uitest::WindowHarness {
 protected:
  // A claim the hub refused, as the sync client records it (sync/src/client.cc): Ann's bed hold.
  int64_t AddConflict() {
    EXPECT_TRUE(
        store()
            .db()
            .Exec("INSERT INTO sync_conflict (created_ms, mutation_id, claim, entity, row_id, reason_code,"
                  " reason, referral_id, bed_id, capacity_id, authoritative) VALUES (1767225600000, 'm1',"
                  " 'bed_hold', 'bed', '" +
                  fx_.held_bed + "', 'bed_taken', 'another broker holds this bed', '" + fx_.ann + "', '" +
                  fx_.held_bed + "', '', '[]')")
            .ok());
    return Count("SELECT max(id) FROM sync_conflict");
  }
  static cmd::ResolveConflict Resolve(int64_t id, std::string note) {
    return {.conflict_id = std::to_string(id), .note = std::move(note)};
  }
};

TEST_F(ConflictsWindow, AConflictIsMarkedResolvedWithANoteInThePersonsCaseLog) {
  const int64_t id = AddConflict();
  shell_->commands().Push(cmd::ShowPanel{PanelId::kSync});
  Send(cmd::Refresh{});  // F5: the inbox is read again
  ASSERT_EQ(shell_->workspace().sync.conflicts.size(), 1u);
  EXPECT_FALSE(shell_->workspace().sync.conflicts[0].resolved);
  EXPECT_EQ(shell_->workspace().sync.conflicts[0].id, id);

  const auto [outbox, audit] = Written();
  Send(Resolve(id, "re-brokered: Riverside room 1 instead"));
  EXPECT_FALSE(Refused()) << Message();
  ASSERT_EQ(shell_->workspace().sync.conflicts.size(), 1u);
  EXPECT_TRUE(shell_->workspace().sync.conflicts[0].resolved);
  EXPECT_EQ(Count("SELECT resolved FROM sync_conflict WHERE id = " + std::to_string(id)), 1);
  // The note is in Ann's case log (a synced note) and the resolution is audited with it.
  EXPECT_EQ(Count("SELECT count(*) FROM referral_note WHERE referral_id = '" + fx_.ann +
                  "' AND text = 'Conflict resolved (bed_hold): re-brokered: Riverside room 1 instead'"),
            1);
  EXPECT_GT(Written().first, outbox);
  auto trail = store().AuditTrail("sync_conflict", std::to_string(id));
  ASSERT_TRUE(trail.ok());
  ASSERT_FALSE(trail->empty());
  EXPECT_EQ(trail->back().action, "resolve_conflict");
  EXPECT_GT(Written().second, audit);

  // Once resolved it stays so: a second resolution is refused and writes nothing.
  ExpectRefused(Resolve(id, "again"), "already resolved");
}

TEST_F(ConflictsWindow, AResolutionWithoutANoteOrForNoConflictIsRefusedAndNothingIsWritten) {
  const int64_t id = AddConflict();
  ExpectRefused(Resolve(id, "   "), "note is required");
  ExpectRefused(Resolve(id + 100, "done"), "no conflict");
  ExpectRefused(Resolve(id, std::string(2001, 'x')), "longer than 2000");
  EXPECT_EQ(Count("SELECT resolved FROM sync_conflict WHERE id = " + std::to_string(id)), 0);
}

}  // namespace
}  // namespace berth::ui

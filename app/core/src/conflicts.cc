// Resolving a conflict from the Conflicts inbox (berth/core/conflicts.h): the note goes into the case log
// and the audit chain, and the conflict is marked resolved.
#include "berth/core/conflicts.h"

#include <fmt/format.h>

#include "berth/core/case_log.h"
#include "berth/schema/repository.h"

namespace berth::core {

Status ResolveConflict(Store& store, int64_t conflict_id, const std::string& note, const WorkflowTime& t) {
  if (note.find_first_not_of(" \t\r\n") == std::string::npos) {
    return BadInput("say how the conflict was resolved (a note is required)");
  }
  if (note.size() > 2000) return BadInput("the note is longer than 2000 characters");
  Db& db = store.db();
  BERTH_ASSIGN_OR_RETURN(Statement q,
                         db.Prepare("SELECT claim, referral_id, resolved FROM sync_conflict WHERE id = ?"));
  q.Bind(1, conflict_id);
  BERTH_ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) return NotFound(fmt::format("no conflict {}", conflict_id));
  const std::string claim = q.Text(0), referral_id = q.Text(1);
  if (q.Int(2) != 0) return ConflictError(fmt::format("conflict {} is already resolved", conflict_id));
  const bool on_device = !referral_id.empty() && LoadReferral(db, referral_id).ok();
  return db.Transaction([&]() -> Status {
    if (on_device) {
      BERTH_RETURN_IF_ERROR(AddCaseNote(store, referral_id, NoteKind::kNote,
                                        fmt::format("Conflict resolved ({}): {}", claim, note), "", t)
                                .status());
    }
    BERTH_ASSIGN_OR_RETURN(Statement u, db.Prepare("UPDATE sync_conflict SET resolved = 1 WHERE id = ?"));
    u.Bind(1, conflict_id);
    BERTH_ASSIGN_OR_RETURN(bool more, u.Step());
    (void)more;
    return store.AppendAudit("resolve_conflict", "sync_conflict", std::to_string(conflict_id), note);
  });
}

}  // namespace berth::core

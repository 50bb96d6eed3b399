// The Conflicts inbox's one action: a conflict the hub reported (a claim it refused, sync/PROTOCOL.md) is
// marked resolved with a note saying how. The window and the CLI both come here.
#pragma once

#include <cstdint>
#include <string>

#include "berth/core/workflow.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth::core {

// Marks conflict `conflict_id` resolved. The note (1-2000 characters, as a case note) is required: it goes
// into the person's case log as a note "Conflict resolved (CLAIM): NOTE" when the conflict names a referral
// this device holds (a synced row, outbox and audit), and the resolution itself is audited on this device
// ('resolve_conflict' on sync_conflict, with the note). kNotFound for an unknown conflict, kConflict when it
// is already resolved, kBadInput for a missing or over-long note; nothing is written then.
Status ResolveConflict(Store& store, int64_t conflict_id, const std::string& note, const WorkflowTime& t);

}  // namespace berth::core

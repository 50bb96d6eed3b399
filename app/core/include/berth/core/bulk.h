// How a core function that writes many rows at once (an import, the demo) writes them. Both paths make
// the same checks and leave the same rows, field clocks, outbox entries and audit entries, all or nothing.
#pragma once

#include <functional>

#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth::core {

enum class WritePath {
  // Store::Batch: one transaction, no savepoint per row, the clock and the audit chain's end saved once
  // (schema/FORMAT.md, "Batches"). What imports and the demo use.
  kBatch,
  // One transaction in which every row is written as Store::Write writes it alone (its own savepoint,
  // clock and audit end saved per row): the reference the batch path is tested and measured against.
  kPerRow,
};

// Runs `body`, whose writes go through Store::Write (directly or through the repository's Save), as one
// all-or-nothing unit on `path`. An error from `body` or from any write in it leaves nothing written.
Status WriteAll(Store& store, WritePath path, const std::function<Status()>& body);

}  // namespace berth::core

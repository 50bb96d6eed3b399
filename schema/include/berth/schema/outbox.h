// The outbox's stored form (FORMAT.md, "Outbox"): what Store::Write appends for each local change, and how
// the push reads an entry back into the Mutation it sends.
#pragma once

#include <cstdint>
#include <vector>

#include "berth/schema/db.h"
#include "berth/schema/mutation.h"
#include "berth/schema/status.h"

namespace berth {

// How an entry's payload is encoded: the outbox's `encoding` column.
enum class OutboxEncoding : int64_t {
  kCerealMutation = 1,  // the whole Mutation as a cereal binary archive (entries made before schema 15)
  kCompact = 2,         // only what the entry's columns do not hold: origin device, claim and fields
};

// The kCompact payload of `m`: its origin device, claim and fields. Its id, kind, entity, row and clock
// are the entry's columns and are not repeated.
std::vector<uint8_t> EncodeOutboxPayload(const Mutation& m);

// The columns ReadOutboxEntry reads, in its order, for a SELECT list.
inline constexpr const char* kOutboxEntryColumns =
    "mutation_id, kind, entity, row_id, hlc, encoding, payload";

// The Mutation of the outbox entry whose kOutboxEntryColumns start at `first_column` of `row`'s current
// row, in either encoding. kIntegrity when the payload does not decode exactly (truncated, trailing bytes,
// an unknown encoding or kind).
Result<Mutation> ReadOutboxEntry(const Statement& row, int first_column);

}  // namespace berth

// The unit of change that a device records and the hub arbitrates: one row's fields set (upsert), a row
// removed (tombstone), or a claim on scarce capacity. Every local write in Berth is a Mutation; the Store
// applies it to the row table, the per-field clocks, the outbox and the audit log in one transaction.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "berth/schema/value.h"

namespace berth {

enum class MutationKind : uint8_t {
  kUpsert = 1,  // set the named fields of a row, creating it if needed
  kDelete = 2,  // tombstone the row
  kClaim =
      3,  // an upsert that takes scarce capacity (bed hold/placement, homecare hours): the hub re-checks it
};

struct Mutation {
  std::string mutation_id;  // UUIDv7, made on the device
  MutationKind kind = MutationKind::kUpsert;
  std::string entity;                   // table name, e.g. "bed"
  std::string row_id;                   // the row's UUIDv7
  std::string hlc;                      // Hlc::ToString()
  std::string origin_device;            // device id that made it
  std::map<std::string, Value> fields;  // column -> new value (for kUpsert and kClaim)
  std::string claim;  // for kClaim: what is being claimed, e.g. "bed_hold" (see sync/PROTOCOL.md)

  template <class Archive>
  void serialize(Archive& ar) {
    ar(mutation_id, kind, entity, row_id, hlc, origin_device, fields, claim);
  }
};

}  // namespace berth

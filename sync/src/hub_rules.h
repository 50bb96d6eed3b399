// The hub's arbitration rules (PROTOCOL.md sections 5-7), one copy for every storage: HubRules decides
// one pushed change from what the storage reads for it. SqliteHubStorage and PostgresHubStorage derive
// from it and give it their reads (inside their push transaction) and their own write of the outcome
// (ApplyAndLog). What the rules need of a storage is the pure virtual part below.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "berth/sync/hub_storage.h"
#include "rows.h"

namespace berth::sync::internal {

// A change the hub refuses: a reason code from PROTOCOL.md section 7 and words for the broker.
struct Rejection {
  std::string code;
  std::string reason;
};

std::vector<std::string> SplitScope(const std::string& s);
std::string JoinScope(const std::vector<std::string>& v);
std::string HexOf(const Bytes& b);
// Rows that belong to one referral (named by their referral_id): they take its area (PROTOCOL.md
// section 6) and reach only the devices that may see it.
bool IsReferralChild(const std::string& entity);
bool IsSupply(const std::string& entity);
// A field of a row read with ReadRowValues as text ("" when absent).
std::string Str(const std::map<std::string, Value>& row, const std::string& key);

class HubRules {
 public:
  virtual ~HubRules() = default;

 protected:
  // Rows a claim lost earlier in one push named, with the mutation that lost: later entries of the same
  // push that depend on them are lost with it.
  using Poisoned = std::map<std::pair<std::string, std::string>, std::string>;
  // A row as the hub holds it before a change: its change-log entry and its values (empty when new).
  struct PriorRow {
    bool logged = false;                  // it has a change-log entry
    uint64_t seq = 0;                     // that entry's number
    bool echo_free = false;               // last written by the same device, which had already pulled it
    std::string area;                     // the area the log records for it
    std::map<std::string, Value> values;  // at least its RuleColumns(); empty when it has none
  };

  // The columns of a row the rules read, where its table has them: of the prior row, of `merged` (the
  // prior row with the change's fields) and of the row after the merge. A storage may read only these
  // into PriorRow::values. A rule that reads another column of those rows adds it here.
  static const std::set<std::string>& RuleColumns();

  // --- what a storage reads and records for the rules (in its push transaction) ---
  // The row as stored, with its field clocks (absent = 1 when there is none).
  virtual Result<RowState> RowStateOf(const std::string& entity, const std::string& row_id) = 0;
  // The rejection recorded for the device's entry `seq`, if it was rejected.
  virtual Result<std::optional<Rejection>> RecordedRejection(const std::string& device_id, uint64_t seq) = 0;
  virtual Status RecordRejection(const std::string& device_id, uint64_t seq, const std::string& mutation_id,
                                 const Rejection& rejection) = 0;
  // One row's current values (empty map when absent).
  virtual Result<std::map<std::string, Value>> RowValues(const std::string& entity,
                                                         const std::string& row_id) = 0;
  // The area the change log records for a row ("" when none).
  virtual Result<std::string> StoredArea(const std::string& entity, const std::string& row_id) = 0;
  virtual Result<PriorRow> ReadPrior(const DeviceRecord& dev, const Mutation& m) = 0;
  // Placements other than `except` that take `bed_id` on some day of [from, to] ('' unbounded).
  virtual Result<int64_t> PlacementsTakingBed(const std::string& bed_id, const std::string& except,
                                              const std::string& from, const std::string& to) = 0;
  // Whether the placements on a capacity row take more hours than it has on any day of [from, to].
  virtual Result<bool> CapacityOver(const std::string& cap, const std::string& from,
                                    const std::string& to) = 0;
  // Which device last wrote `field` of the row.
  virtual Result<std::string> FieldOrigin(const std::string& entity, const std::string& row_id,
                                          const std::string& field) = 0;
  // Merges the change that passed the rules before the merge, checks CheckOccupancy after it, and logs it;
  // sets *rej when the after-merge check refuses it (the storage then undoes the merge).
  virtual Status ApplyAndLog(const DeviceRecord& dev, const Mutation& m, const PriorRow& prior,
                             const std::map<std::string, Value>& merged, const std::string& area,
                             int64_t now_ms, const std::string& iso_now, uint64_t device_cursor,
                             std::optional<Rejection>* rej) = 0;

  // --- the rules ---
  // Decides a push's entries for `fresh` (the device as stored, its acked_seq read in this transaction).
  Status DecideBatch(const DeviceRecord& fresh, const PushRequest& request, int64_t now_ms,
                     PushResponse* resp, PushStats* stats);
  static std::vector<std::pair<std::string, std::string>> NamedRows(const Mutation& m);
  Status Arbitrate(const DeviceRecord& dev, const Mutation& m, int64_t now_ms, const std::string& iso_now,
                   uint64_t device_cursor, const Poisoned& poisoned, std::optional<Rejection>* rej);
  // The rules Arbitrate applies, in its order. Each returns the rejection, or nothing when the change passes.
  std::optional<Rejection> CheckWellFormed(const DeviceRecord& dev, const Mutation& m, int64_t now_ms);
  static std::optional<Rejection> CheckSetting(const DeviceRecord& dev, const Mutation& m);
  static std::optional<Rejection> LostWithEarlierClaim(const Mutation& m, const PriorRow& prior,
                                                       const Poisoned& poisoned);
  Result<std::optional<Rejection>> CheckArea(const DeviceRecord& dev, const Mutation& m,
                                             const PriorRow& prior,
                                             const std::map<std::string, Value>& merged, std::string* area);
  static std::optional<Rejection> CheckClaimName(const Mutation& m);
  // An offer's first answer stands; an offer withdrawn or expired takes none (offer_answered, offer_closed).
  static std::optional<Rejection> CheckOfferAnswer(const Mutation& m, const PriorRow& prior);
  Result<std::optional<Rejection>> CheckBedHold(const DeviceRecord& dev, const Mutation& m,
                                                const PriorRow& prior,
                                                const std::map<std::string, Value>& merged,
                                                const std::string& iso_now);
  Result<std::optional<Rejection>> CheckPlacementClaim(const Mutation& m,
                                                       const std::map<std::string, Value>& merged,
                                                       const std::string& iso_now);
  // After the merge (ApplyAndLog): no bed taken twice on a day, no capacity over its hours.
  Result<std::optional<Rejection>> CheckOccupancy(const Mutation& m,
                                                  const std::map<std::string, Value>& now_row,
                                                  const std::string& iso_now);

  // Areas and scope (section 6).
  static std::string HomeArea(const DeviceRecord& d);
  Result<std::string> AreaFor(const DeviceRecord& dev, const std::string& entity,
                              const std::map<std::string, Value>& merged, const std::string& stored);
  static bool InScope(const DeviceRecord& d, const std::string& entity, const std::string& area);
  // The area the log records after the merge: `area` (from the merged fields), worked out again from
  // `now_row` (the row as stored) when a field the area comes from lost its merge.
  Result<std::string> AreaAfterMerge(const DeviceRecord& dev, const Mutation& m, const PriorRow& prior,
                                     const std::map<std::string, Value>& merged,
                                     const std::map<std::string, Value>& now_row, const std::string& area);
  Result<bool> Visible(const DeviceRecord& d, const std::string& entity, const std::string& row_id);
  // Echo suppression (section 5): when the writer had already pulled every earlier change of this row (or
  // made it itself, echo-free), its copy equals the hub's after this merge (LWW commutes), so pulls skip it.
  static bool EchoFree(const PriorRow& prior, uint64_t device_cursor) {
    return !prior.logged || prior.seq <= device_cursor || prior.echo_free;
  }

  Schema schema_;
  // During one Push: the stored area of each parent row (provider, referral) looked up so far, kept
  // equal to the change log as the batch rewrites those rows' entries.
  std::map<std::pair<std::string, std::string>, std::string> parent_areas_;
};

}  // namespace berth::sync::internal

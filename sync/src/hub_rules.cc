// HubRules (hub_rules.h): push arbitration's rules, shared by the hub's storages. Each change of a batch is
// checked against the claim rules, the device's role and scope; the storage then merges (LWW) and logs it.
#include "hub_rules.h"

#include <algorithm>
#include <set>
#include <string_view>
#include <tuple>

#include "berth/schema/ids.h"
#include "berth/schema/model.h"
#include "berth/schema/occupancy.h"
#include "berth/schema/settings.h"

namespace berth::sync::internal {

namespace {
constexpr int64_t kMaxSkewMs = 5 * 60 * 1000;
}  // namespace

// A push's batch (PROTOCOL.md section 5), in the storage's transaction: entries already acknowledged are
// answered from the record (duplicate, or the rejection recorded then), each new one is arbitrated, a lost
// claim poisons the later entries that depend on it, and every rejected entry carries the authoritative
// state of the rows it touched or named, in the device's scope only. The caller stores acked_through.
Status HubRules::DecideBatch(const DeviceRecord& fresh, const PushRequest& request, int64_t now_ms,
                             PushResponse* resp, PushStats* stats) {
  *resp = PushResponse{};
  *stats = PushStats{};
  parent_areas_.clear();
  std::vector<size_t> rejected_results;
  std::vector<const Mutation*> rejected_mutations;
  uint64_t acked = fresh.acked_seq;
  uint64_t prev = 0;
  Poisoned poisoned;
  const std::string iso_now = IsoInstantOfMs(now_ms);
  for (const OutboxEntry& e : request.entries) {
    if (e.seq <= prev) return BadInput("push entries are not in ascending seq order");
    prev = e.seq;
    MutationResult r;
    r.seq = e.seq;
    if (e.seq <= acked) {
      BERTH_ASSIGN_OR_RETURN(std::optional<Rejection> recorded, RecordedRejection(fresh.device_id, e.seq));
      if (recorded) {
        r.outcome = static_cast<uint8_t>(Outcome::kRejected);
        r.reason_code = recorded->code;
        r.reason = recorded->reason;
        rejected_results.push_back(resp->results.size());
        rejected_mutations.push_back(&e.mutation);
      } else {
        r.outcome = static_cast<uint8_t>(Outcome::kDuplicate);
      }
      stats->duplicates++;
      resp->results.push_back(std::move(r));
      continue;
    }
    std::optional<Rejection> rej;
    BERTH_RETURN_IF_ERROR(Arbitrate(fresh, e.mutation, now_ms, iso_now, request.cursor, poisoned, &rej));
    if (rej) {
      r.outcome = static_cast<uint8_t>(Outcome::kRejected);
      r.reason_code = rej->code;
      r.reason = rej->reason;
      BERTH_RETURN_IF_ERROR(RecordRejection(fresh.device_id, e.seq, e.mutation.mutation_id, *rej));
      rejected_results.push_back(resp->results.size());
      rejected_mutations.push_back(&e.mutation);
      stats->rejected++;
      if (e.mutation.kind == MutationKind::kClaim || e.mutation.entity == "bed" ||
          e.mutation.entity == "placement") {
        const std::string source = rej->code == "claim_lost"
                                       ? poisoned[{e.mutation.entity, e.mutation.row_id}]
                                       : e.mutation.mutation_id;
        for (const auto& key : NamedRows(e.mutation)) poisoned.emplace(key, source);
      }
    } else {
      r.outcome = static_cast<uint8_t>(Outcome::kApplied);
      stats->applied++;
    }
    acked = e.seq;
    resp->results.push_back(std::move(r));
  }
  resp->acked_through = acked;
  for (size_t k = 0; k < rejected_results.size(); ++k) {
    const Mutation& m = *rejected_mutations[k];
    auto& out = resp->results[rejected_results[k]].authoritative;
    std::set<std::pair<std::string, std::string>> rows = {{m.entity, m.row_id}};
    for (const auto& key : NamedRows(m)) rows.insert(key);
    for (const auto& [entity, row_id] : rows) {
      if (schema_.Columns(entity) == nullptr || row_id.empty()) continue;
      BERTH_ASSIGN_OR_RETURN(RowState rs, RowStateOf(entity, row_id));
      if (!rs.absent) {
        BERTH_ASSIGN_OR_RETURN(bool visible, Visible(fresh, entity, row_id));
        if (!visible) {
          rs = RowState{};
          rs.entity = entity;
          rs.row_id = row_id;
          rs.absent = 1;
        }
      }
      out.push_back(std::move(rs));
    }
  }
  return Status::Ok();
}

const std::set<std::string>& HubRules::RuleColumns() {
  static const std::set<std::string> kColumns = {"id",
                                                 "hlc",
                                                 "origin",
                                                 "deleted",
                                                 "status",
                                                 "held_for_referral_id",
                                                 "held_until",
                                                 "district",
                                                 "local_authority",
                                                 "provider_id",
                                                 "referral_id",
                                                 "bed_id",
                                                 "homecare_capacity_id",
                                                 "start_date",
                                                 "end_date"};
  return kColumns;
}

// The rows a mutation names besides itself: the referral and the bed or capacity it claims.
std::vector<std::pair<std::string, std::string>> HubRules::NamedRows(const Mutation& m) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back(m.entity, m.row_id);
  auto field = [&](const char* name) -> std::string {
    auto it = m.fields.find(name);
    return it == m.fields.end() ? std::string() : internal::ValueText(it->second);
  };
  if (m.entity == "bed") {
    if (auto r = field("held_for_referral_id"); !r.empty()) out.emplace_back("referral", r);
  }
  if (m.entity == "placement" || m.entity == "offer") {
    if (auto r = field("referral_id"); !r.empty()) out.emplace_back("referral", r);
    if (auto b = field("bed_id"); !b.empty()) out.emplace_back("bed", b);
    if (auto c = field("homecare_capacity_id"); !c.empty()) out.emplace_back("homecare_capacity", c);
  }
  return out;
}

// Decides one entry; applies it unless rejected. Errors are real failures that abort the batch. The rules
// run in a fixed order, so a change that breaks several is refused for the first: its shape and the
// device's role, a setting's schema, a claim lost earlier in the batch, the row's area and the device's
// scope, the claim's name, the bed's hold and occupancy, the placement claim's preconditions, and last the
// invariants checked after the merge (no bed taken twice on a day, no capacity over its hours).
Status HubRules::Arbitrate(const DeviceRecord& dev, const Mutation& m, int64_t now_ms,
                           const std::string& iso_now, uint64_t device_cursor, const Poisoned& poisoned,
                           std::optional<Rejection>* rej) {
  auto reject = [&](std::optional<Rejection> r) {
    *rej = std::move(r);
    return Status::Ok();
  };
  if (auto r = CheckWellFormed(dev, m, now_ms)) return reject(std::move(r));
  if (auto r = CheckSetting(dev, m)) return reject(std::move(r));
  BERTH_ASSIGN_OR_RETURN(const PriorRow prior, ReadPrior(dev, m));
  if (auto r = LostWithEarlierClaim(m, prior, poisoned)) return reject(std::move(r));
  // The row as it will be after the merge, as far as the rules read it. A row the hub does not hold yet
  // (most of a first push) is its mutation's fields, read where they are.
  std::map<std::string, Value> merged_copy;
  if (!prior.values.empty()) {
    merged_copy = prior.values;
    for (const auto& kv : m.fields) merged_copy[kv.first] = kv.second;
  }
  const std::map<std::string, Value>& merged = prior.values.empty() ? m.fields : merged_copy;
  std::string area;
  BERTH_ASSIGN_OR_RETURN(std::optional<Rejection> out_of_place, CheckArea(dev, m, prior, merged, &area));
  if (out_of_place) return reject(std::move(out_of_place));
  if (auto r = CheckClaimName(m)) return reject(std::move(r));
  if (auto r = CheckOfferAnswer(m, prior)) return reject(std::move(r));
  BERTH_ASSIGN_OR_RETURN(std::optional<Rejection> bed_refused, CheckBedHold(dev, m, prior, merged, iso_now));
  if (bed_refused) return reject(std::move(bed_refused));
  BERTH_ASSIGN_OR_RETURN(std::optional<Rejection> claim_refused, CheckPlacementClaim(m, merged, iso_now));
  if (claim_refused) return reject(std::move(claim_refused));
  return ApplyAndLog(dev, m, prior, merged, area, now_ms, iso_now, device_cursor, rej);
}

std::optional<Rejection> HubRules::CheckWellFormed(const DeviceRecord& dev, const Mutation& m,
                                                   int64_t now_ms) {
  const auto* cols = schema_.Columns(m.entity);
  if (cols == nullptr) return Rejection{"bad_mutation", "not a table that syncs"};
  if (m.origin_device != dev.device_id)
    return Rejection{"bad_mutation", "the origin is not the pushing device"};
  if (!IsUuid(m.row_id) && m.entity != "setting" && m.entity != "provider_admissions") {
    return Rejection{"bad_mutation", "the row id is not a UUID"};
  }
  if (m.row_id.empty() || m.mutation_id.empty()) return Rejection{"bad_mutation", "missing ids"};
  auto hlc = Hlc::Parse(m.hlc);
  if (!hlc.ok()) return Rejection{"bad_mutation", "unreadable clock"};
  if (hlc->wall_ms > now_ms + kMaxSkewMs) {
    return Rejection{"clock_skew", "the change is stamped more than 5 minutes ahead of the hub's clock"};
  }
  for (const auto& kv : m.fields) {
    const std::string_view field = kv.first;  // compared by length first, without strlen
    if (field == "id" || field == "hlc" || field == "origin" ||
        std::find(cols->begin(), cols->end(), kv.first) == cols->end()) {
      return Rejection{"bad_mutation", "unknown field"};
    }
  }
  if (!RoleMayWrite(dev.role, m.entity))
    return Rejection{"not_permitted", "this device's role may not change " + m.entity};
  return std::nullopt;
}

// Settings have a schema (berth/schema/settings.h): only known, synced keys, in range, by a role that may
// change them for the whole council.
std::optional<Rejection> HubRules::CheckSetting(const DeviceRecord& dev, const Mutation& m) {
  if (m.entity != "setting") return std::nullopt;
  const SettingSpec* spec = FindSetting(m.row_id);
  if (spec == nullptr) return Rejection{"bad_setting", "not a setting Berth knows"};
  if (!spec->syncs) return Rejection{"bad_setting", spec->key + " is a preference kept on each device"};
  if (spec->editor != SettingEditor::kBroker || dev.role != "broker")
    return Rejection{"not_permitted", "this device's role may not change " + spec->key};
  if (m.kind != MutationKind::kDelete) {
    auto it = m.fields.find("value");
    const auto* text = it == m.fields.end() ? nullptr : std::get_if<std::string>(&it->second);
    if (text == nullptr) return Rejection{"bad_setting", spec->key + " needs a text value"};
    if (Status valid = ValidateSetting(spec->key, *text); !valid.ok()) {
      return Rejection{"bad_setting", valid.message()};
    }
  }
  return std::nullopt;
}

// A change that depends on a claim this batch lost (the same bed, capacity or referral) is lost with it.
std::optional<Rejection> HubRules::LostWithEarlierClaim(const Mutation& m, const PriorRow& prior,
                                                        const Poisoned& poisoned) {
  if (poisoned.empty()) return std::nullopt;
  auto named = NamedRows(m);
  // An offer or placement update that does not repeat its referral still belongs to it.
  if (IsReferralChild(m.entity) && !m.fields.count("referral_id")) {
    if (auto r = Str(prior.values, "referral_id"); !r.empty()) named.emplace_back("referral", r);
  }
  // A new claim on the same bed or capacity (another placement, e.g. one starting after the days the
  // lost claim wanted) is its own claim: it is arbitrated on the hub's state, not lost with the first.
  const bool own_claim = m.kind == MutationKind::kClaim && m.entity == "placement";
  for (const auto& key : named) {
    if (own_claim && (key.first == "bed" || key.first == "homecare_capacity")) continue;
    auto it = poisoned.find(key);
    if (it != poisoned.end()) return Rejection{"claim_lost", "depends on rejected claim " + it->second};
  }
  return std::nullopt;
}

// The row's area (section 6) must be a real place in the device's scope, before and after the change.
Result<std::optional<Rejection>> HubRules::CheckArea(const DeviceRecord& dev, const Mutation& m,
                                                     const PriorRow& prior,
                                                     const std::map<std::string, Value>& merged,
                                                     std::string* area) {
  BERTH_ASSIGN_OR_RETURN(*area, AreaFor(dev, m.entity, merged, prior.area));
  std::optional<Rejection> refused;
  if (*area == "*" && m.entity != "setting") {
    refused = Rejection{"bad_area", "'*' means every area in a device's scope; a row's area is a real place"};
  } else if (area->empty()) {
    refused = Rejection{"no_area",
                        "a device scoped to every area must say where the row belongs (a referral's"
                        " district, a provider's district or council)"};
  } else if (!InScope(dev, m.entity, *area) ||
             (!prior.values.empty() && prior.logged && !InScope(dev, m.entity, prior.area))) {
    refused = Rejection{"out_of_scope", "the row is outside this device's scope"};
  }
  return refused;
}

// An offer's answer is a claim on the offer (PROTOCOL.md section 7): the first answer the hub accepts
// stands, whether it came from the portal or a laptop, and an offer withdrawn or expired takes none.
std::optional<Rejection> HubRules::CheckOfferAnswer(const Mutation& m, const PriorRow& prior) {
  if (m.entity != "offer" || prior.values.empty()) return std::nullopt;
  std::string to;
  if (m.kind == MutationKind::kDelete) return std::nullopt;
  if (auto it = m.fields.find("status"); it != m.fields.end()) to = ValueText(it->second);
  if (to != "accepted" && to != "declined") return std::nullopt;
  const std::string from = Str(prior.values, "status");
  if (from == "withdrawn" || from == "expired")
    return Rejection{"offer_closed", "the offer was " + from + " before this answer reached the hub"};
  if ((from == "accepted" || from == "declined") && from != to)
    return Rejection{"offer_answered", "the provider's answer (" + from + ") reached the hub first"};
  return std::nullopt;
}

std::optional<Rejection> HubRules::CheckClaimName(const Mutation& m) {
  static const std::set<std::string> kClaims = {"bed_hold", "bed_confirm", "homecare_allocate", "release"};
  if (m.kind == MutationKind::kClaim && !kClaims.count(m.claim))
    return Rejection{"unknown_claim", "unknown claim"};
  return std::nullopt;
}

// A bed's hold and occupancy: the rule that keeps two people out of one bed. Claims, and plain changes
// that would act like one, are checked. A hold is made of three fields (status, held_for_referral_id,
// held_until): a change naming any of them, or deleting the bed, is checked, so leaving `status` out
// cannot move, shorten or clear someone else's hold.
Result<std::optional<Rejection>> HubRules::CheckBedHold(const DeviceRecord& dev, const Mutation& m,
                                                        const PriorRow& prior,
                                                        const std::map<std::string, Value>& merged,
                                                        const std::string& iso_now) {
  if (m.entity != "bed") return std::optional<Rejection>();
  const std::map<std::string, Value>& current = prior.values;
  const bool touches_hold = m.fields.count("status") || m.fields.count("held_for_referral_id") ||
                            m.fields.count("held_until") || m.kind == MutationKind::kDelete;
  if (!touches_hold) return std::optional<Rejection>();
  const std::string to = m.kind == MutationKind::kDelete ? std::string() : Str(merged, "status");
  if (current.empty() || Str(current, "deleted") == "1") {
    if (m.kind == MutationKind::kClaim)
      return std::optional<Rejection>(Rejection{"no_such_row", "the bed does not exist on the hub"});
    return std::optional<Rejection>();
  }
  auto refuse = [](std::string code, std::string reason) {
    return std::optional<Rejection>(Rejection{std::move(code), std::move(reason)});
  };
  const std::string from = Str(current, "status");
  const std::string holder = Str(current, "held_for_referral_id");
  const std::string until = Str(current, "held_until");
  const bool hold_live = from == "held" && (until.empty() || until > iso_now);
  // Placements take a bed for the days they cover (berth/schema/occupancy.h): today, and from today on.
  const std::string today = iso_now.substr(0, 10);
  BERTH_ASSIGN_OR_RETURN(int64_t today_taken, PlacementsTakingBed(Str(current, "id"), "", today, today));
  BERTH_ASSIGN_OR_RETURN(int64_t booked, PlacementsTakingBed(Str(current, "id"), "", today, ""));
  const bool explicit_hold = to == "held" && m.fields.count("status");
  if (explicit_hold) {
    const std::string want = Str(merged, "held_for_referral_id");
    if (from == "unavailable") return refuse("bed_unavailable", "the bed is unavailable");
    if (from == "occupied" || booked > 0) return refuse("bed_taken", "the bed is already occupied");
    if (hold_live && holder != want) return refuse("bed_taken", "the bed is held for another referral");
  } else if (to == "vacant" && today_taken > 0) {
    return refuse("bed_taken", "a placement takes the bed today");
  } else if (to == "occupied" && m.fields.count("status") && booked == 0) {
    return refuse("bed_taken", "no placement on this bed");
  }
  // A live hold changes hands only through its maker, or ends when the placement it was for is confirmed
  // (the bed then becomes occupied; bed_confirm checked the referral). A hold claim for the same referral
  // may renew it.
  const bool changes_hold = m.kind == MutationKind::kDelete || to != from ||
                            Str(merged, "held_for_referral_id") != holder ||
                            Str(merged, "held_until") != until;
  const bool placed = to == "occupied" && booked > 0;
  const bool renewal = explicit_hold && Str(merged, "held_for_referral_id") == holder;
  if (hold_live && changes_hold && !placed && !renewal) {
    BERTH_ASSIGN_OR_RETURN(std::string hold_origin, FieldOrigin("bed", m.row_id, "held_for_referral_id"));
    if (hold_origin != dev.device_id) return refuse("not_holder", "the hold belongs to another device");
  }
  return std::optional<Rejection>();
}

// The preconditions of a placement claim: bed_confirm needs a bed that exists, is available and is not
// held for someone else; homecare_allocate needs capacity that exists and can staff double-up calls when
// the person needs them. Whether the days are free is checked after the merge (ApplyAndLog).
Result<std::optional<Rejection>> HubRules::CheckPlacementClaim(const Mutation& m,
                                                               const std::map<std::string, Value>& merged,
                                                               const std::string& iso_now) {
  if (m.entity != "placement" || m.kind != MutationKind::kClaim) return std::optional<Rejection>();
  auto refuse = [](std::string code, std::string reason) {
    return std::optional<Rejection>(Rejection{std::move(code), std::move(reason)});
  };
  if (m.claim == "bed_confirm") {
    BERTH_ASSIGN_OR_RETURN(auto b, RowValues("bed", Str(merged, "bed_id")));
    if (b.empty() || Str(b, "deleted") == "1")
      return refuse("no_such_row", "the bed does not exist on the hub");
    if (Str(b, "status") == "unavailable") return refuse("bed_unavailable", "the bed is unavailable");
    const std::string until = Str(b, "held_until");
    if (Str(b, "status") == "held" && (until.empty() || until > iso_now) &&
        Str(b, "held_for_referral_id") != Str(merged, "referral_id")) {
      return refuse("bed_taken", "the bed is held for another referral");
    }
    return std::optional<Rejection>();
  }
  if (m.claim == "homecare_allocate") {
    const std::string cap = Str(merged, "homecare_capacity_id");
    BERTH_ASSIGN_OR_RETURN(auto c, RowValues("homecare_capacity", cap));
    if (c.empty() || Str(c, "deleted") == "1")
      return refuse("no_such_row", "the capacity does not exist on the hub");
    BERTH_ASSIGN_OR_RETURN(auto ref, RowValues("referral", Str(merged, "referral_id")));
    if (!ref.empty() && Str(ref, "homecare_double_up") == "1" && Str(c, "double_up") != "1") {
      return refuse("not_double_up", "the capacity cannot staff double-up calls");
    }
    return std::optional<Rejection>();
  }
  return refuse("unknown_claim", "this claim does not apply to placements");
}

// After the merge: no other placement takes the bed on any of this placement's days, and a capacity
// row's placements never need more hours than it has. `now_row` is the row as merged.
Result<std::optional<Rejection>> HubRules::CheckOccupancy(const Mutation& m,
                                                          const std::map<std::string, Value>& now_row,
                                                          const std::string& iso_now) {
  // The days this placement takes, if it takes any (occupancy.h); a capacity row's change is checked from
  // today on.
  const bool takes = m.entity == "placement" && Str(now_row, "deleted") != "1" &&
                     PlacementTakesDays(Str(now_row, "status"), Str(now_row, "end_date"));
  const std::string from = m.entity == "placement" ? Str(now_row, "start_date") : iso_now.substr(0, 10);
  const std::string to = m.entity == "placement" ? Str(now_row, "end_date") : std::string();
  if (takes) {
    const std::string bed = Str(now_row, "bed_id");
    if (!bed.empty()) {
      BERTH_ASSIGN_OR_RETURN(int64_t others, PlacementsTakingBed(bed, m.row_id, from, to));
      if (others > 0) {
        return std::optional<Rejection>(Rejection{m.claim == "bed_confirm" ? "bed_taken" : "over_allocated",
                                                  "another placement takes the bed on some of these days"});
      }
    }
  }
  std::string cap;
  if (takes) cap = Str(now_row, "homecare_capacity_id");
  if (m.entity == "homecare_capacity") cap = m.row_id;
  if (!cap.empty()) {
    BERTH_ASSIGN_OR_RETURN(bool over, CapacityOver(cap, from, to));
    if (over) {
      return std::optional<Rejection>(
          Rejection{m.claim == "homecare_allocate" ? "capacity_exhausted" : "over_allocated",
                    "not enough homecare hours left on this capacity"});
    }
  }
  return std::optional<Rejection>();
}

// Where a device's rows go when they name no area of their own: the first area of its scope. A
// county-wide device (scope "*") has none, so its rows must name one ("" here).
std::string HubRules::HomeArea(const DeviceRecord& d) {
  return d.scope.empty() || d.scope.front() == "*" ? std::string() : d.scope.front();
}

// The area a row belongs to (PROTOCOL.md section 6), from its merged fields and the area the hub's
// change log already records for it (`stored`, or empty). Only settings are everyone's ("*"); any other
// row's area is a real district or council, never "*" (a data value is never a wildcard). "" means the
// row names none and the device has no home area to lend it: Arbitrate refuses it (no_area).
Result<std::string> HubRules::AreaFor(const DeviceRecord& dev, const std::string& entity,
                                      const std::map<std::string, Value>& merged, const std::string& stored) {
  if (entity == "setting") return std::string("*");
  if (entity == "provider") {
    std::string a = Str(merged, "district");
    if (a.empty()) a = Str(merged, "local_authority");
    return a.empty() ? HomeArea(dev) : a;
  }
  if (entity == "referral") {
    // Where the person is (their hospital site or postcode; app/core fills it): a referral made on a
    // county-wide device reaches that district's devices only.
    if (std::string d = Str(merged, "district"); !d.empty()) return d;
  }
  if (!stored.empty()) return stored;
  std::string parent_entity, parent_id;
  if (entity == "bed" || entity == "homecare_capacity" || entity == "provider_admissions") {
    parent_entity = "provider";
    parent_id = Str(merged, "provider_id");
  } else if (IsReferralChild(entity)) {
    parent_entity = "referral";
    parent_id = Str(merged, "referral_id");
  }
  if (!parent_id.empty()) {
    // The beds of one home usually arrive in one batch: their provider's area is read once.
    auto key = std::make_pair(parent_entity, parent_id);
    auto it = parent_areas_.find(key);
    if (it == parent_areas_.end()) {
      BERTH_ASSIGN_OR_RETURN(std::string a, StoredArea(parent_entity, parent_id));
      it = parent_areas_.emplace(std::move(key), std::move(a)).first;
    }
    if (!it->second.empty()) return it->second;
  }
  return HomeArea(dev);
}

// Settings reach everyone; any other row only devices whose scope names its area (or "*", all areas).
// A row with no area ("" : one stored before areas were enforced whose area could not be worked out)
// reaches county-wide devices only.
bool HubRules::InScope(const DeviceRecord& d, const std::string& entity, const std::string& area) {
  if (entity == "setting") return true;
  for (const auto& a : d.scope) {
    if (a == "*" || (a == area && !area.empty())) return true;
  }
  return false;
}

Result<bool> HubRules::Visible(const DeviceRecord& d, const std::string& entity, const std::string& row_id) {
  if (!RoleMayRead(d.role, entity)) return false;
  BERTH_ASSIGN_OR_RETURN(std::string area, StoredArea(entity, row_id));
  return InScope(d, entity, area);
}

// See hub_rules.h; the fields compared are those AreaFor reads.
Result<std::string> HubRules::AreaAfterMerge(const DeviceRecord& dev, const Mutation& m,
                                             const PriorRow& prior,
                                             const std::map<std::string, Value>& merged,
                                             const std::map<std::string, Value>& now_row,
                                             const std::string& area) {
  auto area_inputs = [](const std::map<std::string, Value>& row) {
    return std::make_tuple(Str(row, "district"), Str(row, "local_authority"), Str(row, "provider_id"),
                           Str(row, "referral_id"));
  };
  if (&now_row == &merged || area_inputs(now_row) == area_inputs(merged)) return area;
  return AreaFor(dev, m.entity, now_row, prior.area);
}

}  // namespace berth::sync::internal

// The workflow authority (workflow.h): every status change of a referral, offer, hold and placement is
// checked and written here (never by the window or the CLI), with its audit line and claim.

#include "berth/core/workflow.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <map>
#include <set>

#include "berth/core/case_log.h"
#include "berth/core/referrals.h"
#include "berth/schema/ids.h"
#include "berth/schema/occupancy.h"
#include "berth/schema/repository.h"

namespace berth::core {
namespace {

using Fields = std::map<std::string, Value>;

Status Put(Store& store, const std::string& entity, const std::string& row_id, Fields fields,
           MutationKind kind = MutationKind::kUpsert, const std::string& claim = "") {
  Mutation m;
  m.kind = kind;
  m.entity = entity;
  m.row_id = row_id;
  m.fields = std::move(fields);
  m.claim = claim;
  return store.Write(std::move(m));
}

int64_t SecondsOf(const std::string& iso) {
  const int64_t days = DaysFromIsoDate(std::string_view(iso).substr(0, 10));
  const int64_t h = std::stoll(iso.substr(11, 2)), m = std::stoll(iso.substr(14, 2)),
                s = std::stoll(iso.substr(17, 2));
  return days * 86400 + h * 3600 + m * 60 + s;
}

std::string IsoOfSeconds(int64_t secs) {
  return IsoInstantOfMs(secs * 1000);
}

bool IsInstant(const std::string& s) {
  if (s.size() != 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z') return false;
  if (!IsIsoDate(std::string_view(s).substr(0, 10))) return false;
  for (size_t i : {11u, 12u, 14u, 15u, 17u, 18u}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return std::stoi(s.substr(11, 2)) < 24 && std::stoi(s.substr(14, 2)) < 60 &&
         std::stoi(s.substr(17, 2)) < 60;
}

std::string DayAfter(const std::string& date) {
  return IsoDateFromDays(DaysFromIsoDate(date) + 1);
}

// A transition's entry in the referral's audit trail, in the case log's words (case_log.h), stamped with
// the moment the workflow was given.
Status AuditCase(Store& store, const std::string& action, const std::string& referral_id,
                 const WorkflowTime& t, const std::string& words) {
  return store.AppendAudit(action, "referral", referral_id, CaseDetail(t, words));
}

// "a_assessment", or "none".
std::string DelayWords(DelayReason d) {
  return d == DelayReason::kNone ? "none" : std::string(ToString(d));
}

// "; status new -> sourcing", or "" when the status stays.
std::string StatusChange(ReferralStatus from, std::string_view to) {
  if (ToString(from) == to) return "";
  return fmt::format("; status {} -> {}", ToString(from), to);
}

// A provider as brokers name it (its id when it is not on this device).
std::string ProviderName(Store& store, const std::string& id) {
  auto p = LoadProvider(store.db(), id);
  return p.ok() && !p->name.empty() ? p->name : id;
}

// "room 3 at Field Lodge" (the bed id when the bed is not on this device).
std::string BedWords(Store& store, const Bed& b) {
  return fmt::format("room {} at {}", b.room.empty() ? b.id : b.room, ProviderName(store, b.provider_id));
}

Status Refuse(const std::string& what, const std::string& id, std::string_view state,
              const std::string& allowed) {
  return ConflictError(fmt::format("cannot {}: {} is {} ({})", what, id, state, allowed));
}

Result<Referral> GetReferral(Store& store, const std::string& id) {
  if (id.empty()) return BadInput("a referral id is required");
  return LoadReferral(store.db(), id);
}

// The occupancy rule (berth/schema/occupancy.h) on a loaded placement.
bool Takes(const Placement& p) {
  return PlacementTakesDays(ToString(p.status), p.end_date);
}
bool TakesAnyOf(const Placement& p, const std::string& from, const std::string& to) {
  return Takes(p) && DayRangesOverlap(p.start_date, p.end_date, from, to);
}
bool Live(const Placement& p) {
  return p.status == PlacementStatus::kPlanned || p.status == PlacementStatus::kActive;
}

// "from 2026-03-01 until 2026-04-02", "from 2026-03-01, open-ended".
std::string Days(const Placement& p) {
  const std::string from = p.start_date.empty() ? "" : "from " + p.start_date;
  if (p.end_date.empty()) return from + (from.empty() ? "" : ", ") + "open-ended";
  return from + (from.empty() ? "" : " ") + "until " + p.end_date;
}

// The first placement on `bed_id` that takes a day of [from, to], if any.
Result<std::optional<Placement>> TakingBed(Store& store, const std::string& bed_id, const std::string& from,
                                           const std::string& to) {
  BERTH_ASSIGN_OR_RETURN(std::vector<Placement> on_bed, LoadPlacementsOfBed(store.db(), bed_id));
  for (Placement& p : on_bed) {
    if (TakesAnyOf(p, from, to)) return std::optional<Placement>(std::move(p));
  }
  return std::optional<Placement>();
}

// Withdraws every live offer of a referral except the accepted one of `keep_provider`.
Status WithdrawOthers(Store& store, const std::string& referral_id, const std::string& keep_provider) {
  BERTH_ASSIGN_OR_RETURN(auto offers, LoadOffersForReferral(store.db(), referral_id));
  for (const Offer& o : offers) {
    if (o.status != OfferStatus::kPending && o.status != OfferStatus::kAccepted) continue;
    if (o.status == OfferStatus::kAccepted && o.provider_id == keep_provider) continue;
    BERTH_RETURN_IF_ERROR(Put(store, "offer", o.id, {{"status", std::string("withdrawn")}}));
  }
  return Status::Ok();
}

// A person placed needs no other bed: their holds elsewhere are released (release claims).
Status ReleaseOtherHolds(Store& store, const std::string& referral_id, const std::string& keep_bed,
                         const WorkflowTime& t) {
  BERTH_ASSIGN_OR_RETURN(Statement q,
                         store.db().Prepare("SELECT id FROM bed WHERE deleted = 0 AND status = 'held'"
                                            " AND held_for_referral_id = ? AND id <> ? ORDER BY id"));
  q.Bind(1, referral_id);
  q.Bind(2, keep_bed);
  std::vector<std::string> beds;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    beds.push_back(q.Text(0));
  }
  for (const auto& id : beds) {
    BERTH_RETURN_IF_ERROR(Put(store, "bed", id,
                              {{"status", std::string("vacant")},
                               {"held_for_referral_id", std::string()},
                               {"held_until", std::string()},
                               {"status_since", t.today}},
                              MutationKind::kClaim, "release"));
  }
  return Status::Ok();
}

Status CloseHandbacks(Store& store, const std::string& referral_id) {
  BERTH_ASSIGN_OR_RETURN(auto handbacks, LoadHandbacksOfReferral(store.db(), referral_id));
  for (const Handback& h : handbacks) {
    if (h.status != HandbackStatus::kOpen) continue;
    BERTH_RETURN_IF_ERROR(Put(store, "handback", h.id, {{"status", std::string("rebrokered")}}));
  }
  return Status::Ok();
}

Status CheckTerms(const PlacementTerms& terms) {
  if (!IsIsoDate(terms.start_date))
    return BadInput("the start date must be YYYY-MM-DD (got '" + terms.start_date.substr(0, 20) + "')");
  if (!terms.end_date.empty()) {
    if (!IsIsoDate(terms.end_date))
      return BadInput("the end date must be YYYY-MM-DD (got '" + terms.end_date.substr(0, 20) + "')");
    if (terms.end_date < terms.start_date)
      return BadInput("the last day of care (" + terms.end_date + ") is before the first (" +
                      terms.start_date + ")");
  }
  if (terms.override_reason.size() > 500)
    return BadInput("the override reason is longer than 500 characters");
  return Status::Ok();
}

// The provider's acceptance a confirmation rests on: an accepted offer of `provider` for the referral
// (for a bed: one naming no bed, or this bed). Without one, only an override reason lets it through.
Result<std::optional<Offer>> AcceptedOffer(Store& store, const std::string& referral_id,
                                           const std::string& provider_id, const std::string& bed_id) {
  BERTH_ASSIGN_OR_RETURN(auto offers, LoadOffersForReferral(store.db(), referral_id));
  for (Offer& o : offers) {
    if (o.status == OfferStatus::kAccepted && o.provider_id == provider_id &&
        (o.bed_id.empty() || bed_id.empty() || o.bed_id == bed_id)) {
      return std::optional<Offer>(std::move(o));
    }
  }
  return std::optional<Offer>();
}

Status NeedAcceptance(const std::optional<Offer>& accepted, const PlacementTerms& terms,
                      const std::string& referral_id, const std::string& provider_id) {
  if (accepted || !terms.override_reason.empty()) return Status::Ok();
  return ConflictError(fmt::format(
      "cannot confirm a placement: provider {} has not accepted an offer for referral {} (record its answer "
      "with `berth accept OFFER`, or confirm with --override REASON for a placement arranged outside Berth)",
      provider_id, referral_id));
}

std::string ConfirmDetail(const std::optional<Offer>& accepted) {
  if (accepted) return "on its accepted offer";
  return "without an accepted offer (override; the reason is on the placement)";
}

std::string AgeBand(const std::string& dob, const std::string& today) {
  if (!IsIsoDate(dob) || !IsIsoDate(today)) return "";
  int years = std::stoi(today.substr(0, 4)) - std::stoi(dob.substr(0, 4));
  if (today.substr(5) < dob.substr(5)) --years;
  if (years < 18) return "under 18";
  if (years >= 90) return "90+";
  const int lo = years / 10 * 10;
  return fmt::format("{}-{}", lo, lo + 9);
}

Result<std::vector<std::string>> Ids(Db& db, const std::string& sql, const std::vector<std::string>& args) {
  BERTH_ASSIGN_OR_RETURN(Statement q, db.Prepare(sql));
  for (size_t i = 0; i < args.size(); ++i) q.Bind(static_cast<int>(i + 1), args[i]);
  std::vector<std::string> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(q.Text(0));
  }
  return out;
}

// A discharge-ready date change, kept as history (who, when, old, new) and audited.
Status RecordDateChange(Store& store, const std::string& referral_id, const std::string& old_date,
                        const std::string& new_date, const std::string& note, const WorkflowTime& t) {
  ReferralDateChange c;
  c.id = NewUuidV7(&store.env());
  c.referral_id = referral_id;
  c.old_date = old_date;
  c.new_date = new_date;
  c.changed_by = store.actor();
  c.changed_at = t.now_iso;
  c.note = note;
  BERTH_RETURN_IF_ERROR(Save(store, c));
  return store.AppendAudit(
      "drd_change", "referral", referral_id,
      fmt::format("discharge-ready date {} -> {}", old_date.empty() ? "(none)" : old_date, new_date));
}

// Sets each row's status, each in its own transaction with its audit entry; counts them.
Status MarkEach(Store& store, const std::string& entity, const std::vector<std::string>& ids,
                const std::string& status, const std::string& action, const std::string& detail, int* count) {
  for (const auto& id : ids) {
    const Status tx = store.db().Transaction([&]() -> Status {
      BERTH_RETURN_IF_ERROR(Put(store, entity, id, {{"status", status}}));
      return store.AppendAudit(action, entity, id, detail);
    });
    if (!tx.ok()) return tx;
    ++*count;
  }
  return Status::Ok();
}

}  // namespace

WorkflowTime WorkflowTime::Now(Env* env) {
  WorkflowTime t;
  t.now_iso = IsoOfSeconds((env != nullptr ? env : Env::Default())->NowMs() / 1000);
  t.today = t.now_iso.substr(0, 10);
  return t;
}

Result<WorkflowTime> WorkflowTime::At(const std::string& now_iso) {
  if (!IsInstant(now_iso))
    return BadInput("the time must be YYYY-MM-DDTHH:MM:SSZ (got '" + now_iso.substr(0, 30) + "')");
  WorkflowTime t;
  t.now_iso = now_iso;
  t.today = now_iso.substr(0, 10);
  return t;
}

std::string AddHours(const std::string& iso, double hours) {
  return IsoOfSeconds(SecondsOf(iso) + std::llround(hours * 3600.0));
}

nlohmann::json OfferPackage(const Referral& r, const Geography* geo, const std::string& today) {
  nlohmann::json j;
  j["pathway"] = ToString(r.pathway);
  j["category"] = r.category ? std::string(ToString(*r.category)) : std::string();
  j["needs"] = JoinCodes(r.needs);
  const std::string place = !r.preferred_postcode.empty() ? r.preferred_postcode : r.postcode;
  j["area"] = OutwardCode(place);
  if (geo && r.location_kind == LocationKind::kHospital) {
    if (const Hospital* h = geo->FindHospital(r.hospital_code)) j["hospital"] = h->name;
  }
  const std::string start =
      IsIsoDate(r.discharge_ready_date) && r.discharge_ready_date > today ? r.discharge_ready_date : today;
  j["start_date"] = start;
  j["gender"] = ToString(r.gender);
  j["age_band"] = AgeBand(r.date_of_birth, today);
  j["infection_status"] = ToString(r.infection_status);
  j["funding"] = ToString(r.funding);
  if (!r.homecare.empty()) {
    j["homecare"] = {{"calls_per_day", r.homecare.calls_per_day},
                     {"minutes_per_call", r.homecare.minutes_per_call},
                     {"bands", JoinCodes(r.homecare.bands)},
                     {"double_up", r.homecare.double_up},
                     {"carer_gender", ToString(r.homecare.carer_gender)},
                     {"hours_per_week", r.homecare.HoursPerWeek()}};
  }
  return j;
}

// --- referrals -------------------------------------------------------------------------------------------

namespace {

// The district the person is in is the referral's sync area (sync/PROTOCOL.md, section 6): a district
// given is kept (in the geography's spelling); none given, or a move to another hospital site or
// postcode that leaves the stored one unchanged, takes the district of where the person now is.
void FillDistrict(const Geography& geo, const Referral* stored, Referral& r) {
  if (const LocalAuthority* la = r.district.empty() ? nullptr : geo.FindAuthority(r.district);
      la != nullptr && la->type != "CTY") {
    r.district = la->name;
  }
  const bool moved = stored != nullptr && r.district == stored->district &&
                     (r.location_kind != stored->location_kind || r.hospital_code != stored->hospital_code ||
                      r.postcode != stored->postcode);
  if (r.district.empty() || moved) {
    if (std::string where = ReferralDistrict(geo, r); !where.empty()) r.district = std::move(where);
  }
}

}  // namespace

Result<std::vector<std::string>> SaveReferrals(Store& store, const Geography* geo, std::vector<Referral> rs,
                                               const WorkflowTime& t) {
  if (rs.empty()) return BadInput("there are no referrals to save");
  std::vector<std::string> problems;
  std::vector<bool> is_new(rs.size(), true);
  std::set<std::string> ids;
  std::map<std::string, std::string> old_dates;  // edits that change the discharge-ready date
  for (size_t i = 0; i < rs.size(); ++i) {
    Referral& r = rs[i];
    const std::string which = rs.size() == 1 ? "the referral" : fmt::format("referral {}", i + 1);
    if (r.created_date.empty()) r.created_date = t.today;
    if (r.id.empty()) r.id = NewUuidV7(&store.env());
    if (!ids.insert(r.id).second) problems.push_back(which + ": the same id as another referral here");
    auto stored = LoadReferral(store.db(), r.id);
    if (!stored.ok() && stored.status().code() != Code::kNotFound) return stored.status();
    is_new[i] = !stored.ok();
    if (geo != nullptr) FillDistrict(*geo, stored.ok() ? &*stored : nullptr, r);
    for (const FieldProblem& p : ReferralProblems(r, geo, t.today))
      problems.push_back(fmt::format("{}: {}: {}", which, p.field, p.message));
    if (is_new[i]) {
      if (r.status != ReferralStatus::kNew) {
        return ConflictError(fmt::format(
            "cannot create {} as {}: a referral starts as new, and its status then changes only through the "
            "workflow (hold, offer, accept, confirm, cancel)",
            which, ToString(r.status)));
      }
      if (r.priority == Priority::kHandBack) {
        return ConflictError("cannot create " + which +
                             " with priority hand_back: only a provider's hand back gives that priority");
      }
      continue;
    }
    if (r.status != stored->status) {
      return Refuse("change the status of " + which, "referral " + r.id, ToString(stored->status),
                    std::string("the status changes only through the workflow (hold, offer, accept, confirm, "
                                "hand back, cancel, reopen), never by editing the referral to ") +
                        std::string(ToString(r.status)));
    }
    if ((r.priority == Priority::kHandBack) != (stored->priority == Priority::kHandBack)) {
      return Refuse("change the priority of " + which, "referral " + r.id, ToString(stored->priority),
                    "the hand_back priority is given and taken only by the hand-back workflow");
    }
    if (r.cancel_reason != stored->cancel_reason) {
      return Refuse("change the cancel reason of " + which, "referral " + r.id, ToString(stored->status),
                    "a referral is cancelled (with its reason) and reopened only through the workflow");
    }
    if (r.discharge_ready_date != stored->discharge_ready_date)
      old_dates[r.id] = stored->discharge_ready_date;
  }
  if (!problems.empty()) {
    std::string msg =
        fmt::format("{} problem{}; nothing was saved", problems.size(), problems.size() == 1 ? "" : "s");
    for (const auto& p : problems) msg += "\n  " + p;
    return BadInput(msg);
  }
  std::vector<std::string> out;
  const Status tx = store.db().Transaction([&]() -> Status {
    for (size_t i = 0; i < rs.size(); ++i) {
      const Referral& r = rs[i];
      if (is_new[i]) {
        BERTH_RETURN_IF_ERROR(Save(store, r));
        BERTH_RETURN_IF_ERROR(AuditCase(
            store, "create", r.id, t, fmt::format("referral created ({}); status new", ToString(r.pathway))));
      } else {
        BERTH_ASSIGN_OR_RETURN(Referral before, LoadReferral(store.db(), r.id));
        BERTH_ASSIGN_OR_RETURN(SaveOutcome outcome, SaveChanges(store, r));
        if (outcome == SaveOutcome::kUpdated)
          BERTH_RETURN_IF_ERROR(
              AuditCase(store, "edit", r.id, t, "edited: " + ReferralChangeWords(before, r)));
        if (auto old = old_dates.find(r.id); old != old_dates.end())
          BERTH_RETURN_IF_ERROR(RecordDateChange(store, r.id, old->second, r.discharge_ready_date, "", t));
      }
      out.push_back(r.id);
    }
    return Status::Ok();
  });
  if (!tx.ok()) return tx;
  return out;
}

Result<std::string> SaveReferral(Store& store, const Geography* geo, Referral r, const WorkflowTime& t) {
  std::vector<Referral> one;
  one.push_back(std::move(r));
  BERTH_ASSIGN_OR_RETURN(auto ids, SaveReferrals(store, geo, std::move(one), t));
  return ids.front();
}

// --- a referral's life ----------------------------------------------------------------------------------

Status CancelReferral(Store& store, const std::string& referral_id, CancelReason reason,
                      const WorkflowTime& t) {
  if (reason == CancelReason::kNone) {
    return BadInput(
        "a cancellation needs a reason (died, readmitted, home_without_support, self_arranged, "
        "moved_out_of_area, declined_care, duplicate, other)");
  }
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, referral_id));
  if (!IsOpen(r.status)) {
    return Refuse("cancel", "referral " + r.id, ToString(r.status),
                  r.status == ReferralStatus::kPlaced
                      ? "a placed person's care ends through their placement (hand back), not a cancellation"
                      : "only an open referral can be cancelled");
  }
  BERTH_ASSIGN_OR_RETURN(auto offers, LoadOffersForReferral(store.db(), r.id));
  return store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(ReleaseOtherHolds(store, r.id, "", t));
    int withdrawn = 0;
    for (const Offer& o : offers) {
      if (o.status != OfferStatus::kPending && o.status != OfferStatus::kAccepted) continue;
      BERTH_RETURN_IF_ERROR(Put(store, "offer", o.id, {{"status", std::string("withdrawn")}}));
      ++withdrawn;
    }
    BERTH_RETURN_IF_ERROR(
        Put(store, "referral", r.id,
            {{"status", std::string("cancelled")}, {"cancel_reason", std::string(ToString(reason))}}));
    return AuditCase(store, "cancel", r.id, t,
                     fmt::format("cancelled: {}; {} offer(s) withdrawn{}", ToString(reason), withdrawn,
                                 StatusChange(r.status, "cancelled")));
  });
}

Status ReopenReferral(Store& store, const std::string& referral_id, const WorkflowTime& t) {
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, referral_id));
  if (r.status != ReferralStatus::kCancelled)
    return Refuse("reopen", "referral " + r.id, ToString(r.status),
                  "only a cancelled referral can be reopened");
  const std::string to = r.assigned_broker.empty() ? "new" : "sourcing";
  return store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"status", to}, {"cancel_reason", std::string()}}));
    return AuditCase(
        store, "reopen", r.id, t,
        fmt::format("reopened (was cancelled: {}){}", ToString(r.cancel_reason), StatusChange(r.status, to)));
  });
}

Status ChangeDischargeReadyDate(Store& store, const std::string& referral_id, const std::string& new_date,
                                const std::string& note, const WorkflowTime& t) {
  if (!IsIsoDate(new_date))
    return BadInput("the discharge-ready date must be YYYY-MM-DD (got '" + new_date.substr(0, 20) + "')");
  if (note.size() > 500) return BadInput("the note is longer than 500 characters");
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, referral_id));
  if (!IsOpen(r.status)) {
    return Refuse("change the discharge-ready date", "referral " + r.id, ToString(r.status),
                  "only an open referral's date can change");
  }
  if (r.discharge_ready_date == new_date) {
    return Refuse("change the discharge-ready date", "referral " + r.id, "ready " + new_date,
                  "nothing to change");
  }
  return store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"discharge_ready_date", new_date}}));
    return RecordDateChange(store, r.id, r.discharge_ready_date, new_date, note, t);
  });
}

Status SetDelayReason(Store& store, const std::string& referral_id, DelayReason reason,
                      const WorkflowTime& t) {
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, referral_id));
  if (!IsOpen(r.status)) {
    return Refuse("record a delay reason", "referral " + r.id, ToString(r.status),
                  "only an open referral is delayed");
  }
  if (r.delay_reason == reason) {
    return Refuse(
        "record a delay reason", "referral " + r.id,
        reason == DelayReason::kNone ? "without one" : "delayed for " + std::string(ToString(reason)),
        "nothing to change");
  }
  return store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"delay_reason", std::string(ToString(reason))}}));
    return AuditCase(store, "delay_reason", r.id, t,
                     fmt::format("delay reason {} -> {}", DelayWords(r.delay_reason), DelayWords(reason)));
  });
}

// --- beds and admissions ---------------------------------------------------------------------------------

Status SetBedStatus(Store& store, const std::string& bed_id, BedStatus to, UnavailableReason reason,
                    const WorkflowTime& t) {
  if (to == BedStatus::kHeld)
    return BadInput("a bed is held with `berth hold REFERRAL BED`, not by setting its status");
  if (to == BedStatus::kUnavailable && reason == UnavailableReason::kNone)
    return BadInput("an unavailable bed needs a reason (outbreak, maintenance, staffing, quality, other)");
  if (to != BedStatus::kUnavailable && reason != UnavailableReason::kNone)
    return BadInput("only an unavailable bed has a reason");
  BERTH_ASSIGN_OR_RETURN(Bed b, LoadBed(store.db(), bed_id));
  const std::string bed = "bed " + b.id;
  if (b.status == BedStatus::kHeld) {
    return Refuse("mark " + bed + " " + std::string(ToString(to)), bed, "held",
                  fmt::format("held for referral {} until {}: release the hold first (berth release)",
                              b.held_for_referral_id, b.held_until));
  }
  if (b.status == to && b.unavailable_reason == reason) {
    return Refuse("mark " + bed + " " + std::string(ToString(to)), bed, ToString(b.status),
                  "nothing to change");
  }
  // A placement that takes the bed today keeps it occupied: it ends only through its own workflow.
  BERTH_ASSIGN_OR_RETURN(auto today_taken, TakingBed(store, b.id, t.today, t.today));
  if (today_taken && to != BedStatus::kOccupied) {
    return Refuse(
        "mark " + bed + " " + std::string(ToString(to)), bed, "taken by a placement",
        fmt::format("placement {} takes it {}; a placement ends through a hand back or its end date",
                    today_taken->id, Days(*today_taken)));
  }
  if (to == BedStatus::kOccupied) {
    BERTH_ASSIGN_OR_RETURN(auto booked, TakingBed(store, b.id, t.today, ""));
    if (booked && !today_taken) {
      return Refuse("mark " + bed + " occupied", bed, "booked",
                    fmt::format("placement {} takes it {}", booked->id, Days(*booked)));
    }
  }
  return store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(Put(store, "bed", b.id,
                              {{"status", std::string(ToString(to))},
                               {"status_since", t.today},
                               {"unavailable_reason", std::string(ToString(reason))}}));
    return store.AppendAudit(
        "bed_status", "bed", b.id,
        fmt::format("bed {} {} -> {}{}", b.id, ToString(b.status), ToString(to),
                    reason == UnavailableReason::kNone ? "" : " (" + std::string(ToString(reason)) + ")"));
  });
}

Status SetHomecareHours(Store& store, const std::string& capacity_id, double hours_per_week, bool double_up) {
  if (!(hours_per_week >= 0 && hours_per_week <= 1000) ||
      std::round(hours_per_week * 2) != hours_per_week * 2) {
    return BadInput(fmt::format("hours per week must be 0 to 1000 in half hours (got {})", hours_per_week));
  }
  BERTH_ASSIGN_OR_RETURN(HomecareCapacity c, LoadHomecareCapacityRow(store.db(), capacity_id));
  const std::string row = "homecare capacity " + c.id;
  if (c.hours_per_week == hours_per_week && c.double_up == double_up) {
    return Refuse("change " + row, row, fmt::format("{:g} hours", c.hours_per_week), "nothing to change");
  }
  return store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(
        Put(store, "homecare_capacity", c.id,
            {{"hours_per_week", hours_per_week}, {"double_up", int64_t{double_up ? 1 : 0}}}));
    return store.AppendAudit("homecare_hours", "homecare_capacity", c.id,
                             fmt::format("{} {}: {:g} -> {:g} hours{}", c.zone, ToString(c.band),
                                         c.hours_per_week, hours_per_week, double_up ? " (double-up)" : ""));
  });
}

Status SetAdmissions(Store& store, const std::string& provider_id, std::optional<BedCategory> category,
                     AdmissionsStatus to, ClosureReason reason, const std::string& note,
                     const WorkflowTime& t) {
  if (to == AdmissionsStatus::kClosed && reason == ClosureReason::kNone)
    return BadInput("closing to admissions needs a reason (outbreak, quality, staffing, other)");
  if (to == AdmissionsStatus::kOpen && reason != ClosureReason::kNone)
    return BadInput("reopening takes no closure reason");
  if (note.size() > 500) return BadInput("the note is longer than 500 characters");
  BERTH_ASSIGN_OR_RETURN(Provider p, LoadProvider(store.db(), provider_id));
  const std::string id = AdmissionsId(p.id, category);
  const std::string what = category ? std::string(ToString(*category)) + " admissions" : "admissions";
  AdmissionsStatus from = AdmissionsStatus::kOpen;
  BERTH_ASSIGN_OR_RETURN(auto rows, LoadAdmissions(store.db()));
  for (const auto& a : rows) {
    if (a.id == id) from = a.status;
  }
  if (from == to) {
    return Refuse(fmt::format("{} {} to {}", to == AdmissionsStatus::kOpen ? "open" : "close", p.name, what),
                  "provider " + p.id, to == AdmissionsStatus::kOpen ? "open" : "closed", "it already is");
  }
  return store.db().Transaction([&]() -> Status {
    ProviderAdmissions a;
    a.id = id;
    a.provider_id = p.id;
    a.category = category;
    a.status = to;
    a.reason = reason;
    a.since = t.today;
    a.note = note;
    BERTH_RETURN_IF_ERROR(Save(store, a));
    return store.AppendAudit(
        to == AdmissionsStatus::kOpen ? "admissions_open" : "admissions_close", "provider", p.id,
        fmt::format("{} {}{}", to == AdmissionsStatus::kOpen ? "opened to" : "closed to", what,
                    reason == ClosureReason::kNone ? "" : " (" + std::string(ToString(reason)) + ")"));
  });
}

// --- holds -----------------------------------------------------------------------------------------------

Result<HoldResult> HoldBed(Store& store, const MatchSettings& s, const std::string& referral_id,
                           const std::string& bed_id, const WorkflowTime& t) {
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, referral_id));
  if (!IsOpen(r.status)) {
    return Refuse("hold a bed", "referral " + r.id, ToString(r.status), "only open referrals can hold a bed");
  }
  BERTH_ASSIGN_OR_RETURN(Bed b, LoadBed(store.db(), bed_id));
  const bool lapsed = b.status == BedStatus::kHeld && !b.held_until.empty() && b.held_until <= t.now_iso;
  if (b.status == BedStatus::kHeld && !lapsed && b.held_for_referral_id != r.id) {
    return ConflictError(
        fmt::format("cannot hold bed {}: it is held for another referral until {}", b.id, b.held_until));
  }
  if (b.status == BedStatus::kOccupied || b.status == BedStatus::kUnavailable) {
    return Refuse("hold", "bed " + b.id, ToString(b.status),
                  "only a vacant bed, or one whose hold has lapsed, can be held");
  }
  // A hold is for now: a placement that takes the bed from today on (even one that starts later) rules it
  // out.
  BERTH_ASSIGN_OR_RETURN(auto taken, TakingBed(store, b.id, t.today, ""));
  if (taken) {
    return ConflictError(
        fmt::format("cannot hold bed {}: placement {} takes it {}", b.id, taken->id, Days(*taken)));
  }
  HoldResult out{AddHours(t.now_iso, s.hold_hours)};
  const Status tx = store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(Put(store, "bed", b.id,
                              {{"status", std::string("held")},
                               {"held_for_referral_id", r.id},
                               {"held_until", out.held_until},
                               {"status_since", t.today}},
                              MutationKind::kClaim, "bed_hold"));
    if (r.status == ReferralStatus::kNew) {
      BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"status", std::string("sourcing")}}));
    }
    return AuditCase(store, "hold", r.id, t,
                     fmt::format("{} held until {}{}", BedWords(store, b), CaseTime(out.held_until),
                                 r.status == ReferralStatus::kNew ? StatusChange(r.status, "sourcing") : ""));
  });
  if (!tx.ok()) return tx;
  return out;
}

namespace {
// A held bed vacant again from `since`, its hold cleared: the claim the hub arbitrates as a release
// (ReleaseBed, and ConfirmBed when the placement starts later than the hold).
Status PutHoldReleased(Store& store, const std::string& bed_id, const std::string& since) {
  return Put(store, "bed", bed_id,
             {{"status", std::string("vacant")},
              {"held_for_referral_id", std::string()},
              {"held_until", std::string()},
              {"status_since", since}},
             MutationKind::kClaim, "release");
}
}  // namespace

Status ReleaseBed(Store& store, const std::string& bed_id, const WorkflowTime& t) {
  BERTH_ASSIGN_OR_RETURN(Bed b, LoadBed(store.db(), bed_id));
  if (b.status != BedStatus::kHeld)
    return Refuse("release", "bed " + b.id, ToString(b.status), "only a held bed can be released");
  return store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(PutHoldReleased(store, b.id, t.today));
    if (b.held_for_referral_id.empty())
      return store.AppendAudit("release", "bed", b.id, fmt::format("bed {} hold released", b.id));
    return AuditCase(store, "release", b.held_for_referral_id, t,
                     fmt::format("hold on {} released", BedWords(store, b)));
  });
}

// --- offers ----------------------------------------------------------------------------------------------

Result<std::vector<std::string>> SendOffers(Store& store, const MatchSettings& s, const Geography* geo,
                                            const std::string& referral_id,
                                            const std::vector<OfferTarget>& targets, const WorkflowTime& t) {
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, referral_id));
  if (r.status != ReferralStatus::kNew && r.status != ReferralStatus::kSourcing &&
      r.status != ReferralStatus::kOffered) {
    return Refuse("send offers", "referral " + r.id, ToString(r.status),
                  "only new, sourcing or offered referrals can be offered");
  }
  if (targets.empty()) return BadInput("name at least one provider to offer to");
  BERTH_ASSIGN_OR_RETURN(auto existing, LoadOffersForReferral(store.db(), r.id));
  std::vector<Offer> offers;
  std::vector<Provider> to;
  for (const OfferTarget& target : targets) {
    BERTH_ASSIGN_OR_RETURN(Provider p, LoadProvider(store.db(), target.provider_id));
    for (const Offer& o : existing) {
      if (o.provider_id == p.id && o.status == OfferStatus::kPending) {
        return ConflictError(
            fmt::format("provider {} already has a pending offer ({}) for referral {}", p.id, o.id, r.id));
      }
    }
    for (const Offer& o : offers) {
      if (o.provider_id == p.id) return BadInput("provider " + p.id + " is named twice");
    }
    Offer o;
    o.id = NewUuidV7(&store.env());
    o.referral_id = r.id;
    o.provider_id = p.id;
    if (!target.bed_id.empty()) {
      BERTH_ASSIGN_OR_RETURN(Bed b, LoadBed(store.db(), target.bed_id));
      if (b.provider_id != p.id) return BadInput("bed " + b.id + " does not belong to provider " + p.id);
      o.bed_id = b.id;
      o.weekly_cost_pence = b.weekly_rate_pence;
    }
    o.sent_at = t.now_iso;
    const bool urgent = r.priority != Priority::kRoutine;
    o.respond_by = AddHours(t.now_iso, urgent ? s.urgent_offer_response_hours : s.offer_response_hours);
    o.status = OfferStatus::kPending;
    o.note = OfferPackage(r, geo, t.today).dump();
    offers.push_back(std::move(o));
    to.push_back(std::move(p));
  }
  std::vector<std::string> ids;
  const Status tx = store.db().Transaction([&]() -> Status {
    for (const Offer& o : offers) {
      BERTH_RETURN_IF_ERROR(Save(store, o));
      ids.push_back(o.id);
    }
    BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"status", std::string("offered")}}));
    return AuditCase(store, "offer", r.id, t,
                     fmt::format("{}, answer by {}{}", OfferSentWords(to),
                                 CaseTime(offers.front().respond_by), StatusChange(r.status, "offered")));
  });
  if (!tx.ok()) return tx;
  return ids;
}

Status AcceptOffer(Store& store, const std::string& offer_id, const WorkflowTime& t) {
  BERTH_ASSIGN_OR_RETURN(Offer o, LoadOffer(store.db(), offer_id));
  if (o.status != OfferStatus::kPending) {
    return Refuse("accept", "offer " + o.id, ToString(o.status), "only a pending offer can be accepted");
  }
  if (!o.respond_by.empty() && o.respond_by < t.now_iso) {
    return ConflictError(fmt::format("cannot accept: offer {} expired at {}", o.id, o.respond_by));
  }
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, o.referral_id));
  if (r.status != ReferralStatus::kOffered) {
    return Refuse("accept an offer", "referral " + r.id, ToString(r.status),
                  "an offer can be accepted only while the referral is offered");
  }
  return store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(
        Put(store, "offer", o.id, {{"status", std::string("accepted")}, {"answered_at", t.now_iso}}));
    BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"status", std::string("accepted")}}));
    return AuditCase(
        store, "accept", r.id, t,
        AnswerWords(ProviderName(store, o.provider_id), OfferStatus::kAccepted, DeclineReason::kNone) +
            StatusChange(r.status, "accepted"));
  });
}

Status DeclineOffer(Store& store, const std::string& offer_id, DeclineReason reason, const std::string& note,
                    const WorkflowTime& t) {
  if (reason == DeclineReason::kNone) return BadInput("a decline needs a reason code");
  if (note.size() > 500) return BadInput("the note is longer than 500 characters");
  BERTH_ASSIGN_OR_RETURN(Offer o, LoadOffer(store.db(), offer_id));
  if (o.status != OfferStatus::kPending) {
    return Refuse("decline", "offer " + o.id, ToString(o.status), "only a pending offer can be declined");
  }
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, o.referral_id));
  BERTH_ASSIGN_OR_RETURN(auto offers, LoadOffersForReferral(store.db(), r.id));
  bool others_live = false;
  for (const Offer& other : offers) {
    if (other.id != o.id && (other.status == OfferStatus::kPending || other.status == OfferStatus::kAccepted))
      others_live = true;
  }
  return store.db().Transaction([&]() -> Status {
    Fields f = {{"status", std::string("declined")},
                {"decline_reason", std::string(ToString(reason))},
                {"answered_at", t.now_iso}};
    if (!note.empty()) f["note"] = note;
    BERTH_RETURN_IF_ERROR(Put(store, "offer", o.id, std::move(f)));
    const bool back = !others_live && r.status == ReferralStatus::kOffered;
    if (back) BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"status", std::string("sourcing")}}));
    return AuditCase(store, "decline", r.id, t,
                     AnswerWords(ProviderName(store, o.provider_id), OfferStatus::kDeclined, reason) +
                         (back ? StatusChange(r.status, "sourcing") : ""));
  });
}

Status WithdrawOffer(Store& store, const std::string& offer_id, const WorkflowTime& t) {
  if (offer_id.empty()) return BadInput("an offer id is required");
  BERTH_ASSIGN_OR_RETURN(Offer o, LoadOffer(store.db(), offer_id));
  if (o.status != OfferStatus::kPending && o.status != OfferStatus::kAccepted) {
    return Refuse("withdraw", "offer " + o.id, ToString(o.status),
                  "only a pending or accepted offer can be withdrawn");
  }
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, o.referral_id));
  if (!IsOpen(r.status)) {
    return Refuse("withdraw an offer", "referral " + r.id, ToString(r.status),
                  "a placed or cancelled referral's offers are already settled");
  }
  BERTH_ASSIGN_OR_RETURN(auto offers, LoadOffersForReferral(store.db(), r.id));
  bool accepted_left = false, pending_left = false;
  for (const Offer& other : offers) {
    if (other.id == o.id) continue;
    accepted_left = accepted_left || other.status == OfferStatus::kAccepted;
    pending_left = pending_left || other.status == OfferStatus::kPending;
  }
  // The referral stands where its remaining offers put it.
  const std::string to = accepted_left                      ? "accepted"
                         : pending_left                     ? "offered"
                         : r.status == ReferralStatus::kNew ? "new"
                                                            : "sourcing";
  return store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(Put(store, "offer", o.id, {{"status", std::string("withdrawn")}}));
    if (to != ToString(r.status)) BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"status", to}}));
    return AuditCase(
        store, "withdraw", r.id, t,
        AnswerWords(ProviderName(store, o.provider_id), OfferStatus::kWithdrawn, DeclineReason::kNone) +
            StatusChange(r.status, to));
  });
}

// --- placements ------------------------------------------------------------------------------------------

Result<std::string> ConfirmBed(Store& store, const std::string& referral_id, const std::string& bed_id,
                               const PlacementTerms& terms, const WorkflowTime& t) {
  BERTH_RETURN_IF_ERROR(CheckTerms(terms));
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, referral_id));
  if (!IsOpen(r.status)) {
    return Refuse("confirm a placement", "referral " + r.id, ToString(r.status),
                  "only new, sourcing, offered or accepted referrals can be placed");
  }
  if (!r.category) return BadInput("referral " + r.id + " needs homecare, not a bed");
  BERTH_ASSIGN_OR_RETURN(Bed b, LoadBed(store.db(), bed_id));
  const bool hold_live = b.status == BedStatus::kHeld && (b.held_until.empty() || b.held_until > t.now_iso);
  if (hold_live && b.held_for_referral_id != r.id) {
    return ConflictError(
        fmt::format("cannot confirm bed {}: it is held for another referral until {}", b.id, b.held_until));
  }
  if (b.status == BedStatus::kUnavailable)
    return Refuse("confirm", "bed " + b.id, "unavailable", "a bed out of use cannot be placed in");
  BERTH_ASSIGN_OR_RETURN(std::vector<Placement> on_bed, LoadPlacementsOfBed(store.db(), b.id));
  for (const Placement& p : on_bed) {
    if (TakesAnyOf(p, terms.start_date, terms.end_date)) {
      return ConflictError(fmt::format("cannot confirm bed {} from {}: placement {} takes it {}", b.id,
                                       terms.start_date, p.id, Days(p)));
    }
  }
  if (b.status == BedStatus::kOccupied) {
    // Occupied by a placement in Berth (whose days were checked above), or reported occupied by the home
    // with no end known: then nobody can say from when it is free.
    bool explained = false;
    for (const Placement& p : on_bed) {
      explained =
          explained ||
          (Takes(p) && (b.status_since.empty() || RangeCoversDay(p.start_date, p.end_date, b.status_since)));
    }
    if (!explained) {
      return Refuse("confirm", "bed " + b.id, "occupied",
                    "the home reports it occupied and no placement in Berth says until when");
    }
  }
  BERTH_ASSIGN_OR_RETURN(auto accepted, AcceptedOffer(store, r.id, b.provider_id, b.id));
  BERTH_RETURN_IF_ERROR(NeedAcceptance(accepted, terms, r.id, b.provider_id));
  Placement p;
  p.id = NewUuidV7(&store.env());
  p.referral_id = r.id;
  p.provider_id = b.provider_id;
  p.kind = PlacementKind::kCareHome;
  p.bed_id = b.id;
  p.start_date = terms.start_date;
  p.end_date = terms.end_date;
  p.weekly_cost_pence = b.weekly_rate_pence;
  p.funding = r.funding;
  p.status = terms.start_date > t.today ? PlacementStatus::kPlanned : PlacementStatus::kActive;
  p.override_reason = accepted ? "" : terms.override_reason;
  const Status tx = store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(Put(store, "placement", p.id, ToFields(p), MutationKind::kClaim, "bed_confirm"));
    if (p.status == PlacementStatus::kActive) {
      BERTH_RETURN_IF_ERROR(Put(store, "bed", b.id,
                                {{"status", std::string("occupied")},
                                 {"held_for_referral_id", std::string()},
                                 {"held_until", std::string()},
                                 {"status_since", terms.start_date}}));
    } else if (b.status == BedStatus::kHeld) {
      // The placement takes the bed from its first day; the hold for it is done with.
      BERTH_RETURN_IF_ERROR(PutHoldReleased(store, b.id, t.today));
    }
    BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"status", std::string("placed")}}));
    BERTH_RETURN_IF_ERROR(ReleaseOtherHolds(store, r.id, b.id, t));
    BERTH_RETURN_IF_ERROR(WithdrawOthers(store, r.id, b.provider_id));
    BERTH_RETURN_IF_ERROR(CloseHandbacks(store, r.id));
    return AuditCase(store, "confirm", r.id, t,
                     fmt::format("placed in {} {}, {}{}", BedWords(store, b), Days(p),
                                 ConfirmDetail(accepted), StatusChange(r.status, "placed")));
  });
  if (!tx.ok()) return tx;
  return p.id;
}

Result<std::vector<std::string>> ConfirmHomecare(Store& store, const MatchContext& ctx,
                                                 const std::string& referral_id,
                                                 const std::string& provider_id, const PlacementTerms& terms,
                                                 const WorkflowTime& t) {
  BERTH_RETURN_IF_ERROR(CheckTerms(terms));
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, referral_id));
  if (!IsOpen(r.status)) {
    return Refuse("confirm a placement", "referral " + r.id, ToString(r.status),
                  "only new, sourcing, offered or accepted referrals can be placed");
  }
  if (r.homecare.empty()) return BadInput("referral " + r.id + " has no homecare pattern");
  BERTH_ASSIGN_OR_RETURN(Provider agency, LoadProvider(store.db(), provider_id));
  BERTH_ASSIGN_OR_RETURN(auto accepted, AcceptedOffer(store, r.id, agency.id, ""));
  BERTH_RETURN_IF_ERROR(NeedAcceptance(accepted, terms, r.id, agency.id));
  MatchContext c = ctx;
  c.keep_exclusions = true;
  c.needed_from = terms.start_date;  // the hours must be free from the first day of care
  const MatchResult m = Match(c, r);
  const Candidate* chosen = nullptr;
  for (const Candidate& cand : m.candidates) {
    if (cand.kind == CandidateKind::kHomecare && c.index->providers()[cand.provider].id == provider_id) {
      chosen = &cand;
      break;
    }
  }
  if (!chosen) {
    for (const Exclusion& e : m.excluded) {
      if (e.kind == CandidateKind::kHomecare && c.index->providers()[e.provider].id == provider_id) {
        return ConflictError(fmt::format("cannot allocate homecare from {}: {} ({})", provider_id,
                                         RuleCode(e.rule), ReasonSentence(c, m.needs, e)));
      }
    }
    return NotFound("provider " + provider_id + " has no homecare capacity in the person's zone");
  }
  std::vector<std::string> ids;
  const Status tx = store.db().Transaction([&]() -> Status {
    for (const HomecareBandUse& u : chosen->bands) {
      const CapacitySlot& cs = c.index->capacity()[u.capacity];
      Placement p;
      p.id = NewUuidV7(&store.env());
      p.referral_id = r.id;
      p.provider_id = provider_id;
      p.kind = PlacementKind::kHomecare;
      p.homecare_capacity_id = cs.id;
      p.hours_per_week = u.hours;
      p.start_date = terms.start_date;
      p.end_date = terms.end_date;
      p.weekly_cost_pence = std::llround(u.hours * static_cast<double>(cs.hourly_rate_pence));
      p.funding = r.funding;
      p.status = terms.start_date > t.today ? PlacementStatus::kPlanned : PlacementStatus::kActive;
      p.override_reason = accepted ? "" : terms.override_reason;
      BERTH_RETURN_IF_ERROR(
          Put(store, "placement", p.id, ToFields(p), MutationKind::kClaim, "homecare_allocate"));
      ids.push_back(p.id);
    }
    BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"status", std::string("placed")}}));
    BERTH_RETURN_IF_ERROR(ReleaseOtherHolds(store, r.id, "", t));
    BERTH_RETURN_IF_ERROR(WithdrawOthers(store, r.id, provider_id));
    BERTH_RETURN_IF_ERROR(CloseHandbacks(store, r.id));
    return AuditCase(store, "confirm", r.id, t,
                     fmt::format("homecare from {} in {} from {}{} ({} time bands), {}{}", agency.name,
                                 c.index->zones()[chosen->zone].name, terms.start_date,
                                 terms.end_date.empty() ? "" : " until " + terms.end_date, ids.size(),
                                 ConfirmDetail(accepted), StatusChange(r.status, "placed")));
  });
  if (!tx.ok()) return tx;
  return ids;
}

Result<std::vector<Placement>> PlacementsOf(Store& store, const std::string& referral_id) {
  return LoadPlacementsOfReferral(store.db(), referral_id);
}

Result<std::string> HandBack(Store& store, const std::string& placement_id, HandbackReason reason,
                             const std::string& end_date, const WorkflowTime& t) {
  if (reason == HandbackReason::kNone) return BadInput("a hand back needs a reason code");
  if (!IsIsoDate(end_date))
    return BadInput("the last day of care must be YYYY-MM-DD (got '" + end_date.substr(0, 20) + "')");
  if (end_date < t.today) {
    return BadInput(fmt::format("the last day of care ({}) is before today ({}), the day notice is given",
                                end_date, t.today));
  }
  if (placement_id.empty()) return BadInput("a placement id is required");
  BERTH_ASSIGN_OR_RETURN(Placement p, LoadPlacement(store.db(), placement_id));
  if (!Live(p)) {
    return Refuse("hand back", "placement " + p.id, ToString(p.status),
                  "only a planned or active placement can be handed back");
  }
  if (!p.end_date.empty() && end_date > p.end_date) {
    return BadInput(
        fmt::format("placement {} already ends on {}; a hand back cannot extend it", p.id, p.end_date));
  }
  // A homecare package (one placement per time band) is handed back whole.
  std::vector<Placement> package = {p};
  if (p.kind == PlacementKind::kHomecare && !p.referral_id.empty()) {
    BERTH_ASSIGN_OR_RETURN(auto all, LoadPlacementsOfReferral(store.db(), p.referral_id));
    for (const Placement& other : all) {
      if (other.id != p.id && other.kind == PlacementKind::kHomecare && other.provider_id == p.provider_id &&
          Live(other) && (other.end_date.empty() || other.end_date >= end_date)) {
        package.push_back(other);
      }
    }
  }
  Handback hb;
  hb.id = NewUuidV7(&store.env());
  hb.placement_id = p.id;
  hb.referral_id = p.referral_id;
  hb.provider_id = p.provider_id;
  hb.notice_date = t.today;
  hb.end_date = end_date;
  for (const Placement& x : package) hb.hours_per_week += x.hours_per_week;
  hb.reason = reason;
  hb.status = HandbackStatus::kOpen;
  std::optional<Referral> r;
  if (!p.referral_id.empty()) {
    auto loaded = LoadReferral(store.db(), p.referral_id);
    if (loaded.ok()) {
      r = *loaded;
    } else if (loaded.status().code() != Code::kNotFound) {
      return loaded.status();
    }
  }
  const Status tx = store.db().Transaction([&]() -> Status {
    for (const Placement& x : package) {
      BERTH_RETURN_IF_ERROR(
          Put(store, "placement", x.id, {{"status", std::string("handed_back")}, {"end_date", end_date}}));
    }
    BERTH_RETURN_IF_ERROR(Save(store, hb));
    // The person goes back in the queue, first, as soon as notice is given: care continues meanwhile.
    std::string status_change;
    if (r && (r->status == ReferralStatus::kPlaced || IsOpen(r->status))) {
      if (r->status == ReferralStatus::kPlaced) status_change = StatusChange(r->status, "sourcing");
      BERTH_RETURN_IF_ERROR(Put(
          store, "referral", r->id,
          {{"status", std::string(r->status == ReferralStatus::kPlaced ? "sourcing" : ToString(r->status))},
           {"priority", std::string("hand_back")}}));
    }
    const std::string words = fmt::format(
        "{} handed back by {} ({}): notice {}, last day of care {}{}{}",
        package.size() > 1 ? "package" : "placement", ProviderName(store, p.provider_id), ToString(reason),
        t.today, end_date,
        package.size() > 1
            ? fmt::format(" ({} time bands, {:g} hours a week)", package.size(), hb.hours_per_week)
            : "",
        status_change);
    if (p.referral_id.empty()) return store.AppendAudit("handback", "placement", p.id, words);
    return AuditCase(store, "handback", p.referral_id, t, words);
  });
  if (!tx.ok()) return tx;
  return hb.id;
}

Result<std::string> HandBackReferral(Store& store, const std::string& referral_id, HandbackReason reason,
                                     const std::string& end_date, const WorkflowTime& t) {
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, referral_id));
  BERTH_ASSIGN_OR_RETURN(auto placements, LoadPlacementsOfReferral(store.db(), r.id));
  std::vector<const Placement*> live;
  std::set<std::string> providers;
  for (const Placement& p : placements) {
    if (!Live(p)) continue;
    live.push_back(&p);
    providers.insert(p.provider_id);
  }
  if (live.empty()) {
    return Refuse("hand back", "referral " + r.id, ToString(r.status),
                  "it has no planned or active placement");
  }
  if (providers.size() > 1) {
    std::string ids;
    for (const Placement* p : live) ids += (ids.empty() ? "" : ", ") + p->id;
    return BadInput("referral " + r.id + " has placements with several providers; name the placement (" +
                    ids + ")");
  }
  return HandBack(store, live.front()->id, reason, end_date, t);
}

// --- time passing ----------------------------------------------------------------------------------------

Result<ExpiryReport> ExpireLapsed(Store& store, const WorkflowTime& t) {
  ExpiryReport out;
  Db& db = store.db();
  BERTH_ASSIGN_OR_RETURN(auto beds, Ids(db,
                                        "SELECT id FROM bed WHERE deleted = 0 AND status = 'held'"
                                        " AND held_until != '' AND held_until <= ? ORDER BY id",
                                        {t.now_iso}));
  BERTH_ASSIGN_OR_RETURN(auto offers, Ids(db,
                                          "SELECT id FROM offer WHERE deleted = 0 AND status = 'pending'"
                                          " AND respond_by != '' AND respond_by < ? ORDER BY id",
                                          {t.now_iso}));
  for (const auto& b : beds) {
    BERTH_RETURN_IF_ERROR(ReleaseBed(store, b, t));
    ++out.holds_released;
  }
  BERTH_RETURN_IF_ERROR(MarkEach(store, "offer", offers, "expired", "expire", "no answer by the deadline",
                                 &out.offers_expired));
  // Placements whose first day has come.
  BERTH_ASSIGN_OR_RETURN(auto starting,
                         Ids(db,
                             "SELECT id FROM placement WHERE deleted = 0 AND status = 'planned'"
                             " AND start_date <= ? ORDER BY start_date, id",
                             {t.today}));
  for (const auto& id : starting) {
    BERTH_ASSIGN_OR_RETURN(Placement p, LoadPlacement(db, id));
    const Status tx = store.db().Transaction([&]() -> Status {
      BERTH_RETURN_IF_ERROR(Put(store, "placement", p.id, {{"status", std::string("active")}}));
      if (!p.bed_id.empty() && RangeCoversDay(p.start_date, p.end_date, t.today)) {
        BERTH_ASSIGN_OR_RETURN(Bed b, LoadBed(db, p.bed_id));
        if (b.status != BedStatus::kOccupied) {
          BERTH_RETURN_IF_ERROR(Put(store, "bed", b.id,
                                    {{"status", std::string("occupied")},
                                     {"held_for_referral_id", std::string()},
                                     {"held_until", std::string()},
                                     {"status_since", p.start_date}}));
        }
      }
      return store.AppendAudit("start", "placement", p.id, "first day of care " + p.start_date);
    });
    if (!tx.ok()) return tx;
    ++out.placements_started;
  }
  // Placements past their last day end; a bed nobody takes today is vacant from the day after.
  BERTH_ASSIGN_OR_RETURN(auto ending, Ids(db,
                                          "SELECT id FROM placement WHERE deleted = 0 AND end_date <> ''"
                                          " AND end_date < ? AND (status = 'planned' OR status = 'active')"
                                          " ORDER BY end_date, id",
                                          {t.today}));
  BERTH_RETURN_IF_ERROR(
      MarkEach(store, "placement", ending, "ended", "end", "care ended", &out.placements_ended));
  BERTH_ASSIGN_OR_RETURN(
      auto freed,
      Ids(db,
          "SELECT b.id FROM bed b WHERE b.deleted = 0 AND b.status = 'occupied' AND EXISTS (SELECT 1 FROM"
          " placement p WHERE p.bed_id = b.id AND p.deleted = 0 AND p.end_date <> '' AND p.end_date < ?1)"
          " AND NOT EXISTS (SELECT 1 FROM placement WHERE placement.bed_id = b.id AND " +
              PlacementTakesSql("?1", "?1") + ") ORDER BY b.id",
          {t.today}));
  for (const auto& id : freed) {
    BERTH_ASSIGN_OR_RETURN(auto on_bed, LoadPlacementsOfBed(db, id));
    std::string last;
    for (const Placement& p : on_bed) {
      if (Takes(p) && p.end_date < t.today) last = std::max(last, p.end_date);
    }
    // Only a bed whose occupation came from a placement that has now ended.
    BERTH_ASSIGN_OR_RETURN(Bed b, LoadBed(db, id));
    if (last.empty() || (!b.status_since.empty() && b.status_since > last)) continue;
    const Status tx = store.db().Transaction([&]() -> Status {
      BERTH_RETURN_IF_ERROR(
          Put(store, "bed", id, {{"status", std::string("vacant")}, {"status_since", DayAfter(last)}}));
      return store.AppendAudit("bed_status", "bed", id, "vacant from " + DayAfter(last) + ": care ended");
    });
    if (!tx.ok()) return tx;
  }
  return out;
}

}  // namespace berth::core

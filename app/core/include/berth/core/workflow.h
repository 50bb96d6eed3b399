// The one domain API every writer uses: the CLI, every panel of the window, the demo and the importers.
// Each function below is a transition of the placement workflow (app/core/MATCHING.md, "Workflow", has the
// state diagram). Each checks the current state (an illegal transition is kConflict naming the state and
// what is allowed; bad input is kBadInput; in both cases nothing is written), writes its change through
// Store::Write in one transaction (so it reaches the outbox and syncs), and appends an audit entry on the
// record it is about. Time is part of the state: each takes the moment it happens (WorkflowTime), never
// the clock.
//
// Claims on scarce capacity are the hub's claim mutations (sync/PROTOCOL.md section 7):
//   hold     -> bed_hold on `bed` (status held, held_for_referral_id, held_until)
//   release  -> release on `bed` (status vacant, held_for_referral_id '')
//   confirm  -> bed_confirm on a new `placement` with its dates (then the bed occupied from the first day:
//               the placement goes first, as the hub requires), or one homecare_allocate per time band
// A placement takes its bed or hours for the days it covers (berth/schema/occupancy.h): a hand back sets
// its last day of care, and the bed or hours are supply from the day after.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/scoring.h"
#include "berth/schema/model.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth::core {

// The moment a transition happens at (tests fix it; the CLI and the window take the clock once, here).
struct WorkflowTime {
  std::string today;                                           // 'YYYY-MM-DD'
  std::string now_iso;                                         // 'YYYY-MM-DDTHH:MM:SSZ'
  static WorkflowTime Now(Env* env = nullptr);                 // `env`'s clock (null: Env::Default())
  static Result<WorkflowTime> At(const std::string& now_iso);  // kBadInput unless 'YYYY-MM-DDTHH:MM:SSZ'
};

// An instant `hours` after `iso` (ISO 'YYYY-MM-DDTHH:MM:SSZ').
std::string AddHours(const std::string& iso, double hours);

// The anonymised package sent to providers: needs, care category, homecare pattern, area (outward code
// and zone), start date, gender and age band, infection status and funding route. Never the name, NHS
// number, date of birth, full postcode or notes.
nlohmann::json OfferPackage(const Referral& r, const Geography* geo, const std::string& today);

// --- referrals -----------------------------------------------------------------------------------------
// Creates (empty id: a new UUID) or edits a referral after ReferralProblems (referrals.h) finds nothing;
// kBadInput listing every problem otherwise. The workflow owns the status and the hand-back priority: a
// new referral starts `new` and not `hand_back`, and an edit that changes either, or the cancel reason, is
// kConflict (they change only through the transitions below). An edit writes only the fields that changed;
// a changed discharge-ready date also gets its history row (ChangeDischargeReadyDate). Returns the id.
Result<std::string> SaveReferral(Store& store, const Geography* geo, Referral r, const WorkflowTime& t);
// The same for several referrals, all or nothing (the referral import).
Result<std::vector<std::string>> SaveReferrals(Store& store, const Geography* geo, std::vector<Referral> rs,
                                               const WorkflowTime& t);

// --- a referral's life --------------------------------------------------------------------------------
// Closes an open referral that needs no placement any more (died, readmitted, went home without support,
// arranged their own care...): status cancelled with the coded reason, its bed holds released, its pending
// and accepted offers withdrawn. It leaves the queue. A placed referral is not cancelled (its care ends
// through its placement).
Status CancelReferral(Store& store, const std::string& referral_id, CancelReason reason,
                      const WorkflowTime& t);
// Brings a cancelled referral back into the queue: sourcing if a broker has it, else new; the cancel
// reason is cleared (the audit trail keeps it).
Status ReopenReferral(Store& store, const std::string& referral_id, const WorkflowTime& t);
// The ward changes an open referral's discharge-ready date: the referral takes the new date and a history
// row keeps who changed it, when, the old date and the new (SaveReferral records one the same way).
Status ChangeDischargeReadyDate(Store& store, const std::string& referral_id, const std::string& new_date,
                                const std::string& note, const WorkflowTime& t);
// Records why an open referral's discharge is delayed (the NHS DToC reason code; kNone clears it).
Status SetDelayReason(Store& store, const std::string& referral_id, DelayReason reason,
                      const WorkflowTime& t);

// --- beds and admissions -------------------------------------------------------------------------------
// What a home reports about a bed: vacant, occupied (by someone placed outside Berth) or unavailable
// (with a reason). Holds are made and cleared only by HoldBed / ReleaseBed, placements only by ConfirmBed
// and hand backs, so a held bed, or one a placement takes today, is refused here.
Status SetBedStatus(Store& store, const std::string& bed_id, BedStatus to, UnavailableReason reason,
                    const WorkflowTime& t);
// What a homecare agency reports for one zone and time band: its free carer hours per week (0 to 1000, a
// whole or half hour) and whether it can staff two-carer calls. A synced, audited change of the capacity
// row; kNotFound for an unknown row, kBadInput out of range, kConflict when nothing changes.
Status SetHomecareHours(Store& store, const std::string& capacity_id, double hours_per_week, bool double_up);
// Opens or closes a provider to admissions, for one bed category or (unset) all. Closing needs a reason.
Status SetAdmissions(Store& store, const std::string& provider_id, std::optional<BedCategory> category,
                     AdmissionsStatus to, ClosureReason reason, const std::string& note,
                     const WorkflowTime& t);

struct HoldResult {
  std::string held_until;
};
Result<HoldResult> HoldBed(Store& store, const MatchSettings& s, const std::string& referral_id,
                           const std::string& bed_id, const WorkflowTime& t);
Status ReleaseBed(Store& store, const std::string& bed_id, const WorkflowTime& t);

struct OfferTarget {
  std::string provider_id;
  std::string bed_id;  // optional: a particular bed
};
// One offer per provider, each with a response deadline (urgent and hand-back referrals get the shorter
// window). Returns the offer ids in the order given.
Result<std::vector<std::string>> SendOffers(Store& store, const MatchSettings& s, const Geography* geo,
                                            const std::string& referral_id,
                                            const std::vector<OfferTarget>& targets, const WorkflowTime& t);
Status AcceptOffer(Store& store, const std::string& offer_id, const WorkflowTime& t);
Status DeclineOffer(Store& store, const std::string& offer_id, DeclineReason reason, const std::string& note,
                    const WorkflowTime& t);
// The broker takes an offer back (the person will go elsewhere, the package changed): a pending or accepted
// offer of an open referral is withdrawn, and the referral stands where its other offers put it (accepted
// if another accepted, offered if one is pending, else sourcing).
Status WithdrawOffer(Store& store, const std::string& offer_id, const WorkflowTime& t);

// The terms of a placement being confirmed.
struct PlacementTerms {
  std::string start_date;  // the first day of care (YYYY-MM-DD)
  std::string end_date;    // the last day of a time-limited stay (respite, short stay); '' open-ended
  // A placement needs the provider's acceptance (an accepted offer). One arranged outside Berth (by
  // phone, by the family) is confirmed with the broker's reason here instead; the reason is kept on the
  // placement and the override is audited.
  std::string override_reason;
};

// Confirms a bed: a placement for the days of `terms` (bed_confirm claim), the bed occupied from its first
// day, the referral placed, its holds on other beds released, other live offers withdrawn, an open hand
// back marked re-brokered. Refused when
// another placement takes any of those days (so a new placement may start the day after the last day of
// care of one handed back, not before), when the bed is held for someone else or out of use, and when the
// bed's provider has not accepted and no override reason is given. Returns the placement id.
Result<std::string> ConfirmBed(Store& store, const std::string& referral_id, const std::string& bed_id,
                               const PlacementTerms& terms, const WorkflowTime& t);
// Confirms homecare with one agency in the person's zone: the hours for each band come from the capacity
// rows the matcher picks (index, settings and geography as for `berth match`, as of the start date); the
// option must pass every hard rule and the agency must have accepted (or an override). Returns the
// placement ids (one per band: together they are the package).
Result<std::vector<std::string>> ConfirmHomecare(Store& store, const MatchContext& ctx,
                                                 const std::string& referral_id,
                                                 const std::string& provider_id, const PlacementTerms& terms,
                                                 const WorkflowTime& t);

// A provider hands a placement back with notice: care continues until `end_date` (the last day of care,
// today or later), when the placement ends (handed_back); the bed or the hours are supply from the day
// after. A homecare placement is one band of a package: the whole package (every placement of that agency
// for that person) is handed back together. A hand-back record is made (notice today, last day, hours or
// bed, reason), the referral re-opens at the top of the queue ranked by the day care ends, and the
// handing-back provider is no longer proposed for that person. Returns the hand back's id.
Result<std::string> HandBack(Store& store, const std::string& placement_id, HandbackReason reason,
                             const std::string& end_date, const WorkflowTime& t);
// The same, naming the referral: its one placed package (kBadInput when it has none, or several from
// different providers: then name the placement).
Result<std::string> HandBackReferral(Store& store, const std::string& referral_id, HandbackReason reason,
                                     const std::string& end_date, const WorkflowTime& t);

// The placements of a referral, first day first (what `referral show` lists, with their ids).
Result<std::vector<Placement>> PlacementsOf(Store& store, const std::string& referral_id);

// Housekeeping as time passes (run by `berth expire`, the window on open, and after a day passes): lapsed
// holds released, pending offers past their deadline marked expired, planned placements whose first day
// has come made active (their bed occupied), and placements past their last day ended (their bed vacant
// from the day after, unless another placement takes it). Counts.
struct ExpiryReport {
  int holds_released = 0;
  int offers_expired = 0;
  int placements_started = 0;
  int placements_ended = 0;
};
Result<ExpiryReport> ExpireLapsed(Store& store, const WorkflowTime& t);

}  // namespace berth::core

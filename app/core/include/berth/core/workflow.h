// The referral workflow: hold a bed, offer the package to providers, record their answers, confirm a
// placement, release a hold, take a hand back. Every transition is checked against the current state
// (an illegal one is kConflict naming the state and what is allowed, and nothing is written), written
// through Store::Write in one transaction (so it reaches the outbox and syncs), and audited.
//
// Claims on scarce capacity are the hub's claim mutations (sync/PROTOCOL.md section 7):
//   hold     -> bed_hold on `bed` (status held, held_for_referral_id, held_until)
//   release  -> release on `bed` (status vacant, held_for_referral_id '')
//   confirm  -> bed_confirm on a new `placement` (then bed occupied: the placement goes first, as the hub
//               requires), or one homecare_allocate per time band (placement rows with their hours)
// The referral's status follows: new -> sourcing (hold) -> offered (offer) -> accepted (accept) -> placed
// (confirm); a hand back returns it to sourcing with priority hand_back (the top of the queue).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/scoring.h"
#include "berth/schema/model.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth::core {

// The moment a transition happens at (tests fix it; the CLI uses the clock).
struct WorkflowTime {
  std::string today;    // 'YYYY-MM-DD'
  std::string now_iso;  // 'YYYY-MM-DDTHH:MM:SSZ'
  static WorkflowTime Now();
  static Result<WorkflowTime> At(const std::string& now_iso);  // kBadInput unless 'YYYY-MM-DDTHH:MM:SSZ'
};

// An instant `hours` after `iso` (ISO 'YYYY-MM-DDTHH:MM:SSZ').
std::string AddHours(const std::string& iso, double hours);

// The anonymised package sent to providers: needs, care category, homecare pattern, area (outward code
// and zone), start date, gender and age band, infection status and funding route. Never the name, NHS
// number, date of birth, full postcode or notes.
nlohmann::json OfferPackage(const Referral& r, const Geography* geo, const std::string& today);

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

// Confirms a bed: a placement (bed_confirm claim), the bed occupied, the referral placed, other live offers
// withdrawn and an open hand back marked re-brokered. Returns the placement id.
Result<std::string> ConfirmBed(Store& store, const std::string& referral_id, const std::string& bed_id,
                               const std::string& start_date, const WorkflowTime& t);
// Confirms homecare with one agency in the person's zone: the hours for each band come from the capacity
// rows the matcher picks (index, settings and geography as for `berth match`); the option must pass every
// hard rule. Returns the placement ids (one per band).
Result<std::vector<std::string>> ConfirmHomecare(Store& store, const MatchContext& ctx,
                                                 const std::string& referral_id,
                                                 const std::string& provider_id,
                                                 const std::string& start_date, const WorkflowTime& t);

// A provider hands a placement back: the placement ends (handed_back) on end_date, a hand-back record is
// made, a bed goes back to vacant, and the referral re-opens at the top of the queue. Returns its id.
Result<std::string> HandBack(Store& store, const std::string& placement_id, HandbackReason reason,
                             const std::string& end_date, const WorkflowTime& t);

// Housekeeping: lapsed holds released, pending offers past their deadline marked expired. Counts.
struct ExpiryReport {
  int holds_released = 0;
  int offers_expired = 0;
};
Result<ExpiryReport> ExpireLapsed(Store& store, const WorkflowTime& t);

}  // namespace berth::core

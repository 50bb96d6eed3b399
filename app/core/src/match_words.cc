// The words and JSON of a match (match.h; MATCHING.md "Hard rules" and `berth match`): why each option was
// excluded in a sentence a broker can read out, ratings and distances in words, offer states, and `berth
// match`'s JSON and text. The rules themselves are in match.cc.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "berth/core/case_log.h"
#include "berth/core/match.h"
#include "berth/core/referrals.h"
#include "berth/schema/ids.h"

namespace berth::core {
namespace {

double Round2(double v) {
  return std::round(v * 100.0) / 100.0;
}

}  // namespace

std::string OfferStatusAt(OfferStatus status, const std::string& respond_by, const std::string& now_iso) {
  if (status == OfferStatus::kPending && !respond_by.empty() && respond_by < now_iso) return "expired";
  return std::string(ToString(status));
}

std::string OfferStatusAt(const OfferNote& o, const std::string& now_iso) {
  return OfferStatusAt(o.status, o.respond_by, now_iso);
}

std::string OverBudgetWords(const Candidate& c) {
  return fmt::format("GBP {:.2f} a week over the GBP {:.2f} budget",
                     static_cast<double>(c.over_budget_pence) / 100.0,
                     static_cast<double>(c.budget_limit_pence) / 100.0);
}

std::string_view RulePhrase(Rule rule) {
  switch (rule) {
    case Rule::kDeclined:
      return "declined them";
    case Rule::kHandedBack:
      return "handed their care back";
    case Rule::kCategory:
      return "not the kind of bed needed";
    case Rule::kRegistration:
      return "not registered for this care";
    case Rule::kSpecialism:
      return "without the specialism needed";
    case Rule::kAdmissionsClosed:
      return "closed to admissions";
    case Rule::kInfection:
      return "no isolation room";
    case Rule::kBariatric:
      return "no bariatric room";
    case Rule::kHoist:
      return "no hoist";
    case Rule::kGroundFloor:
      return "not on the ground floor";
    case Rule::kEnSuite:
      return "not en-suite";
    case Rule::kSingleSex:
      return "a single-sex unit for the other sex";
    case Rule::kNotAvailable:
      return "not free by the date needed";
    case Rule::kOverBudget:
      return "over the budget ceiling";
    case Rule::kTooFar:
      return "beyond the distance limit";
    case Rule::kDistanceUnknown:
      return "cannot be placed on the map";
    case Rule::kZone:
      return "agencies that do not cover the person's zone";
    case Rule::kBandHours:
      return "not enough hours in a time band";
    case Rule::kDoubleUp:
      return "no double-up carers";
    case Rule::kCarerGender:
      return "no carers of the gender asked for";
    case Rule::kHomecareStart:
      return "hours that start too late";
  }
  return "excluded";
}

std::string ReasonSentence(const MatchContext& ctx, const Needs& n, const Exclusion& e) {
  const SupplyIndex& ix = *ctx.index;
  const ProviderSlot& p = ix.providers()[e.provider];
  const BedSlot* b = e.bed == kNoSlot ? nullptr : &ix.beds()[e.bed];
  const std::string want(ToString(n.category));
  const std::string bedcat = b ? std::string(ToString(b->category)) : "";
  switch (e.rule) {
    case Rule::kDeclined:
      return fmt::format("{} declined this person's package{} ({}).",
                         e.kind == CandidateKind::kHomecare ? "The agency" : "The home",
                         e.on.empty() ? "" : " on " + e.on, ToString(e.decline_reason));
    case Rule::kHandedBack:
      return fmt::format("{} handed this person's care back{} ({}); it is not proposed to them again.",
                         e.kind == CandidateKind::kHomecare ? "The agency" : "The home",
                         e.on.empty() ? "" : " (notice " + e.on + ")", ToString(e.handback_reason));
    case Rule::kCategory:
      return fmt::format("The bed is {}; the person needs {}.", bedcat, want);
    case Rule::kRegistration:
      return fmt::format("The home is registered for {} care; a {} bed needs a registration that covers it.",
                         p.registration == Registration::kUnknown ? std::string("unknown")
                                                                  : std::string(ToString(p.registration)),
                         bedcat);
    case Rule::kSpecialism:
      return fmt::format("The home does not list the specialism that {} care and these needs call for.",
                         bedcat);
    case Rule::kAdmissionsClosed:
      return p.closed_all ? std::string("The provider is closed to all admissions.")
                          : fmt::format("The home is closed to {} admissions.", bedcat);
    case Rule::kInfection:
      return fmt::format(
          "The person's infection status is {}; they need an isolation room with en-suite, and "
          "this bed has none.",
          ToString(n.infection));
    case Rule::kBariatric:
      return "The person needs a bariatric bed; this room has none.";
    case Rule::kHoist:
      return "The person needs a hoist; this room has none.";
    case Rule::kGroundFloor:
      return "The person needs a ground-floor room; this one is not.";
    case Rule::kEnSuite:
      return "The person needs an en-suite room; this one is not.";
    case Rule::kSingleSex:
      return fmt::format("The bed is in a {}-only unit.", b ? ToString(b->features.single_sex_unit) : "");
    case Rule::kNotAvailable: {
      const std::string need = IsoDateFromDays(n.needed_day);
      if (!b) return "Not available by " + need + ".";
      switch (b->status) {
        case BedStatus::kUnavailable:
          return fmt::format("The bed is out of use ({}).", b->unavailable_reason == UnavailableReason::kNone
                                                                ? "no reason given"
                                                                : ToString(b->unavailable_reason));
        case BedStatus::kHeld:
          return b->held_until.empty()
                     ? "The bed is held for another referral with no end time."
                     : fmt::format("The bed is held for another referral until {}, after {}.", b->held_until,
                                   need);
        case BedStatus::kOccupied:
          if (!b->has_placements || b->free_from_day == kNoDay)
            return "The bed is occupied with no known vacancy date.";
          return fmt::format("The bed is occupied until {} (free from {}), after {}.",
                             IsoDateFromDays(b->free_from_day - 1), IsoDateFromDays(b->free_from_day), need);
        case BedStatus::kVacant:
          break;
      }
      if (b->has_placements) {
        return b->free_from_day == kNoDay
                   ? "A placement takes the bed with no end date."
                   : fmt::format("A placement takes the bed until {} (free from {}), after {}.",
                                 IsoDateFromDays(b->free_from_day - 1), IsoDateFromDays(b->free_from_day),
                                 need);
      }
      return "Not available by " + need + ".";
    }
    case Rule::kOverBudget:
      return fmt::format("The weekly cost GBP {:.2f} is above the GBP {:.2f} that {} funding allows.",
                         static_cast<double>(e.weekly_cost_pence) / 100.0,
                         static_cast<double>(e.limit_pence) / 100.0, ToString(n.funding));
    case Rule::kTooFar:
      return fmt::format("{:.1f} km from the preferred place; the limit is {:.0f} km.",
                         e.distance_km.value_or(0), n.max_km);
    case Rule::kDistanceUnknown:
      return fmt::format(
          "The provider's postcode cannot be placed, so the {:.0f} km limit cannot be checked.", n.max_km);
    case Rule::kZone:
      return fmt::format("The agency has no capacity in the person's zone ({}).",
                         e.zone == kNoSlot ? std::string("unknown") : ix.zones()[e.zone].name);
    case Rule::kBandHours:
      return n.homecare.bands.empty() ? std::string("The referral names no time bands for its calls.")
                                      : fmt::format("Not {:.2f} free hours a week in the {} band.",
                                                    n.hours_per_band, ToString(e.band));
    case Rule::kDoubleUp:
      return fmt::format("The agency cannot staff double-up calls in the {} band.", ToString(e.band));
    case Rule::kCarerGender:
      return fmt::format("No {} carers in the {} band.", ToString(n.homecare.carer_gender), ToString(e.band));
    case Rule::kHomecareStart:
      return fmt::format("The {} band's hours start after {}.", ToString(e.band),
                         IsoDateFromDays(n.needed_day));
  }
  return "Excluded.";
}

std::string_view RatingWords(CqcRating rating) {
  switch (rating) {
    case CqcRating::kUnrated:
      return "Not yet rated";
    case CqcRating::kOutstanding:
      return "Outstanding";
    case CqcRating::kGood:
      return "Good";
    case CqcRating::kRequiresImprovement:
      return "Requires improvement";
    case CqcRating::kInadequate:
      return "Inadequate";
    case CqcRating::kInspectedButNotRated:
      return "Inspected but not rated";
    case CqcRating::kInsufficientEvidence:
      return "Insufficient evidence to rate";
  }
  return "?";
}

std::string DistanceWords(const SupplyIndex& ix, const Candidate& c) {
  if (!c.distance_km) return "distance unknown";
  const ProviderSlot& p = ix.providers()[c.provider];
  const bool exact = p.position == PositionSource::kExact;
  if (c.kind == CandidateKind::kBed) {
    return fmt::format("{:.1f} km from the preferred place ({})", *c.distance_km,
                       exact ? "the home's own position" : "its postcode district's centre");
  }
  return fmt::format("the agency's base is {:.1f} km from the person ({})", *c.distance_km,
                     exact ? "its own position" : "its postcode district's centre");
}

nlohmann::json CandidateJson(const MatchContext& ctx, const Candidate& c) {
  const SupplyIndex& ix = *ctx.index;
  const ProviderSlot& p = ix.providers()[c.provider];
  nlohmann::json j;
  j["kind"] = KindCode(c.kind);
  j["provider_id"] = p.id;
  j["provider_name"] = p.name;
  if (c.kind == CandidateKind::kBed) {
    const BedSlot& b = ix.beds()[c.bed];
    j["bed_id"] = b.id;
    j["room"] = b.room;
    j["category"] = ToString(b.category);
    j["contract"] = ToString(b.contract);
    j["void"] = c.is_void;
  } else {
    j["zone"] = c.zone == kNoSlot ? "" : ix.zones()[c.zone].name;
    nlohmann::json bands = nlohmann::json::array();
    std::string contract;
    for (const auto& u : c.bands) {
      const CapacitySlot& cs = ix.capacity()[u.capacity];
      bands.push_back({{"band", ToString(u.band)}, {"hours", Round2(u.hours)}, {"capacity_id", cs.id}});
      const std::string k(ToString(cs.contract));
      contract = contract.empty() || contract == k ? k : "mixed";
    }
    j["bands"] = bands;
    j["category"] = "homecare";
    j["contract"] = contract;
    j["void"] = c.is_void;
  }
  j["distance_km"] = c.distance_km ? nlohmann::json(Round2(*c.distance_km)) : nlohmann::json(nullptr);
  j["position"] = p.position == PositionSource::kExact ? "exact" : "postcode_district";
  j["weekly_cost"] = static_cast<double>(c.weekly_cost_pence) / 100.0;
  j["weekly_cost_pence"] = c.weekly_cost_pence;
  j["available_from"] = IsoDateFromDays(c.available_day);
  j["score"] = c.score;
  j["components"] = {{"void", c.components.void_fill},    {"delay", c.components.delay},
                     {"distance", c.components.distance}, {"cost", c.components.cost},
                     {"cqc", c.components.cqc},           {"continuity", c.components.continuity},
                     {"budget", c.components.budget}};
  // Over budget is allowed (a soft rule), flagged with the amount so it can be approved.
  j["over_budget"] = c.over_budget_pence > 0
                         ? nlohmann::json{{"weekly_amount", static_cast<double>(c.over_budget_pence) / 100.0},
                                          {"weekly_amount_pence", c.over_budget_pence},
                                          {"weekly_limit", static_cast<double>(c.budget_limit_pence) / 100.0},
                                          {"words", OverBudgetWords(c)}}
                         : nlohmann::json(nullptr);
  return j;
}

nlohmann::json SettingsJson(const MatchSettings& s) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& info : DescribeSettings(s)) j[info.name] = info.value;
  return j;
}

nlohmann::json MatchJson(const MatchContext& ctx, const MatchResult& m, size_t limit) {
  const SupplyIndex& ix = *ctx.index;
  const Needs& n = m.needs;
  nlohmann::json j;
  j["referral_id"] = n.referral_id;
  j["date"] = ctx.today;
  j["date_needed"] = IsoDateFromDays(n.needed_day);
  j["days_past_discharge_ready"] = n.days_past;
  j["zone"] = n.zone == kNoSlot ? "" : ix.zones()[n.zone].name;
  j["candidate_count"] = m.candidates.size();
  nlohmann::json cands = nlohmann::json::array();
  for (size_t i = 0; i < m.candidates.size() && (limit == 0 || i < limit); ++i) {
    nlohmann::json c = CandidateJson(ctx, m.candidates[i]);
    c["rank"] = i + 1;
    cands.push_back(std::move(c));
  }
  j["candidates"] = std::move(cands);
  nlohmann::json ex = nlohmann::json::array();
  for (const Exclusion& e : m.excluded) {
    nlohmann::json x;
    x["kind"] = KindCode(e.kind);
    x["provider_id"] = ix.providers()[e.provider].id;
    x["provider_name"] = ix.providers()[e.provider].name;
    if (e.bed != kNoSlot) x["bed_id"] = ix.beds()[e.bed].id;
    if (e.kind == CandidateKind::kHomecare) x["zone"] = e.zone == kNoSlot ? "" : ix.zones()[e.zone].name;
    x["reason_code"] = RuleCode(e.rule);
    x["reason"] = ReasonSentence(ctx, n, e);
    if (e.rule == Rule::kDeclined) x["decline_reason"] = ToString(e.decline_reason);
    if (e.rule == Rule::kHandedBack) x["handback_reason"] = ToString(e.handback_reason);
    ex.push_back(std::move(x));
  }
  j["excluded"] = std::move(ex);
  nlohmann::json offers = nlohmann::json::array();
  if (const PersonNotes* notes = ix.Notes(n.referral_id)) {
    for (const OfferNote& o : notes->offers) {
      nlohmann::json x;
      x["offer_id"] = o.id;
      x["provider_id"] = o.provider == kNoSlot ? "" : ix.providers()[o.provider].id;
      x["provider_name"] = o.provider == kNoSlot ? "" : ix.providers()[o.provider].name;
      x["bed_id"] = o.bed_id;
      x["status"] = OfferStatusAt(o, ctx.now_iso);
      x["sent_at"] = o.sent_at;
      x["respond_by"] = o.respond_by;
      if (o.status == OfferStatus::kDeclined) x["decline_reason"] = ToString(o.decline_reason);
      offers.push_back(std::move(x));
    }
  }
  j["offers"] = std::move(offers);
  if (!n.care_ends.empty()) j["care_ends"] = n.care_ends;
  nlohmann::json near = nlohmann::json::array();
  if (m.candidates.size() < kFewOptions) {
    for (const NearMiss& x : NearMisses(ctx, m)) {
      const Exclusion& e = x.exclusion;
      nlohmann::json y;
      y["kind"] = KindCode(e.kind);
      y["provider_id"] = ix.providers()[e.provider].id;
      y["provider_name"] = ix.providers()[e.provider].name;
      if (e.bed != kNoSlot) y["bed_id"] = ix.beds()[e.bed].id;
      if (e.kind == CandidateKind::kHomecare) y["zone"] = e.zone == kNoSlot ? "" : ix.zones()[e.zone].name;
      y["rule"] = RuleCode(e.rule);
      y["amount"] = Round2(x.amount);
      y["unit"] = x.unit;
      y["words"] = x.words;
      near.push_back(std::move(y));
    }
  }
  j["near_misses"] = std::move(near);
  j["settings"] = SettingsJson(*ctx.settings);
  return j;
}

std::string MatchText(const MatchContext& ctx, const MatchResult& m, size_t limit) {
  const SupplyIndex& ix = *ctx.index;
  const Needs& n = m.needs;
  std::string out = fmt::format(
      "Referral {}: needed {}, {} day(s) past discharge-ready; {} candidate(s), {} excluded\n", n.referral_id,
      IsoDateFromDays(n.needed_day), n.days_past, m.candidates.size(), m.excluded.size());
  for (size_t i = 0; i < m.candidates.size() && (limit == 0 || i < limit); ++i) {
    const Candidate& c = m.candidates[i];
    const ProviderSlot& p = ix.providers()[c.provider];
    std::string what;
    if (c.kind == CandidateKind::kBed) {
      const BedSlot& b = ix.beds()[c.bed];
      what = fmt::format("bed {} ({}, {}{})", b.room.empty() ? b.id : b.room, ToString(b.category),
                         ToString(b.contract), c.is_void ? ", void" : "");
    } else {
      std::string bands;
      for (const auto& u : c.bands) bands += (bands.empty() ? "" : "+") + std::string(ToString(u.band));
      what = fmt::format("homecare in {} ({})", c.zone == kNoSlot ? "?" : ix.zones()[c.zone].name, bands);
    }
    out += fmt::format("{:>3}. {:7.2f}  {} - {}; {}; GBP {:.2f}/week\n", i + 1, c.score, p.name, what,
                       c.distance_km
                           ? fmt::format("{:.1f} km{}", *c.distance_km,
                                         p.position == PositionSource::kExact ? "" : " (district centre)")
                           : std::string("distance unknown"),
                       static_cast<double>(c.weekly_cost_pence) / 100.0);
    out += fmt::format(
        "       void {:+.2f}  delay {:+.2f}  distance {:+.2f}  cost {:+.2f}  cqc {:+.2f}  continuity "
        "{:+.2f}{}\n",
        c.components.void_fill, c.components.delay, c.components.distance, c.components.cost,
        c.components.cqc, c.components.continuity,
        c.over_budget_pence > 0 ? fmt::format("  budget {:+.2f}", c.components.budget) : std::string());
    if (c.over_budget_pence > 0) out += "       OVER BUDGET: " + OverBudgetWords(c) + " (needs approval)\n";
  }
  if (m.candidates.size() < kFewOptions) {
    const auto near = NearMisses(ctx, m);
    if (!near.empty()) out += "Nearest misses (one rule stops each):\n";
    for (const NearMiss& x : near) {
      const Exclusion& e = x.exclusion;
      out += fmt::format("  {} {}: {} - {}\n", ix.providers()[e.provider].name,
                         e.bed != kNoSlot ? "bed " + (ix.beds()[e.bed].room.empty() ? ix.beds()[e.bed].id
                                                                                    : ix.beds()[e.bed].room)
                                          : std::string("homecare"),
                         RuleCode(e.rule), x.words);
    }
  }
  if (const PersonNotes* notes = ix.Notes(n.referral_id); notes && !notes->offers.empty()) {
    out += "Offers:\n";
    for (const OfferNote& o : notes->offers) {
      const std::string status = OfferStatusAt(o, ctx.now_iso);
      out += fmt::format("  {} {}{}: {}{}\n", o.id,
                         o.provider == kNoSlot ? "?" : ix.providers()[o.provider].name,
                         o.bed_id.empty() ? "" : " bed " + o.bed_id, status,
                         status == "declined"  ? " (" + std::string(ToString(o.decline_reason)) + ")"
                         : status == "pending" ? " (answer by " + o.respond_by + ")"
                         : status == "expired" ? " (no answer by " + o.respond_by + ")"
                                               : "");
    }
  }
  if (!m.excluded.empty()) out += "Excluded:\n";
  for (const Exclusion& e : m.excluded) {
    out += fmt::format("  {} {}: {} - {}\n", ix.providers()[e.provider].name,
                       e.bed != kNoSlot ? "bed " + (ix.beds()[e.bed].room.empty() ? ix.beds()[e.bed].id
                                                                                  : ix.beds()[e.bed].room)
                                        : std::string("homecare"),
                       RuleCode(e.rule), ReasonSentence(ctx, n, e));
  }
  return out;
}

}  // namespace berth::core

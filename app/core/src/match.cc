// The matcher (match.h, MATCHING.md): needs from a referral, the hard rules that exclude an option (each
// with its rule code), scoring and ranking, and near misses.
// Sections, in order: rule helpers; rule codes; needs; bed rules; homecare rules; ranking and Match; near
// misses. The words and JSON a broker reads are in match_words.cc.

#include "berth/core/match.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>

#include "berth/core/case_log.h"
#include "berth/core/referrals.h"
#include "berth/schema/ids.h"

namespace berth::core {
namespace {

constexpr const char* kRuleCodes[kRuleCount] = {"declined",          "handed_back",    "category",
                                                "registration",      "specialism",     "admissions_closed",
                                                "infection",         "room_bariatric", "room_hoist",
                                                "room_ground_floor", "room_en_suite",  "single_sex_unit",
                                                "not_available",     "over_budget",    "too_far",
                                                "distance_unknown",  "zone",           "band_hours",
                                                "double_up",         "carer_gender",   "homecare_start"};

int32_t DayOf(std::string_view iso) {
  if (iso.size() < 10 || !IsIsoDate(iso.substr(0, 10))) return kNoDay;
  return static_cast<int32_t>(DaysFromIsoDate(iso.substr(0, 10)));
}

bool IsDementia(BedCategory c) {
  return c == BedCategory::kResidentialDementia || c == BedCategory::kNursingDementia;
}
bool IsNursing(BedCategory c) {
  return c == BedCategory::kNursing || c == BedCategory::kNursingDementia;
}

// Whether a bed of category `bed` can take a person who needs `want`. Exact match always; a short-stay or
// respite need may also use a long-term block bed with a flexibility clause whose care level fits.
bool CategoryFits(BedCategory want, const BedSlot& b, const Needs& n) {
  if (b.category == want) return true;
  if (want != BedCategory::kShortStay && want != BedCategory::kRespite) return false;
  if (!(b.contract == ContractType::kBlock && b.flexibility_clause)) return false;
  const bool dementia = n.Has(Need::kDementia);
  const bool nursing = n.Has(Need::kNursing);
  switch (b.category) {
    case BedCategory::kResidential:
      return !dementia && !nursing;
    case BedCategory::kResidentialDementia:
      return dementia && !nursing;
    case BedCategory::kNursing:
      return !dementia;
    case BedCategory::kNursingDementia:
      return dementia;
    default:
      return false;
  }
}

// The specialism a bed category (or the person's needs) calls for, if any.
bool SpecialismOk(const ProviderSlot& p, BedCategory c, const Needs& n) {
  if ((IsDementia(c) || n.Has(Need::kDementia)) && !p.Has(Specialism::kDementia)) return false;
  if ((c == BedCategory::kLearningDisability || n.Has(Need::kLearningDisability)) &&
      !p.Has(Specialism::kLearningDisability))
    return false;
  if ((c == BedCategory::kMentalHealth || n.Has(Need::kMentalHealth)) && !p.Has(Specialism::kMentalHealth))
    return false;
  if (c == BedCategory::kYoungPhysicalDisability && !p.Has(Specialism::kPhysicalDisability) &&
      !p.Has(Specialism::kYoungerAdults))
    return false;
  return true;
}

double RatingValue(CqcRating r) {
  switch (r) {
    case CqcRating::kOutstanding:
      return 1.0;
    case CqcRating::kGood:
      return 0.7;
    case CqcRating::kUnrated:
    case CqcRating::kInspectedButNotRated:  // CQC outcomes that are not ratings score as unrated
    case CqcRating::kInsufficientEvidence:
      return 0.4;
    case CqcRating::kRequiresImprovement:
      return 0.1;
    case CqcRating::kInadequate:
      return -1.0;
  }
  return 0;
}

// The weekly cost a funding route can pay: nullopt for no council limit (CHC, self-funders).
std::optional<int64_t> FundingLimit(const MatchSettings& s, const Needs& n, int64_t usual, bool nursing) {
  switch (n.funding) {
    case Funding::kChc:
    case Funding::kSelfFunder:
      return std::nullopt;
    case Funding::kFnc:
      return (n.budget_pence > 0 ? n.budget_pence : usual) + (nursing ? s.fnc_weekly_pence : 0);
    case Funding::kLa:
    case Funding::kJoint:
    case Funding::kTopUp:  // the budget is the total: the usual rate plus the agreed third-party top-up
      return n.budget_pence > 0 ? n.budget_pence : usual;
  }
  return usual;
}

double Round2(double v) {
  return std::round(v * 100.0) / 100.0;
}

void ScoreCommon(const MatchContext& ctx, const Needs& n, const ProviderSlot& p, Candidate* c,
                 int64_t usual) {
  const MatchSettings& s = *ctx.settings;
  ScoreComponents& k = c->components;
  k.delay = s.w_delay * n.days_past;
  const double km = c->distance_km ? *c->distance_km : s.unknown_distance_km;
  k.distance = -s.w_distance * km;
  if (usual > 0) {
    k.cost =
        -s.w_cost * 100.0 * static_cast<double>(c->weekly_cost_pence - usual) / static_cast<double>(usual);
  }
  k.cqc = s.w_cqc * RatingValue(p.rating);
  const uint32_t self = c->provider;
  if (std::find(n.previous.begin(), n.previous.end(), self) != n.previous.end())
    k.continuity = s.w_continuity;
  if (c->over_budget_pence > 0 && c->budget_limit_pence > 0) {
    k.budget = -s.w_over_budget * 100.0 * static_cast<double>(c->over_budget_pence) /
               static_cast<double>(c->budget_limit_pence);
  }
  k.void_fill = Round2(k.void_fill);
  k.delay = Round2(k.delay);
  k.distance = Round2(k.distance);
  k.cost = Round2(k.cost);
  k.cqc = Round2(k.cqc);
  k.continuity = Round2(k.continuity);
  k.budget = Round2(k.budget);
  c->score = Round2(k.Total());
}

std::optional<double> DistanceTo(const Needs& n, const ProviderSlot& p) {
  if (!n.where || !p.located) return std::nullopt;
  return DistanceKm(*n.where, p.where);
}

}  // namespace

std::string_view RuleCode(Rule rule) {
  return kRuleCodes[static_cast<size_t>(rule)];
}
std::string_view KindCode(CandidateKind kind) {
  return kind == CandidateKind::kBed ? "bed" : "homecare";
}

MatchContext ContextNow(const SupplyIndex& index, const MatchSettings& settings, const Geography* geo,
                        Env* env) {
  MatchContext ctx;
  ctx.index = &index;
  ctx.settings = &settings;
  ctx.geo = geo;
  // One reading of the clock, so the day and the instant agree at midnight.
  const int64_t now_ms = (env != nullptr ? env : Env::Default())->NowMs();
  ctx.today = IsoDateFromDays(now_ms / 86'400'000);
  ctx.now_iso = IsoInstantOfMs(now_ms);
  return ctx;
}

Needs PrepareNeeds(const MatchContext& ctx, const Referral& r) {
  Needs n;
  n.referral_id = r.id;
  n.wants_bed = r.category.has_value();
  if (r.category) n.category = *r.category;
  n.wants_homecare = !r.homecare.empty();
  n.homecare = r.homecare;
  n.max_km = r.max_distance_km > 0 ? r.max_distance_km : 0;
  n.today = DayOf(ctx.today);
  // What the person said no to, or who gave their care back: providers never proposed to them again.
  const PersonNotes* notes = ctx.index ? ctx.index->Notes(r.id) : nullptr;
  if (notes) {
    for (const OfferNote& o : notes->offers) {
      if (o.status != OfferStatus::kDeclined || o.provider == kNoSlot) continue;
      n.personal.push_back({o.provider, o.bed_id, Rule::kDeclined, o.decline_reason, HandbackReason::kNone,
                            o.sent_at.substr(0, 10)});
    }
    for (const HandbackNote& h : notes->handbacks) {
      if (h.status == HandbackStatus::kWithdrawn || h.provider == kNoSlot) continue;
      n.personal.push_back(
          {h.provider, "", Rule::kHandedBack, DeclineReason::kNone, h.reason, h.notice_date});
      if (h.status == HandbackStatus::kOpen && h.end_date > n.care_ends) n.care_ends = h.end_date;
    }
  }
  // The date needed from: the DRD, or for a hand back the day after the current care ends (the same rule
  // as the queue, referrals.h NeededFrom); a confirmation matches for its own first day.
  const std::string needed = !ctx.needed_from.empty()
                                 ? ctx.needed_from
                                 : NeededFrom(r, r.priority == Priority::kHandBack ? n.care_ends : "");
  const int32_t drd = DayOf(needed);
  n.needed_day = drd == kNoDay ? n.today : std::max(n.today, drd);
  n.days_past = drd == kNoDay ? 0 : std::max(0, n.today - drd);
  for (Need need : r.needs) n.need_mask |= 1u << static_cast<unsigned>(need);
  if (r.homecare.double_up) n.need_mask |= 1u << static_cast<unsigned>(Need::kDoubleUp);
  n.gender = r.gender;
  n.infection = r.infection_status;
  n.funding = r.funding;
  n.budget_pence = r.weekly_budget_pence;
  n.now_iso = ctx.now_iso;
  if (ctx.geo) {
    if (!r.preferred_postcode.empty()) n.where = ctx.geo->Locate(r.preferred_postcode);
    if (!n.where && !r.postcode.empty()) n.where = ctx.geo->Locate(r.postcode);
    if (!n.where && !r.hospital_code.empty()) {
      if (const Hospital* h = ctx.geo->FindHospital(r.hospital_code)) n.where = h->where;
    }
  }
  if (n.wants_homecare && !r.homecare.bands.empty()) {
    n.hours_per_band = r.homecare.CarerHoursPerWeek() / static_cast<double>(r.homecare.bands.size());
  }
  if (ctx.index) {
    if (n.where) n.zone = ctx.index->NearestZone(*n.where);
    if (const auto* prev = ctx.index->PreviousProviders(r.id)) n.previous = *prev;
  }
  return n;
}

std::optional<Rule> EvaluateBed(const MatchContext& ctx, const Needs& n, const ProviderSlot& p,
                                const BedSlot& b, Candidate* out, Exclusion* why) {
  return EvaluateBed(ctx, n, p, b, DistanceTo(n, p), out, why);
}

std::optional<Rule> EvaluateBed(const MatchContext& ctx, const Needs& n, const ProviderSlot& p,
                                const BedSlot& b, std::optional<double> km, Candidate* out, Exclusion* why) {
  const MatchSettings& s = *ctx.settings;
  auto fail = [&](Rule rule) -> std::optional<Rule> {
    if (why) {
      why->kind = CandidateKind::kBed;
      why->rule = rule;
      why->distance_km = km;
    }
    return rule;
  };
  // Whether `rule` stops the bed: it fails, and it is not the rule a near-miss check waives.
  auto stops = [&](bool failed, Rule rule) { return failed && n.waive != rule; };
  for (const PersonalExclusion& x : n.personal) {
    if (x.provider != b.provider || (!x.bed_id.empty() && x.bed_id != b.id) || n.waive == x.rule) continue;
    if (why) {
      why->decline_reason = x.decline_reason;
      why->handback_reason = x.handback_reason;
      why->on = x.on;
    }
    return fail(x.rule);
  }
  if (stops(!CategoryFits(n.category, b, n), Rule::kCategory)) return fail(Rule::kCategory);
  if (stops(!RegistrationAllows(p.registration, b.category), Rule::kRegistration))
    return fail(Rule::kRegistration);
  if (stops(!SpecialismOk(p, b.category, n), Rule::kSpecialism)) return fail(Rule::kSpecialism);
  if (stops(p.ClosedTo(b.category), Rule::kAdmissionsClosed)) return fail(Rule::kAdmissionsClosed);
  if (stops((n.infection == InfectionStatus::kPositive || n.infection == InfectionStatus::kContact) &&
                !b.features.en_suite,
            Rule::kInfection))
    return fail(Rule::kInfection);
  if (stops(n.Has(Need::kBariatric) && !b.features.bariatric, Rule::kBariatric))
    return fail(Rule::kBariatric);
  if (stops(n.Has(Need::kHoist) && !b.features.hoist, Rule::kHoist)) return fail(Rule::kHoist);
  if (stops(n.Has(Need::kGroundFloor) && !b.features.ground_floor, Rule::kGroundFloor))
    return fail(Rule::kGroundFloor);
  if (stops(n.Has(Need::kEnSuite) && !b.features.en_suite, Rule::kEnSuite)) return fail(Rule::kEnSuite);
  if (stops((b.features.single_sex_unit == SexPreference::kFemale && n.gender != Gender::kFemale) ||
                (b.features.single_sex_unit == SexPreference::kMale && n.gender != Gender::kMale),
            Rule::kSingleSex))
    return fail(Rule::kSingleSex);
  int32_t available = kNoDay;
  switch (b.status) {
    case BedStatus::kVacant:
      available = n.today;
      break;
    case BedStatus::kHeld:
      if (b.held_for == n.referral_id || (!b.held_until.empty() && b.held_until <= n.now_iso)) {
        available = n.today;
      } else if (!b.held_until.empty()) {
        available = std::max(n.today, DayOf(b.held_until));  // the hold lapses that day
      }
      break;
    case BedStatus::kOccupied:
      // Occupied by placements that all end, and not reported occupied again since the last of them.
      if (b.has_placements && b.free_from_day != kNoDay &&
          (b.status_since_day == kNoDay || b.status_since_day < b.free_from_day)) {
        available = std::max(n.today, b.free_from_day);
      }
      break;
    case BedStatus::kUnavailable:
      break;
  }
  // Placements take the bed for the days they cover (a planned one from its first day): a new open-ended
  // placement can start only after the last of them.
  if (available != kNoDay && b.has_placements) {
    available = b.free_from_day == kNoDay ? kNoDay : std::max(available, b.free_from_day);
  }
  if (stops(available == kNoDay || available > n.needed_day, Rule::kNotAvailable)) {
    if (why) why->available_day = available;
    return fail(Rule::kNotAvailable);
  }
  const int64_t usual = s.UsualWeekly(b.category);
  int64_t over = 0, limit_pence = 0;
  if (!(b.contract == ContractType::kBlock && n.funding != Funding::kSelfFunder)) {
    // Block beds are the council's own, already paid for: within any council funding route.
    const auto limit = FundingLimit(s, n, usual, IsNursing(b.category));
    if (limit && b.weekly_rate_pence > *limit) {
      // Over budget: a soft rule (ranked with a penalty and flagged with the amount) unless the council
      // sets a hard ceiling.
      if (stops(s.budget_hard_limit > 0, Rule::kOverBudget)) {
        if (why) {
          why->weekly_cost_pence = b.weekly_rate_pence;
          why->limit_pence = *limit;
        }
        return fail(Rule::kOverBudget);
      }
      over = b.weekly_rate_pence - *limit;
      limit_pence = *limit;
    }
  }
  if (n.max_km > 0 && n.where) {
    if (stops(!km, Rule::kDistanceUnknown)) return fail(Rule::kDistanceUnknown);
    if (stops(km && *km > n.max_km, Rule::kTooFar)) return fail(Rule::kTooFar);
  }
  if (out) {
    Candidate& c = *out;
    c = Candidate{};
    c.kind = CandidateKind::kBed;
    c.provider = b.provider;
    c.distance_km = km;
    c.weekly_cost_pence = b.weekly_rate_pence;
    c.available_day = available == kNoDay ? n.needed_day : available;
    c.over_budget_pence = over;
    c.budget_limit_pence = limit_pence;
    const bool void_now =
        b.contract == ContractType::kBlock &&
        (b.status == BedStatus::kVacant || (b.status == BedStatus::kHeld && b.held_for == n.referral_id));
    c.is_void = void_now;
    if (void_now) {
      const double age = b.status_since_day == kNoDay ? 0.0 : std::max(0, n.today - b.status_since_day);
      const double cap = s.void_cap_days > 0 ? s.void_cap_days : 1.0;
      c.components.void_fill = s.w_void * (1.0 + std::min(age, cap) / cap);
    }
    ScoreCommon(ctx, n, p, &c, usual);
  }
  return std::nullopt;
}

std::optional<Rule> EvaluateHomecare(const MatchContext& ctx, const Needs& n, const ProviderSlot& p,
                                     const std::vector<const CapacitySlot*>& rows,
                                     const std::vector<uint32_t>& row_slots, Candidate* out, Exclusion* why) {
  const MatchSettings& s = *ctx.settings;
  const std::optional<double> km = DistanceTo(n, p);
  auto fail = [&](Rule rule, TimeBand band) -> std::optional<Rule> {
    if (why) {
      why->kind = CandidateKind::kHomecare;
      why->rule = rule;
      why->band = band;
      why->distance_km = km;
    }
    return rule;
  };
  auto waived = [&](Rule rule) { return n.waive == rule; };
  const uint32_t self = rows.empty() ? kNoSlot : rows.front()->provider;
  for (const PersonalExclusion& x : n.personal) {
    if (x.provider != self || waived(x.rule)) continue;
    if (why) {
      why->decline_reason = x.decline_reason;
      why->handback_reason = x.handback_reason;
      why->on = x.on;
    }
    return fail(x.rule, TimeBand::kMorning);
  }
  if (p.closed_all && !waived(Rule::kAdmissionsClosed))
    return fail(Rule::kAdmissionsClosed, TimeBand::kMorning);
  if (n.homecare.bands.empty()) return fail(Rule::kBandHours, TimeBand::kMorning);
  const double h = n.hours_per_band;
  std::vector<HomecareBandUse> uses;
  int64_t cost = 0;
  bool all_block = true;
  // Each band is checked rule by rule over the rows that passed the earlier rules.
  for (TimeBand band : n.homecare.bands) {
    std::vector<size_t> ok;
    double most_left = 0;
    bool in_band = false;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (rows[i]->band != band) continue;
      const double left = rows[i]->RemainingFrom(n.needed_day);
      most_left = in_band ? std::max(most_left, left) : left;
      in_band = true;
      if (left + 1e-9 >= h || waived(Rule::kBandHours)) ok.push_back(i);
    }
    if (ok.empty()) {
      if (why) why->shortfall_hours = h - std::max(0.0, most_left);
      return fail(Rule::kBandHours, band);
    }
    if (n.homecare.double_up && !waived(Rule::kDoubleUp)) {
      std::erase_if(ok, [&](size_t i) { return !rows[i]->double_up; });
      if (ok.empty()) return fail(Rule::kDoubleUp, band);
    }
    if (n.homecare.carer_gender != SexPreference::kAny && !waived(Rule::kCarerGender)) {
      const bool female = n.homecare.carer_gender == SexPreference::kFemale;
      std::erase_if(ok, [&](size_t i) { return female ? !rows[i]->female_carers : !rows[i]->male_carers; });
      if (ok.empty()) return fail(Rule::kCarerGender, band);
    }
    if (!waived(Rule::kHomecareStart)) {
      int32_t soonest = kNoDay;
      for (size_t i : ok) soonest = std::min(soonest, rows[i]->available_from_day);
      std::erase_if(ok, [&](size_t i) {
        return rows[i]->available_from_day != kNoDay && rows[i]->available_from_day > n.needed_day;
      });
      if (ok.empty()) {
        if (why) why->available_day = soonest;
        return fail(Rule::kHomecareStart, band);
      }
    }
    // The cheapest row, then the one with most hours left, then by id.
    const size_t best = *std::min_element(ok.begin(), ok.end(), [&](size_t a, size_t b) {
      if (rows[a]->hourly_rate_pence != rows[b]->hourly_rate_pence)
        return rows[a]->hourly_rate_pence < rows[b]->hourly_rate_pence;
      const double left_a = rows[a]->RemainingFrom(n.needed_day),
                   left_b = rows[b]->RemainingFrom(n.needed_day);
      if (left_a != left_b) return left_a > left_b;
      return rows[a]->id < rows[b]->id;
    });
    uses.push_back({band, row_slots[best], h});
    cost += std::llround(h * static_cast<double>(rows[best]->hourly_rate_pence));
    all_block = all_block && rows[best]->contract == HomecareContract::kBlock;
  }
  const int64_t usual =
      std::llround(n.homecare.CarerHoursPerWeek() * static_cast<double>(s.usual_homecare_hourly_pence));
  int64_t over = 0, limit_pence = 0;
  if (!all_block || n.funding == Funding::kSelfFunder) {
    const auto limit = FundingLimit(s, n, usual, false);
    if (limit && cost > *limit) {
      if (s.budget_hard_limit > 0 && !waived(Rule::kOverBudget)) {
        if (why) {
          why->weekly_cost_pence = cost;
          why->limit_pence = *limit;
        }
        return fail(Rule::kOverBudget, TimeBand::kMorning);
      }
      over = cost - *limit;
      limit_pence = *limit;
    }
  }
  if (out) {
    Candidate& c = *out;
    c = Candidate{};
    c.kind = CandidateKind::kHomecare;
    c.provider = rows.front()->provider;
    c.zone = n.zone;
    c.bands = std::move(uses);
    c.distance_km = km;
    c.weekly_cost_pence = cost;
    c.available_day = n.needed_day;
    c.over_budget_pence = over;
    c.budget_limit_pence = limit_pence;
    c.is_void = all_block;
    if (all_block) c.components.void_fill = s.w_void;
    ScoreCommon(ctx, n, p, &c, usual);
  }
  return std::nullopt;
}

void RankCandidates(const SupplyIndex& ix, std::vector<Candidate>& c) {
  std::sort(c.begin(), c.end(), [&ix](const Candidate& a, const Candidate& b) {
    if (a.score != b.score) return a.score > b.score;
    const double da = a.distance_km.value_or(1e9), db = b.distance_km.value_or(1e9);
    if (da != db) return da < db;
    if (a.kind != b.kind) return a.kind < b.kind;
    const auto& pa = ix.providers()[a.provider].id;
    const auto& pb = ix.providers()[b.provider].id;
    if (pa != pb) return pa < pb;
    if (a.kind == CandidateKind::kBed) return ix.beds()[a.bed].id < ix.beds()[b.bed].id;
    return a.zone < b.zone;
  });
}

MatchResult Match(const MatchContext& ctx, const Referral& r) {
  const SupplyIndex& ix = *ctx.index;
  MatchResult m;
  m.needs = PrepareNeeds(ctx, r);
  const Needs& n = m.needs;
  // Providers in scope: within the distance limit (or the search radius) plus a near-miss band of 50%
  // beyond it, so "just too far" homes are listed with their reason; and every provider that cannot be
  // placed. Without a location for the person, every provider is in scope.
  std::vector<uint32_t> scope;
  const double radius = n.max_km > 0 ? n.max_km : ctx.settings->search_radius_km;
  const double reach = n.max_km > 0 ? radius * 1.5 : radius;
  if (n.where) {
    // Only providers that can matter to this person: homes with beds in the pool if they want a bed,
    // agencies with capacity if they want homecare.
    ix.ForEachSupplierWithin(*n.where, reach, n.wants_bed, n.wants_homecare,
                             [&](uint32_t p) { scope.push_back(p); });
    scope.insert(scope.end(), ix.unlocated().begin(), ix.unlocated().end());
  } else {
    for (uint32_t p = 0; p < ix.providers().size(); ++p) {
      if (ix.providers()[p].live) scope.push_back(p);
    }
  }
  std::sort(scope.begin(), scope.end());
  Candidate cand;
  Exclusion why;
  if (n.wants_bed) {
    for (uint32_t p : scope) {
      const ProviderSlot& ps = ix.providers()[p];
      if (ps.beds.empty()) continue;
      const std::optional<double> km = DistanceTo(n, ps);
      for (uint32_t b : ps.beds) {
        const BedSlot& bs = ix.beds()[b];
        if (!bs.live) continue;
        why = Exclusion{};
        if (EvaluateBed(ctx, n, ps, bs, km, &cand, &why)) {
          why.provider = p;
          why.bed = b;
          ++m.rule_counts[static_cast<size_t>(why.rule)];
          if (ctx.keep_exclusions) m.excluded.push_back(why);
        } else {
          cand.bed = b;
          m.candidates.push_back(cand);
        }
      }
    }
  }
  if (n.wants_homecare) {
    std::vector<uint32_t> agencies;
    if (n.zone != kNoSlot) {
      for (uint32_t p : ix.zones()[n.zone].providers) agencies.push_back(p);
    }
    std::sort(agencies.begin(), agencies.end());
    agencies.erase(std::unique(agencies.begin(), agencies.end()), agencies.end());
    std::vector<uint32_t> served;  // agencies with live rows in the zone (the zone lists may be stale)
    std::vector<const CapacitySlot*> rows;
    std::vector<uint32_t> slots;
    for (uint32_t p : agencies) {
      const ProviderSlot& ps = ix.providers()[p];
      if (!ps.live) continue;
      rows.clear();
      slots.clear();
      for (uint32_t c : ps.capacity) {
        const CapacitySlot& cs = ix.capacity()[c];
        if (cs.live && cs.zone == n.zone) {
          rows.push_back(&cs);
          slots.push_back(c);
        }
      }
      if (rows.empty()) continue;
      served.push_back(p);
      why = Exclusion{};
      if (EvaluateHomecare(ctx, n, ps, rows, slots, &cand, &why)) {
        why.provider = p;
        why.zone = n.zone;
        ++m.rule_counts[static_cast<size_t>(why.rule)];
        if (ctx.keep_exclusions) m.excluded.push_back(why);
      } else {
        m.candidates.push_back(cand);
      }
    }
    // Agencies near the person that do not cover the person's zone.
    for (uint32_t p : scope) {
      if (!ix.HasCapacity(p) || std::binary_search(served.begin(), served.end(), p)) continue;
      ++m.rule_counts[static_cast<size_t>(Rule::kZone)];
      if (!ctx.keep_exclusions) continue;
      why = Exclusion{};
      why.kind = CandidateKind::kHomecare;
      why.rule = Rule::kZone;
      why.provider = p;
      why.zone = n.zone;
      why.distance_km = DistanceTo(n, ix.providers()[p]);
      m.excluded.push_back(why);
    }
  }
  RankCandidates(ix, m.candidates);
  return m;
}

std::vector<NearMiss> NearMisses(const MatchContext& ctx, const MatchResult& m, size_t limit) {
  const SupplyIndex& ix = *ctx.index;
  std::vector<NearMiss> all;
  for (const Exclusion& e : m.excluded) {
    if (e.rule == Rule::kZone) continue;  // an agency elsewhere is no near miss
    // Only the one rule stops it: with that rule waived, the option passes every other.
    Needs n = m.needs;
    n.waive = e.rule;
    const ProviderSlot& p = ix.providers()[e.provider];
    bool passes = false;
    if (e.kind == CandidateKind::kBed) {
      passes = !EvaluateBed(ctx, n, p, ix.beds()[e.bed], nullptr, nullptr);
    } else {
      std::vector<const CapacitySlot*> rows;
      std::vector<uint32_t> slots;
      for (uint32_t c : p.capacity) {
        const CapacitySlot& cs = ix.capacity()[c];
        if (cs.live && cs.zone == n.zone) {
          rows.push_back(&cs);
          slots.push_back(c);
        }
      }
      passes = !rows.empty() && !EvaluateHomecare(ctx, n, p, rows, slots, nullptr, nullptr);
    }
    if (!passes) continue;
    NearMiss x;
    x.exclusion = e;
    const std::string need = IsoDateFromDays(n.needed_day);
    switch (e.rule) {
      case Rule::kTooFar:
        x.amount = e.distance_km.value_or(0) - n.max_km;
        x.unit = "km";
        x.words = fmt::format("{:.1f} km beyond the {:.0f} km limit", x.amount, n.max_km);
        x.gap = x.amount / 5.0;
        break;
      case Rule::kOverBudget:
        x.amount = static_cast<double>(e.weekly_cost_pence - e.limit_pence) / 100.0;
        x.unit = "GBP a week";
        x.words = fmt::format("GBP {:.2f} a week over the GBP {:.2f} budget ceiling", x.amount,
                              static_cast<double>(e.limit_pence) / 100.0);
        x.gap = x.amount / 20.0;
        break;
      case Rule::kBandHours:
        x.amount = e.shortfall_hours;
        x.unit = "hours a week";
        x.words = fmt::format("{} band {:.2f} hours a week short", ToString(e.band), x.amount);
        x.gap = x.amount / 2.0;
        break;
      case Rule::kNotAvailable:
      case Rule::kHomecareStart:
        if (e.available_day == kNoDay) {
          x.words = ReasonSentence(ctx, m.needs, e);
          x.gap = 60;
        } else {
          x.amount = e.available_day - n.needed_day;
          x.unit = "days";
          x.words = fmt::format("free from {}, {:g} day(s) after the date needed ({})",
                                IsoDateFromDays(e.available_day), x.amount, need);
          x.gap = x.amount / 3.0;
        }
        break;
      default:
        // Rules with no measure: the nearer to being changed (a closure ends, a room is fitted), the sooner.
        x.words = ReasonSentence(ctx, m.needs, e);
        x.gap = 10 + static_cast<double>(e.rule == Rule::kAdmissionsClosed ? 0
                                         : e.rule == Rule::kDeclined || e.rule == Rule::kHandedBack
                                             ? 40
                                             : 5 + static_cast<int>(e.rule));
        break;
    }
    all.push_back(std::move(x));
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const NearMiss& a, const NearMiss& b) { return a.gap < b.gap; });
  std::vector<NearMiss> out;
  std::vector<uint32_t> providers;
  for (NearMiss& x : all) {
    if (out.size() >= limit) break;
    if (std::find(providers.begin(), providers.end(), x.exclusion.provider) != providers.end()) continue;
    providers.push_back(x.exclusion.provider);
    out.push_back(std::move(x));
  }
  return out;
}

}  // namespace berth::core

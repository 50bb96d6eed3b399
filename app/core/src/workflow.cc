#include "berth/core/workflow.h"

#include <fmt/format.h>

#include <cmath>
#include <ctime>

#include "berth/schema/ids.h"
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
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
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

bool Open(ReferralStatus s) {
  return s == ReferralStatus::kNew || s == ReferralStatus::kSourcing || s == ReferralStatus::kOffered ||
         s == ReferralStatus::kAccepted;
}

Status Refuse(const std::string& what, const std::string& id, std::string_view state,
              const std::string& allowed) {
  return ConflictError(fmt::format("cannot {}: {} is {} ({})", what, id, state, allowed));
}

Result<Referral> GetReferral(Store& store, const std::string& id) {
  if (id.empty()) return BadInput("a referral id is required");
  return LoadReferral(store.db(), id);
}

Result<Offer> GetOffer(Store& store, const std::string& id) {
  BERTH_ASSIGN_OR_RETURN(Statement q,
                         store.db().Prepare("SELECT referral_id FROM offer WHERE id = ? AND deleted = 0"));
  q.Bind(1, id);
  BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return NotFound("no offer with id " + id);
  const std::string referral = q.Text(0);
  BERTH_ASSIGN_OR_RETURN(auto offers, LoadOffersForReferral(store.db(), referral));
  for (auto& o : offers) {
    if (o.id == id) return o;
  }
  return NotFound("no offer with id " + id);
}

Result<int64_t> LivePlacementsOnBed(Store& store, const std::string& bed_id) {
  BERTH_ASSIGN_OR_RETURN(Statement q,
                         store.db().Prepare("SELECT count(*) FROM placement WHERE bed_id = ? AND deleted = 0"
                                            " AND status IN ('planned', 'active')"));
  q.Bind(1, bed_id);
  BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.Int(0) : 0;
}

// Withdraws every live offer of a referral except `keep`.
Status WithdrawOthers(Store& store, const std::string& referral_id, const std::string& keep_provider) {
  BERTH_ASSIGN_OR_RETURN(auto offers, LoadOffersForReferral(store.db(), referral_id));
  for (const Offer& o : offers) {
    if (o.status != OfferStatus::kPending && o.status != OfferStatus::kAccepted) continue;
    if (o.status == OfferStatus::kAccepted && o.provider_id == keep_provider) continue;
    BERTH_RETURN_IF_ERROR(Put(store, "offer", o.id, {{"status", std::string("withdrawn")}}));
  }
  return Status::Ok();
}

Status CloseHandbacks(Store& store, const std::string& referral_id) {
  BERTH_ASSIGN_OR_RETURN(Statement q,
                         store.db().Prepare("SELECT id FROM handback WHERE referral_id = ? AND deleted = 0"
                                            " AND status = 'open'"));
  q.Bind(1, referral_id);
  std::vector<std::string> ids;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ids.push_back(q.Text(0));
  }
  for (const auto& id : ids)
    BERTH_RETURN_IF_ERROR(Put(store, "handback", id, {{"status", std::string("rebrokered")}}));
  return Status::Ok();
}

Status CheckStart(const std::string& start_date) {
  if (!IsIsoDate(start_date))
    return BadInput("the start date must be YYYY-MM-DD (got '" + start_date.substr(0, 20) + "')");
  return Status::Ok();
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

}  // namespace

WorkflowTime WorkflowTime::Now() {
  WorkflowTime t;
  t.now_iso = IsoOfSeconds(NowMs() / 1000);
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

Result<HoldResult> HoldBed(Store& store, const MatchSettings& s, const std::string& referral_id,
                           const std::string& bed_id, const WorkflowTime& t) {
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, referral_id));
  if (!Open(r.status)) {
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
  BERTH_ASSIGN_OR_RETURN(int64_t live, LivePlacementsOnBed(store, b.id));
  if (live > 0) return ConflictError("cannot hold bed " + b.id + ": it has a live placement");
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
    return store.AppendAudit("hold", "referral", r.id,
                             fmt::format("bed {} held until {}", b.id, out.held_until));
  });
  if (!tx.ok()) return tx;
  return out;
}

Status ReleaseBed(Store& store, const std::string& bed_id, const WorkflowTime& t) {
  BERTH_ASSIGN_OR_RETURN(Bed b, LoadBed(store.db(), bed_id));
  if (b.status != BedStatus::kHeld)
    return Refuse("release", "bed " + b.id, ToString(b.status), "only a held bed can be released");
  return store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(Put(store, "bed", b.id,
                              {{"status", std::string("vacant")},
                               {"held_for_referral_id", std::string()},
                               {"held_until", std::string()},
                               {"status_since", t.today}},
                              MutationKind::kClaim, "release"));
    return store.AppendAudit("release", b.held_for_referral_id.empty() ? "bed" : "referral",
                             b.held_for_referral_id.empty() ? b.id : b.held_for_referral_id,
                             fmt::format("bed {} hold released", b.id));
  });
}

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
    o.id = NewUuidV7();
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
  }
  std::vector<std::string> ids;
  const Status tx = store.db().Transaction([&]() -> Status {
    for (const Offer& o : offers) {
      BERTH_RETURN_IF_ERROR(Save(store, o));
      ids.push_back(o.id);
    }
    BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"status", std::string("offered")}}));
    std::string to;
    for (const Offer& o : offers) to += (to.empty() ? "" : ",") + o.provider_id;
    return store.AppendAudit("offer", "referral", r.id,
                             fmt::format("package offered to {} provider(s): {}", offers.size(), to));
  });
  if (!tx.ok()) return tx;
  return ids;
}

Status AcceptOffer(Store& store, const std::string& offer_id, const WorkflowTime& t) {
  BERTH_ASSIGN_OR_RETURN(Offer o, GetOffer(store, offer_id));
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
    BERTH_RETURN_IF_ERROR(Put(store, "offer", o.id, {{"status", std::string("accepted")}}));
    BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"status", std::string("accepted")}}));
    return store.AppendAudit("accept", "referral", r.id,
                             fmt::format("offer {} accepted by provider {}", o.id, o.provider_id));
  });
}

Status DeclineOffer(Store& store, const std::string& offer_id, DeclineReason reason, const std::string& note,
                    const WorkflowTime& t) {
  (void)t;
  if (reason == DeclineReason::kNone) return BadInput("a decline needs a reason code");
  BERTH_ASSIGN_OR_RETURN(Offer o, GetOffer(store, offer_id));
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
    Fields f = {{"status", std::string("declined")}, {"decline_reason", std::string(ToString(reason))}};
    if (!note.empty()) f["note"] = note;
    BERTH_RETURN_IF_ERROR(Put(store, "offer", o.id, std::move(f)));
    if (!others_live && r.status == ReferralStatus::kOffered) {
      BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"status", std::string("sourcing")}}));
    }
    return store.AppendAudit(
        "decline", "referral", r.id,
        fmt::format("offer {} declined by provider {}: {}", o.id, o.provider_id, ToString(reason)));
  });
}

Result<std::string> ConfirmBed(Store& store, const std::string& referral_id, const std::string& bed_id,
                               const std::string& start_date, const WorkflowTime& t) {
  BERTH_RETURN_IF_ERROR(CheckStart(start_date));
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, referral_id));
  if (!Open(r.status)) {
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
  if (b.status == BedStatus::kOccupied || b.status == BedStatus::kUnavailable) {
    return Refuse("confirm", "bed " + b.id, ToString(b.status), "only a vacant or held bed can be confirmed");
  }
  BERTH_ASSIGN_OR_RETURN(int64_t live, LivePlacementsOnBed(store, b.id));
  if (live > 0) return ConflictError("cannot confirm bed " + b.id + ": it already has a live placement");
  Placement p;
  p.id = NewUuidV7();
  p.referral_id = r.id;
  p.provider_id = b.provider_id;
  p.kind = PlacementKind::kCareHome;
  p.bed_id = b.id;
  p.start_date = start_date;
  p.weekly_cost_pence = b.weekly_rate_pence;
  p.funding = r.funding;
  p.status = start_date > t.today ? PlacementStatus::kPlanned : PlacementStatus::kActive;
  const Status tx = store.db().Transaction([&]() -> Status {
    Mutation m;
    m.kind = MutationKind::kClaim;
    m.claim = "bed_confirm";
    m.entity = "placement";
    m.row_id = p.id;
    m.fields = ToFields(p);
    BERTH_RETURN_IF_ERROR(store.Write(std::move(m)));
    BERTH_RETURN_IF_ERROR(Put(store, "bed", b.id,
                              {{"status", std::string("occupied")},
                               {"held_for_referral_id", std::string()},
                               {"held_until", std::string()},
                               {"status_since", start_date}}));
    BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"status", std::string("placed")}}));
    BERTH_RETURN_IF_ERROR(WithdrawOthers(store, r.id, b.provider_id));
    BERTH_RETURN_IF_ERROR(CloseHandbacks(store, r.id));
    return store.AppendAudit("confirm", "referral", r.id,
                             fmt::format("placed in bed {} from {} (placement {})", b.id, start_date, p.id));
  });
  if (!tx.ok()) return tx;
  return p.id;
}

Result<std::vector<std::string>> ConfirmHomecare(Store& store, const MatchContext& ctx,
                                                 const std::string& referral_id,
                                                 const std::string& provider_id,
                                                 const std::string& start_date, const WorkflowTime& t) {
  (void)t;
  BERTH_RETURN_IF_ERROR(CheckStart(start_date));
  BERTH_ASSIGN_OR_RETURN(Referral r, GetReferral(store, referral_id));
  if (!Open(r.status)) {
    return Refuse("confirm a placement", "referral " + r.id, ToString(r.status),
                  "only new, sourcing, offered or accepted referrals can be placed");
  }
  if (r.homecare.empty()) return BadInput("referral " + r.id + " has no homecare pattern");
  MatchContext c = ctx;
  c.keep_exclusions = true;
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
      p.id = NewUuidV7();
      p.referral_id = r.id;
      p.provider_id = provider_id;
      p.kind = PlacementKind::kHomecare;
      p.homecare_capacity_id = cs.id;
      p.hours_per_week = u.hours;
      p.start_date = start_date;
      p.weekly_cost_pence = std::llround(u.hours * static_cast<double>(cs.hourly_rate_pence));
      p.funding = r.funding;
      p.status = start_date > t.today ? PlacementStatus::kPlanned : PlacementStatus::kActive;
      Mutation mu;
      mu.kind = MutationKind::kClaim;
      mu.claim = "homecare_allocate";
      mu.entity = "placement";
      mu.row_id = p.id;
      mu.fields = ToFields(p);
      BERTH_RETURN_IF_ERROR(store.Write(std::move(mu)));
      ids.push_back(p.id);
    }
    BERTH_RETURN_IF_ERROR(Put(store, "referral", r.id, {{"status", std::string("placed")}}));
    BERTH_RETURN_IF_ERROR(WithdrawOthers(store, r.id, provider_id));
    BERTH_RETURN_IF_ERROR(CloseHandbacks(store, r.id));
    return store.AppendAudit("confirm", "referral", r.id,
                             fmt::format("homecare from {} in {} from {} ({} band rows)", provider_id,
                                         c.index->zones()[chosen->zone].name, start_date, ids.size()));
  });
  if (!tx.ok()) return tx;
  return ids;
}

Result<std::string> HandBack(Store& store, const std::string& placement_id, HandbackReason reason,
                             const std::string& end_date, const WorkflowTime& t) {
  if (reason == HandbackReason::kNone) return BadInput("a hand back needs a reason code");
  BERTH_RETURN_IF_ERROR(CheckStart(end_date));
  BERTH_ASSIGN_OR_RETURN(auto placements, LoadPlacements(store.db()));
  const Placement* p = nullptr;
  for (const auto& x : placements) {
    if (x.id == placement_id) p = &x;
  }
  if (!p) return NotFound("no placement with id " + placement_id);
  if (p->status != PlacementStatus::kActive && p->status != PlacementStatus::kPlanned) {
    return Refuse("hand back", "placement " + p->id, ToString(p->status),
                  "only a planned or active placement can be handed back");
  }
  Handback hb;
  hb.id = NewUuidV7();
  hb.placement_id = p->id;
  hb.referral_id = p->referral_id;
  hb.provider_id = p->provider_id;
  hb.notice_date = t.today;
  hb.end_date = end_date;
  hb.hours_per_week = p->hours_per_week;
  hb.reason = reason;
  hb.status = HandbackStatus::kOpen;
  const Status tx = store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(
        Put(store, "placement", p->id, {{"status", std::string("handed_back")}, {"end_date", end_date}}));
    BERTH_RETURN_IF_ERROR(Save(store, hb));
    if (!p->bed_id.empty()) {
      BERTH_RETURN_IF_ERROR(
          Put(store, "bed", p->bed_id, {{"status", std::string("vacant")}, {"status_since", end_date}}));
    }
    if (!p->referral_id.empty()) {
      BERTH_RETURN_IF_ERROR(
          Put(store, "referral", p->referral_id,
              {{"status", std::string("sourcing")}, {"priority", std::string("hand_back")}}));
    }
    return store.AppendAudit("handback", "referral", p->referral_id.empty() ? p->id : p->referral_id,
                             fmt::format("placement {} handed back by {} ({}), ends {}", p->id,
                                         p->provider_id, ToString(reason), end_date));
  });
  if (!tx.ok()) return tx;
  return hb.id;
}

Result<ExpiryReport> ExpireLapsed(Store& store, const WorkflowTime& t) {
  ExpiryReport out;
  std::vector<std::string> beds, offers;
  {
    BERTH_ASSIGN_OR_RETURN(Statement q,
                           store.db().Prepare("SELECT id FROM bed WHERE deleted = 0 AND status = 'held'"
                                              " AND held_until != '' AND held_until <= ? ORDER BY id"));
    q.Bind(1, t.now_iso);
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      beds.push_back(q.Text(0));
    }
  }
  {
    BERTH_ASSIGN_OR_RETURN(Statement q,
                           store.db().Prepare("SELECT id FROM offer WHERE deleted = 0 AND status = 'pending'"
                                              " AND respond_by != '' AND respond_by < ? ORDER BY id"));
    q.Bind(1, t.now_iso);
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      offers.push_back(q.Text(0));
    }
  }
  for (const auto& b : beds) {
    BERTH_RETURN_IF_ERROR(ReleaseBed(store, b, t));
    ++out.holds_released;
  }
  for (const auto& id : offers) {
    const Status tx = store.db().Transaction([&]() -> Status {
      BERTH_RETURN_IF_ERROR(Put(store, "offer", id, {{"status", std::string("expired")}}));
      return store.AppendAudit("expire", "offer", id, "no answer by the deadline");
    });
    if (!tx.ok()) return tx;
    ++out.offers_expired;
  }
  return out;
}

}  // namespace berth::core

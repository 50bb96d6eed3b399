// The window's adapter to core's matcher: keeps a supply index and geography for the open store and
// rebuilds them when the store changes, so each selection matches in milliseconds.

#include "matching_adapter.h"

#include <fmt/format.h>

#include <unordered_map>

#include "berth/core/plan.h"
#include "berth/core/workflow.h"
#include "berth/schema/repository.h"

namespace berth::ui {

Status MatchingAdapter::Ensure(Store& store) {
  if (index_) return Status::Ok();
  if (geo_ == nullptr) {
    auto geo = core::DefaultGeography();
    geo_ = geo.ok() ? *geo : nullptr;  // without geography distances are unknown; matching still works
  }
  BERTH_ASSIGN_OR_RETURN(settings_, core::LoadMatchSettings(store));
  BERTH_ASSIGN_OR_RETURN(core::SupplyIndex ix, core::SupplyIndex::Build(store.db(), geo_));
  index_.emplace(std::move(ix));
  return Status::Ok();
}

core::MatchContext MatchingAdapter::Context() const {
  return core::ContextNow(*index_, settings_, geo_);
}

MatchOption MatchingAdapter::Option(const core::MatchContext& ctx, const core::Needs& n,
                                    const core::Candidate& c) const {
  const core::SupplyIndex& ix = *index_;
  MatchOption o;
  o.kind = std::string(core::KindCode(c.kind));
  const core::ProviderSlot& p = ix.providers()[c.provider];
  o.provider_id = p.id;
  o.provider_name = p.name;
  if (c.kind == core::CandidateKind::kBed) {
    const core::BedSlot& b = ix.beds()[c.bed];
    o.bed_id = b.id;
    o.room = b.room;
    o.category = std::string(ToString(b.category));
    o.contract = b.contract == ContractType::kBlock && b.tier != BlockTier::kNone
                     ? "block " + std::string(ToString(b.tier))
                     : std::string(ToString(b.contract));
  } else {
    if (c.zone != core::kNoSlot) o.zone = ix.zones()[c.zone].name;
    for (const auto& u : c.bands) o.bands += (o.bands.empty() ? "" : ",") + std::string(ToString(u.band));
    o.contract = "homecare";
  }
  o.distance_km = c.distance_km ? *c.distance_km : -1;
  o.weekly_cost_pence = c.weekly_cost_pence;
  o.score = c.score;
  o.fit = core::FitPercent(settings_, c);
  if (c.over_budget_pence > 0) o.over_budget = core::OverBudgetWords(c);
  // The components in core's words, which fit beds and homecare alike.
  for (core::ScoreLine& l : core::ScoreLines(ctx, n, c))
    o.components.push_back({std::move(l.name), l.points, 0, std::move(l.words)});
  return o;
}

Result<MatchData> MatchingAdapter::Match(Store& store, const std::string& referral_id) {
  BERTH_RETURN_IF_ERROR(Ensure(store));
  BERTH_ASSIGN_OR_RETURN(Referral r, LoadReferral(store.db(), referral_id));
  const core::MatchContext ctx = Context();
  const core::MatchResult m = core::Match(ctx, r);
  MatchData d;
  d.matched = true;
  d.referral_id = referral_id;
  d.referral_name = r.name;
  d.options.reserve(m.candidates.size());
  for (const core::Candidate& c : m.candidates) d.options.push_back(Option(ctx, m.needs, c));
  d.excluded.reserve(m.excluded.size());
  for (const core::Exclusion& e : m.excluded) {
    ExcludedOption x;
    const core::ProviderSlot& p = index_->providers()[e.provider];
    x.provider_id = p.id;
    x.provider_name = p.name;
    if (e.bed != core::kNoSlot) {
      x.bed_id = index_->beds()[e.bed].id;
      x.provider_name += ", room " + index_->beds()[e.bed].room;
    }
    x.reason_code = std::string(core::RuleCode(e.rule));
    x.reason = core::ReasonSentence(ctx, m.needs, e);
    d.excluded.push_back(std::move(x));
  }
  if (m.candidates.size() < core::kFewOptions) {
    for (const core::NearMiss& x : core::NearMisses(ctx, m)) {
      const core::Exclusion& e = x.exclusion;
      std::string what = index_->providers()[e.provider].name;
      if (e.bed != core::kNoSlot) what += ", room " + index_->beds()[e.bed].room;
      d.near_misses.push_back(what + ": " + x.words);
    }
  }
  if (const core::PersonNotes* notes = index_->Notes(referral_id)) {
    for (const core::OfferNote& o : notes->offers) {
      OfferView v;
      v.id = o.id;
      v.provider_name = o.provider == core::kNoSlot ? "" : index_->providers()[o.provider].name;
      if (const uint32_t b = index_->FindBed(o.bed_id); b != core::kNoSlot) v.room = index_->beds()[b].room;
      v.status = core::OfferStatusAt(o, ctx.now_iso);
      v.decline_reason = std::string(ToString(o.decline_reason));
      v.respond_by = o.respond_by;
      d.offers.push_back(std::move(v));
    }
  }
  return d;
}

Result<CommissioningData> MatchingAdapter::Commissioning(Store& store) {
  BERTH_RETURN_IF_ERROR(Ensure(store));
  const core::MatchContext ctx = Context();
  const std::string to = ctx.today, from = IsoDateFromDays(DaysFromIsoDate(to) - 27);
  CommissioningData d;
  BERTH_ASSIGN_OR_RETURN(d.why_voids, core::BuildWhyVoidsReport(store.db(), ctx));
  BERTH_ASSIGN_OR_RETURN(d.unmet, core::BuildUnmetReport(store.db(), ctx));
  BERTH_ASSIGN_OR_RETURN(d.responses, core::BuildResponsesReport(store.db(), from, to, ctx.now_iso));
  if (geo_ != nullptr) {
    BERTH_ASSIGN_OR_RETURN(d.spend,
                           core::BuildSpendReport(store.db(), from, to, core::DefaultCouncilAreas(*geo_)));
  }
  d.available = true;
  return d;
}

Result<PlanData> MatchingAdapter::Plan(Store& store) {
  BERTH_RETURN_IF_ERROR(Ensure(store));
  const core::MatchContext ctx = Context();
  BERTH_ASSIGN_OR_RETURN(std::vector<Referral> queue, core::LoadOpenQueue(store.db(), ctx.today));
  const core::Plan plan = core::MakePlan(ctx, queue);
  std::unordered_map<std::string, const Referral*> by_id;
  for (const Referral& r : queue) by_id[r.id] = &r;
  PlanData d;
  d.matched = true;
  for (const core::PlanAllocation& a : plan.allocations) {
    PlanAllocation out;
    out.referral_id = a.referral_id;
    auto it = by_id.find(a.referral_id);
    const Referral* r = it == by_id.end() ? nullptr : it->second;
    out.referral_name = r ? r->name : a.referral_id;
    core::Needs n;
    if (r) n = core::PrepareNeeds(ctx, *r);
    out.option = Option(ctx, n, a.candidate);
    out.reason = a.reason;
    d.allocations.push_back(std::move(out));
  }
  for (const core::PlanUnplaced& u : plan.unplaced) {
    auto it = by_id.find(u.referral_id);
    d.unplaced.push_back({u.referral_id, it == by_id.end() ? u.referral_id : it->second->name, u.reason});
  }
  const core::PlanTotals& t = plan.totals;
  d.totals = fmt::format(
      "{} of {} placed ({} beds, {} homecare); {} voids filled ({} a week); {} delay days "
      "cleared; method: {}",
      t.placed, t.referrals, t.beds, t.homecare, t.voids_filled, Pounds(t.void_weekly_pence_filled),
      t.delay_days_cleared, t.method);
  return d;
}

Result<std::string> MatchingAdapter::Act(Store& store, const WorkflowCommand& c, std::string* bed_id) {
  BERTH_RETURN_IF_ERROR(Ensure(store));
  const core::WorkflowTime t = core::WorkflowTime::Now();
  auto act = Overloaded{
      [&](const cmd::Hold& h) -> Result<std::string> {
        if (h.bed_id.empty()) {
          // Homecare hours are not held: accepting a homecare option offers the package to the agency.
          BERTH_ASSIGN_OR_RETURN(
              auto ids, core::SendOffers(store, settings_, geo_, h.referral_id, {{h.provider_id, ""}}, t));
          return "Offered the package to " + h.label;
        }
        BERTH_ASSIGN_OR_RETURN(core::HoldResult held,
                               core::HoldBed(store, settings_, h.referral_id, h.bed_id, t));
        *bed_id = h.bed_id;
        return "Held " + h.label + " until " + held.held_until.substr(0, 16) + " (see Capacity, Ctrl+5)";
      },
      [&](const cmd::Offer& o) -> Result<std::string> {
        BERTH_ASSIGN_OR_RETURN(auto ids, core::SendOffers(store, settings_, geo_, o.referral_id,
                                                          {{o.provider_id, o.bed_id}}, t));
        return "Offered the package (anonymised) to " + o.label;
      },
      [&](const cmd::SendOffers& o) -> Result<std::string> {
        std::vector<core::OfferTarget> targets;
        for (const cmd::OfferTarget& x : o.targets) targets.push_back({x.provider_id, x.bed_id});
        BERTH_ASSIGN_OR_RETURN(auto ids, core::SendOffers(store, settings_, geo_, o.referral_id, targets, t));
        return fmt::format("Sent the anonymised package to {} provider{}: {}", ids.size(),
                           ids.size() == 1 ? "" : "s", o.names);
      },
      [&](const cmd::WithdrawOffer& o) -> Result<std::string> {
        BERTH_RETURN_IF_ERROR(core::WithdrawOffer(store, o.offer_id, t));
        return "Offer to " + o.provider_name + " withdrawn";
      },
      [&](const cmd::Confirm& p) -> Result<std::string> {
        // The provider must have accepted (core refuses otherwise and says how to record its answer).
        core::PlacementTerms terms;
        terms.start_date = t.today;
        if (!p.bed_id.empty()) {
          BERTH_ASSIGN_OR_RETURN(std::string placement,
                                 core::ConfirmBed(store, p.referral_id, p.bed_id, terms, t));
          *bed_id = p.bed_id;
        } else {
          BERTH_ASSIGN_OR_RETURN(auto placements, core::ConfirmHomecare(store, Context(), p.referral_id,
                                                                        p.provider_id, terms, t));
        }
        return "Placement confirmed with " + p.label;
      },
      [&](const cmd::Release& r) -> Result<std::string> {
        BERTH_RETURN_IF_ERROR(core::ReleaseBed(store, r.bed_id, t));
        *bed_id = r.bed_id;
        return "Hold released (" + r.label + ")";
      },
      [&](const cmd::AnswerOffer& a) -> Result<std::string> {
        if (a.accept) {
          BERTH_RETURN_IF_ERROR(core::AcceptOffer(store, a.offer_id, t));
          return "Offer accepted by " + a.provider_name;
        }
        BERTH_ASSIGN_OR_RETURN(DeclineReason why, FromString<DeclineReason>(a.decline_reason));
        BERTH_RETURN_IF_ERROR(core::DeclineOffer(store, a.offer_id, why, "", t));
        return "Offer declined by " + a.provider_name + " (" + a.decline_reason + ")";
      },
      [&](const cmd::HandBack& h) -> Result<std::string> {
        BERTH_ASSIGN_OR_RETURN(HandbackReason why, FromString<HandbackReason>(h.reason));
        BERTH_ASSIGN_OR_RETURN(std::string id,
                               core::HandBackReferral(store, h.referral_id, why, h.last_day, t));
        return "Handed back: care continues until " + h.last_day + ", then the person is re-brokered first";
      },
      [&](const cmd::CancelReferral& r) -> Result<std::string> {
        BERTH_ASSIGN_OR_RETURN(CancelReason why, FromString<CancelReason>(r.reason));
        BERTH_RETURN_IF_ERROR(core::CancelReferral(store, r.referral_id, why, t));
        return "Referral cancelled (" + r.reason + "): out of the queue, holds released, offers withdrawn";
      },
      [&](const cmd::ReopenReferral& r) -> Result<std::string> {
        BERTH_RETURN_IF_ERROR(core::ReopenReferral(store, r.referral_id, t));
        return std::string("Referral reopened: back in the queue");
      },
  };
  Result<std::string> message = std::visit(act, c);
  if (message.ok()) Invalidate();  // supply changed; the next match or plan reads it afresh
  return message;
}

}  // namespace berth::ui

// A seeded property test of the workflow: random sequences of operations (hold, offer, accept, decline,
// confirm a bed or homecare, hand back with notice, release, expire, bed status changes, cancel, reopen,
// a discharge-ready date change, a day passing) through the core API, with the invariants checked after
// every step:
//   * a refused operation writes nothing (no outbox entry, no row);
//   * no bed has two placements covering the same day, and no capacity row gives out more hours on any day
//     than it has;
//   * no bed is a candidate for anyone on a day a placement takes it, or while it is held for someone else,
//     out of use, or occupied with no end known;
//   * no provider that declined a person (or handed them back) is a candidate for that person;
//   * a cancelled referral holds no bed and has no pending or accepted offer;
//   * the plan allocates no bed twice and no homecare hours beyond what is free.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "berth/core/plan.h"
#include "berth/core/referrals.h"
#include "berth/core/workflow.h"
#include "berth/schema/occupancy.h"
#include "match_fixture.h"

namespace berth {
namespace {

class WorkflowProperty : public testing::MatchFixture, public ::testing::WithParamInterface<uint32_t> {
 protected:
  std::mt19937 rng;
  core::WorkflowTime t;
  std::vector<std::string> beds, homes, agencies, referrals;

  int Pick(int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
  template <class T>
  const T& Any(const std::vector<T>& v) {
    return v[static_cast<size_t>(Pick(static_cast<int>(v.size())))];
  }
  std::string Day(int offset) const { return IsoDateFromDays(DaysFromIsoDate(t.today) + offset); }
  int64_t Count(const std::string& sql) { return *store().db().QueryInt(sql); }

  void Generate() {
    t = *core::WorkflowTime::At(std::string(testing::kToday) + "T09:00:00Z");
    for (int h = 0; h < 3; ++h) {
      Provider p = Home("H" + std::to_string(h));
      Put(p);
      homes.push_back(p.id);
      for (int b = 0; b < 2 + Pick(2); ++b) {
        Bed bed = MakeBed(p.id + "-B" + std::to_string(b), p.id);
        bed.contract = Chance(0.5) ? ContractType::kBlock : ContractType::kSpot;
        Put(bed);
        beds.push_back(bed.id);
      }
    }
    for (int a = 0; a < 2; ++a) {
      Provider p = Agency("A" + std::to_string(a));
      Put(p);
      agencies.push_back(p.id);
      Put(Cap(p.id + "-M", p.id, "Huntingdonshire", TimeBand::kMorning, 7 + Pick(8)));
      Put(Cap(p.id + "-B", p.id, "Huntingdonshire", TimeBand::kBed, 7 + Pick(8)));
    }
    for (int r = 0; r < 8; ++r) {
      Referral ref = r % 3 == 2 ? HomecareRef("R" + std::to_string(r)) : Ref("R" + std::to_string(r));
      ref.status = ReferralStatus::kNew;
      ref.discharge_ready_date = Day(Pick(10) - 3);
      ref.weekly_budget_pence = 0;
      ref.funding = Funding::kChc;  // every option affordable: the test is about time and answers
      Put(ref);
      referrals.push_back(ref.id);
    }
  }

  // One random operation; returns what it was, for failure messages.
  std::string Step() {
    const std::string r = Any(referrals), bed = Any(beds);
    auto offers_of = [&](OfferStatus s) {
      std::vector<Offer> out;
      const auto all = *LoadOffers(store().db());
      for (const auto& o : all) {
        if (o.status == s) out.push_back(o);
      }
      return out;
    };
    Status st;
    std::string what;
    switch (Pick(15)) {
      case 0:
        what = "hold " + r + " " + bed;
        st = core::HoldBed(store(), settings_, r, bed, t).status();
        break;
      case 1:
        what = "release " + bed;
        st = core::ReleaseBed(store(), bed, t);
        break;
      case 2: {
        const bool one_bed = Chance(0.5);
        const std::string provider = one_bed       ? LoadBed(store().db(), bed)->provider_id
                                     : Chance(0.5) ? Any(homes)
                                                   : Any(agencies);
        what = "offer " + r + " " + provider;
        st = core::SendOffers(store(), settings_, geo(), r, {{provider, one_bed ? bed : ""}}, t).status();
        break;
      }
      case 3: {
        auto pending = offers_of(OfferStatus::kPending);
        if (pending.empty()) return "no pending offer";
        const Offer o = Any(pending);
        what = "accept " + o.id;
        st = core::AcceptOffer(store(), o.id, t);
        break;
      }
      case 4: {
        auto pending = offers_of(OfferStatus::kPending);
        if (pending.empty()) return "no pending offer";
        what = "decline";
        st = core::DeclineOffer(store(), Any(pending).id, static_cast<DeclineReason>(1 + Pick(7)), "", t);
        break;
      }
      case 5:
      case 6: {
        core::PlacementTerms terms;
        terms.start_date = Day(Pick(40));
        if (Chance(0.3)) terms.end_date = Day(Pick(60));
        if (Chance(0.5)) terms.override_reason = "arranged by phone";
        what = "confirm " + r + " " + bed + " " + terms.start_date + ".." + terms.end_date;
        st = core::ConfirmBed(store(), r, bed, terms, t).status();
        break;
      }
      case 7: {
        core::PlacementTerms terms;
        terms.start_date = Day(Pick(20));
        if (Chance(0.5)) terms.override_reason = "arranged by phone";
        what = "confirm homecare " + r;
        st = core::ConfirmHomecare(store(), Context(), r, Any(agencies), terms, t).status();
        break;
      }
      case 8: {
        std::vector<Placement> live;
        const auto all = *LoadPlacements(store().db());
        for (const auto& p : all) {
          if (p.status == PlacementStatus::kActive || p.status == PlacementStatus::kPlanned)
            live.push_back(p);
        }
        if (live.empty()) return "no placement";
        what = "hand back";
        st = core::HandBack(store(), Any(live).id, HandbackReason::kStaffing, Day(Pick(30)), t).status();
        break;
      }
      case 9: {
        static const BedStatus kTo[] = {BedStatus::kVacant, BedStatus::kOccupied, BedStatus::kUnavailable};
        const BedStatus to = kTo[Pick(3)];
        what = "bed " + bed + " " + std::string(ToString(to));
        st = core::SetBedStatus(
            store(), bed, to,
            to == BedStatus::kUnavailable ? UnavailableReason::kStaffing : UnavailableReason::kNone, t);
        break;
      }
      case 10:
        what = "expire";
        st = core::ExpireLapsed(store(), t).status();
        break;
      case 11:
        what = "cancel " + r;
        st = core::CancelReferral(store(), r, static_cast<CancelReason>(1 + Pick(8)), t);
        break;
      case 12:
        what = "reopen " + r;
        st = core::ReopenReferral(store(), r, t);
        break;
      case 13:
        what = "discharge-ready date of " + r;
        st = core::ChangeDischargeReadyDate(store(), r, Day(Pick(20) - 5), "", t);
        break;
      default: {
        // Time passes: a few hours, or a day or more.
        const int hours = Chance(0.5) ? 3 + Pick(4) : 24 * (1 + Pick(4));
        t = *core::WorkflowTime::At(core::AddHours(t.now_iso, hours));
        return "time passes to " + t.now_iso;
      }
    }
    last_ok = st.ok();
    if (!st.ok()) {
      EXPECT_TRUE(st.code() == Code::kConflict || st.code() == Code::kBadInput ||
                  st.code() == Code::kNotFound)
          << what << ": " << st.ToString();
    }
    return what;
  }

  void CheckInvariants(const std::string& step) {
    const auto placements = *LoadPlacements(store().db());
    // No bed taken twice on one day; no capacity row over its hours on any day.
    std::map<std::string, std::vector<const Placement*>> by_bed;
    std::map<std::string, std::vector<HoursSpan>> by_cap;
    for (const Placement& p : placements) {
      if (!PlacementTakesDays(ToString(p.status), p.end_date)) continue;
      if (!p.bed_id.empty()) by_bed[p.bed_id].push_back(&p);
      if (!p.homecare_capacity_id.empty())
        by_cap[p.homecare_capacity_id].push_back({p.start_date, p.end_date, p.hours_per_week});
    }
    for (const auto& [bed, ps] : by_bed) {
      for (size_t i = 0; i < ps.size(); ++i) {
        for (size_t j = i + 1; j < ps.size(); ++j) {
          EXPECT_FALSE(
              DayRangesOverlap(ps[i]->start_date, ps[i]->end_date, ps[j]->start_date, ps[j]->end_date))
              << "bed " << bed << " taken twice by " << ps[i]->id << " and " << ps[j]->id << " after "
              << step;
        }
      }
    }
    for (const auto& [cap, spans] : by_cap) {
      EXPECT_LE(PeakHours(spans, "", ""), LoadHomecareCapacityRow(store().db(), cap)->hours_per_week + 1e-9)
          << "capacity " << cap << " over-allocated after " << step;
    }
    // Candidates: never a bed taken on or after the day it is offered from, held for someone else until
    // after it, out of use, or occupied with no end known; never a provider that declined or handed back.
    core::MatchContext ctx = Context();
    ctx.today = t.today;
    ctx.now_iso = t.now_iso;
    std::vector<Referral> open;
    for (const std::string& id : referrals) {
      const Referral r = *LoadReferral(store().db(), id);
      if (r.status == ReferralStatus::kCancelled) {
        // A cancelled referral holds no bed and has no live offer.
        EXPECT_EQ(
            Count("SELECT count(*) FROM bed WHERE status = 'held' AND held_for_referral_id = '" + id + "'"),
            0)
            << id << " cancelled but holding a bed, after " << step;
        EXPECT_EQ(Count("SELECT count(*) FROM offer WHERE referral_id = '" + id +
                        "' AND (status = 'pending' OR status = 'accepted')"),
                  0)
            << id << " cancelled with a live offer, after " << step;
        EXPECT_NE(r.cancel_reason, CancelReason::kNone) << id << " after " << step;
      }
      if (!core::IsOpen(r.status)) continue;
      open.push_back(r);
      std::set<std::string> refused;  // provider, or provider/bed
      const auto offers = *LoadOffersForReferral(store().db(), id);
      for (const auto& o : offers) {
        if (o.status == OfferStatus::kDeclined)
          refused.insert(o.bed_id.empty() ? o.provider_id : o.provider_id + "/" + o.bed_id);
      }
      const auto handbacks = *LoadHandbacksOfReferral(store().db(), id);
      for (const auto& h : handbacks) refused.insert(h.provider_id);
      const core::MatchResult m = core::Match(ctx, r);
      for (const core::Candidate& c : m.candidates) {
        const std::string provider = index_->providers()[c.provider].id;
        EXPECT_FALSE(refused.count(provider))
            << provider << " declined or handed back " << id << " after " << step;
        if (c.kind != core::CandidateKind::kBed) continue;
        const Bed b = *LoadBed(store().db(), index_->beds()[c.bed].id);
        EXPECT_FALSE(refused.count(provider + "/" + b.id))
            << b.id << " declined for " << id << " after " << step;
        const std::string from = IsoDateFromDays(c.available_day);
        EXPECT_GE(from, t.today);
        for (const Placement* p : by_bed[b.id]) {
          EXPECT_FALSE(DayRangesOverlap(p->start_date, p->end_date, from, ""))
              << b.id << " offered to " << id << " from " << from << " but placement " << p->id
              << " takes it " << p->start_date << ".." << p->end_date << " after " << step;
        }
        EXPECT_NE(b.status, BedStatus::kUnavailable) << b.id << " after " << step;
        if (b.status == BedStatus::kHeld && b.held_for_referral_id != id && b.held_until > t.now_iso) {
          EXPECT_GE(from, b.held_until.substr(0, 10)) << b.id << " held for another, after " << step;
        }
        if (b.status == BedStatus::kOccupied) {
          EXPECT_FALSE(by_bed[b.id].empty()) << b.id << " occupied outside Berth offered, after " << step;
        }
      }
    }
    // The plan: no bed twice, no hours beyond what is free from the day each package starts.
    const core::Plan plan = core::MakePlan(ctx, open);
    std::set<std::string> planned_beds;
    std::map<std::string, double> hours;
    for (const auto& a : plan.allocations) {
      if (a.candidate.kind == core::CandidateKind::kBed) {
        EXPECT_TRUE(planned_beds.insert(index_->beds()[a.candidate.bed].id).second)
            << "bed twice after " << step;
      }
      for (const auto& u : a.candidate.bands) {
        const auto& slot = index_->capacity()[u.capacity];
        hours[slot.id] += u.hours;
        EXPECT_LE(hours[slot.id], slot.RemainingFrom(a.candidate.available_day) + 1e-9)
            << "hours over-allocated on " << slot.id << " after " << step;
      }
    }
  }

  bool last_ok = false;
};

TEST_P(WorkflowProperty, RandomWorkflowsKeepEveryInvariant) {
  rng.seed(GetParam());
  Generate();
  int done = 0;
  for (int i = 0; i < 60; ++i) {
    const int64_t before = Count("SELECT coalesce(max(seq), 0) FROM outbox");
    const int64_t rows = Count(
        "SELECT (SELECT count(*) FROM placement) + (SELECT count(*) FROM offer) +"
        " (SELECT count(*) FROM handback) + (SELECT count(*) FROM referral_date_change)");
    last_ok = true;
    const std::string step = Step();
    if (!last_ok) {
      // Refused: nothing at all was written.
      EXPECT_EQ(Count("SELECT coalesce(max(seq), 0) FROM outbox"), before) << step;
      EXPECT_EQ(Count("SELECT (SELECT count(*) FROM placement) + (SELECT count(*) FROM offer) +"
                      " (SELECT count(*) FROM handback) + (SELECT count(*) FROM referral_date_change)"),
                rows)
          << step;
    } else {
      ++done;
    }
    CheckInvariants(step + " (seed " + std::to_string(GetParam()) + ", step " + std::to_string(i) + ")");
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(done, 10) << "too few operations went through to test anything";
  EXPECT_GT(Count("SELECT count(*) FROM placement"), 0);
  EXPECT_GT(Count("SELECT count(*) FROM audit WHERE action = 'cancel'"), 0) << "no cancellation was tried";
}

INSTANTIATE_TEST_SUITE_P(Seeds, WorkflowProperty, ::testing::Range(1u, 7u));

}  // namespace
}  // namespace berth

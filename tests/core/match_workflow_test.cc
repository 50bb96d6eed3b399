// The referral workflow: each transition, its claim mutation in the outbox (so sync carries it to the
// hub), its audit entry, and the illegal transitions refused with nothing written.
#include <gtest/gtest.h>

#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "berth/core/plan.h"
#include "berth/core/referrals.h"
#include "berth/core/reports.h"
#include "berth/core/workflow.h"
#include "berth/schema/outbox.h"
#include "match_fixture.h"

namespace berth {
namespace {

using core::WorkflowTime;

class Workflow : public testing::MatchFixture {
 protected:
  void SetUp() override {
    MatchFixture::SetUp();
    Put(Home("H1"));
    Put(Home("H2"));
    Put(Home("H3"));
    Put(MakeBed("B1", "H1"));
    Put(MakeBed("B2", "H2"));
    Referral r = Ref("R1");
    r.status = ReferralStatus::kNew;
    Put(r);
  }
  WorkflowTime At(const std::string& iso) {
    auto t = WorkflowTime::At(iso);
    EXPECT_TRUE(t.ok());
    return *t;
  }
  WorkflowTime Now() { return At("2026-03-10T09:00:00Z"); }
  static core::PlacementTerms Terms(const std::string& start, const std::string& override_reason = "",
                                    const std::string& end = "") {
    core::PlacementTerms t;
    t.start_date = start;
    t.end_date = end;
    t.override_reason = override_reason;
    return t;
  }
  // Arranged by phone: a placement confirmed without an offer in Berth.
  static core::PlacementTerms ByPhone(const std::string& start, const std::string& end = "") {
    return Terms(start, "arranged by phone with the home", end);
  }
  Placement P(const std::string& id) { return *LoadPlacement(store().db(), id); }
  int64_t AuditCount(const std::string& action) {
    return Count("SELECT count(*) FROM audit WHERE action = '" + action + "'");
  }
  Referral R(const std::string& id = "R1") { return *LoadReferral(store().db(), id); }
  Bed B(const std::string& id) { return *LoadBed(store().db(), id); }
  int64_t Count(const std::string& sql) { return *store().db().QueryInt(sql); }
  // The outbox as sync will push it: (seq, mutation), decoded from the stored payloads.
  std::vector<std::pair<int64_t, Mutation>> Outbox() {
    std::vector<std::pair<int64_t, Mutation>> out;
    auto q =
        store().db().Prepare(std::string("SELECT seq, ") + kOutboxEntryColumns + " FROM outbox ORDER BY seq");
    EXPECT_TRUE(q.ok());
    while (*q->Step()) {
      auto m = ReadOutboxEntry(*q, 1);
      EXPECT_TRUE(m.ok()) << m.status().ToString();
      if (m.ok()) out.emplace_back(q->Int(0), std::move(m).value());
    }
    return out;
  }
  // Outbox claims named `claim` (on `entity`, and `row` when given), and the seq of the last one.
  int64_t Claims(const std::string& claim, const std::string& entity, const std::string& row = "",
                 int64_t* last = nullptr) {
    int64_t n = 0;
    for (const auto& [seq, m] : Outbox()) {
      if (m.kind == MutationKind::kClaim && m.claim == claim && m.entity == entity &&
          (row.empty() || m.row_id == row)) {
        ++n;
        if (last) *last = seq;
      }
    }
    return n;
  }
  int64_t LastWriteTo(const std::string& entity, const std::string& row) {
    int64_t last = 0;
    for (const auto& [seq, m] : Outbox()) {
      if (m.entity == entity && m.row_id == row) last = seq;
    }
    return last;
  }
  std::vector<std::string> AuditActions(const std::string& referral) {
    std::vector<std::string> out;
    auto trail = store().AuditTrail("referral", referral);
    EXPECT_TRUE(trail.ok());
    for (const auto& e : *trail) out.push_back(e.action);
    return out;
  }
  bool Has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  }
  std::map<std::string, int64_t> Snapshot() {
    std::map<std::string, int64_t> out;
    for (const char* t :
         {"bed", "referral", "offer", "placement", "handback", "referral_date_change", "outbox", "audit"}) {
      out[t] = Count(std::string("SELECT count(*) FROM ") + t);
    }
    out["outbox_last"] = Count("SELECT coalesce(max(seq), 0) FROM outbox");
    return out;
  }
};

TEST_F(Workflow, HoldWritesABedHoldClaimThatExpiresAfterFourHours) {
  const auto h = core::HoldBed(store(), settings_, "R1", "B1", Now());
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->held_until, "2026-03-10T13:00:00Z");
  const Bed b = B("B1");
  EXPECT_EQ(b.status, BedStatus::kHeld);
  EXPECT_EQ(b.held_for_referral_id, "R1");
  EXPECT_EQ(R().status, ReferralStatus::kSourcing);
  EXPECT_EQ(Claims("bed_hold", "bed", "B1"), 1);
  EXPECT_TRUE(Has(AuditActions("R1"), "hold"));
  // Another referral cannot take it while the hold lasts, but can once it has lapsed.
  Put(Ref("R2"));
  const auto other = core::HoldBed(store(), settings_, "R2", "B1", At("2026-03-10T12:59:59Z"));
  EXPECT_EQ(other.status().code(), Code::kConflict);
  EXPECT_NE(other.status().message().find("held for another referral"), std::string::npos);
  EXPECT_TRUE(core::HoldBed(store(), settings_, "R2", "B1", At("2026-03-10T13:00:00Z")).ok());
  EXPECT_EQ(B("B1").held_for_referral_id, "R2");
}

TEST_F(Workflow, HoldLengthIsASetting) {
  ASSERT_TRUE(core::SetMatchSetting(store(), "hold_hours", "2").ok());
  settings_ = *core::LoadMatchSettings(store());
  const auto h = core::HoldBed(store(), settings_, "R1", "B1", Now());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->held_until, "2026-03-10T11:00:00Z");
}

TEST_F(Workflow, ReleaseAndExpiry) {
  ASSERT_TRUE(core::HoldBed(store(), settings_, "R1", "B1", Now()).ok());
  ASSERT_TRUE(core::ReleaseBed(store(), "B1", Now()).ok());
  EXPECT_EQ(B("B1").status, BedStatus::kVacant);
  EXPECT_EQ(Claims("release", "bed", "B1"), 1);
  EXPECT_EQ(core::ReleaseBed(store(), "B1", Now()).code(), Code::kConflict);  // not held any more
  // Lapsed holds are released by the housekeeping pass; live ones are kept.
  ASSERT_TRUE(core::HoldBed(store(), settings_, "R1", "B1", Now()).ok());
  ASSERT_TRUE(core::HoldBed(store(), settings_, "R1", "B2", At("2026-03-10T12:00:00Z")).ok());
  const auto report = core::ExpireLapsed(store(), At("2026-03-10T14:00:00Z"));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->holds_released, 1);
  EXPECT_EQ(B("B1").status, BedStatus::kVacant);
  EXPECT_EQ(B("B2").status, BedStatus::kHeld);
}

TEST_F(Workflow, OffersGoToSeveralProvidersAsAnAnonymisedPackage) {
  const auto ids =
      core::SendOffers(store(), settings_, geo(), "R1", {{"H1", "B1"}, {"H2", ""}, {"H3", ""}}, Now());
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_EQ(R().status, ReferralStatus::kOffered);
  auto offers = *LoadOffersForReferral(store().db(), "R1");
  ASSERT_EQ(offers.size(), 3u);
  const Referral person = R();
  for (const auto& o : offers) {
    EXPECT_EQ(o.status, OfferStatus::kPending);
    EXPECT_EQ(o.sent_at, "2026-03-10T09:00:00Z");
    EXPECT_EQ(o.respond_by, "2026-03-12T09:00:00Z");  // routine: 48 hours
    // The package: needs, area, start date; never the name, NHS number, birth date or full postcode.
    const auto package = nlohmann::json::parse(o.note);
    EXPECT_EQ(package["area"], "PE29");
    EXPECT_EQ(package["start_date"], "2026-03-10");
    EXPECT_EQ(package["category"], "residential");
    EXPECT_EQ(package["age_band"], "80-89");
    for (const std::string& secret :
         {person.name, person.nhs_number, person.date_of_birth, person.postcode}) {
      EXPECT_EQ(o.note.find(secret), std::string::npos) << secret;
    }
  }
  EXPECT_TRUE(Has(AuditActions("R1"), "offer"));
  // Urgent referrals get the shorter window.
  Referral urgent = Ref("R2");
  urgent.priority = Priority::kUrgent;
  Put(urgent);
  ASSERT_TRUE(core::SendOffers(store(), settings_, geo(), "R2", {{"H1", ""}}, Now()).ok());
  EXPECT_EQ(LoadOffersForReferral(store().db(), "R2")->at(0).respond_by, "2026-03-11T09:00:00Z");
}

TEST_F(Workflow, BadOffersAreRefusedAndNothingIsWritten) {
  const auto before = Snapshot();
  EXPECT_EQ(core::SendOffers(store(), settings_, geo(), "R1", {}, Now()).status().code(), Code::kBadInput);
  EXPECT_EQ(
      core::SendOffers(store(), settings_, geo(), "R1", {{"H1", ""}, {"NOPE", ""}}, Now()).status().code(),
      Code::kNotFound);
  EXPECT_EQ(core::SendOffers(store(), settings_, geo(), "R1", {{"H1", "B2"}}, Now()).status().code(),
            Code::kBadInput);  // B2 belongs to H2
  EXPECT_EQ(
      core::SendOffers(store(), settings_, geo(), "R1", {{"H1", ""}, {"H1", ""}}, Now()).status().code(),
      Code::kBadInput);
  EXPECT_EQ(Snapshot(), before);
  ASSERT_TRUE(core::SendOffers(store(), settings_, geo(), "R1", {{"H1", ""}}, Now()).ok());
  const auto again = core::SendOffers(store(), settings_, geo(), "R1", {{"H1", ""}}, Now());
  EXPECT_EQ(again.status().code(), Code::kConflict);  // already a pending offer there
}

TEST_F(Workflow, AcceptDeclineAndConfirmCloseTheOtherOffers) {
  auto ids =
      *core::SendOffers(store(), settings_, geo(), "R1", {{"H1", "B1"}, {"H2", "B2"}, {"H3", ""}}, Now());
  // Decline needs a coded reason.
  EXPECT_EQ(core::DeclineOffer(store(), ids[2], DeclineReason::kNone, "", Now()).code(), Code::kBadInput);
  ASSERT_TRUE(
      core::DeclineOffer(store(), ids[2], DeclineReason::kCannotMeetNeeds, "no nurse at night", Now()).ok());
  EXPECT_EQ(R().status, ReferralStatus::kOffered);  // two still pending
  ASSERT_TRUE(core::AcceptOffer(store(), ids[0], At("2026-03-10T15:00:00Z")).ok());
  EXPECT_EQ(R().status, ReferralStatus::kAccepted);
  // Accepting twice, or declining an accepted offer, is refused.
  EXPECT_EQ(core::AcceptOffer(store(), ids[0], Now()).code(), Code::kConflict);
  EXPECT_EQ(core::DeclineOffer(store(), ids[0], DeclineReason::kPrice, "", Now()).code(), Code::kConflict);

  const auto placement =
      core::ConfirmBed(store(), "R1", "B1", Terms("2026-03-11"), At("2026-03-10T16:00:00Z"));
  ASSERT_TRUE(placement.ok()) << placement.status().ToString();
  EXPECT_EQ(R().status, ReferralStatus::kPlaced);
  EXPECT_EQ(P(*placement).status, PlacementStatus::kPlanned);  // care starts tomorrow
  EXPECT_EQ(P(*placement).override_reason, "");
  std::map<std::string, OfferStatus> status;
  const auto offers = *LoadOffersForReferral(store().db(), "R1");
  for (const auto& o : offers) status[o.provider_id] = o.status;
  EXPECT_EQ(status["H1"], OfferStatus::kAccepted);
  EXPECT_EQ(status["H2"], OfferStatus::kWithdrawn);
  EXPECT_EQ(status["H3"], OfferStatus::kDeclined);
  // The placement is a bed_confirm claim; the bed turns occupied on the first day of care (housekeeping),
  // after the claim (the hub needs that order).
  int64_t claim_seq = 0;
  EXPECT_EQ(Claims("bed_confirm", "placement", *placement, &claim_seq), 1);
  EXPECT_EQ(B("B1").status, BedStatus::kVacant);
  const auto started = core::ExpireLapsed(store(), At("2026-03-11T00:05:00Z"));
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(started->placements_started, 1);
  EXPECT_EQ(B("B1").status, BedStatus::kOccupied);
  EXPECT_EQ(B("B1").status_since, "2026-03-11");
  EXPECT_EQ(P(*placement).status, PlacementStatus::kActive);
  const int64_t bed_seq = LastWriteTo("bed", "B1");
  EXPECT_GT(claim_seq, 0);
  EXPECT_LT(claim_seq, bed_seq);
  const auto actions = AuditActions("R1");
  for (const char* a : {"offer", "decline", "accept", "confirm"}) EXPECT_TRUE(Has(actions, a)) << a;
  // Once placed, nothing more: offers, holds and confirmations are refused.
  const auto before = Snapshot();
  EXPECT_EQ(core::SendOffers(store(), settings_, geo(), "R1", {{"H2", ""}}, Now()).status().code(),
            Code::kConflict);
  EXPECT_EQ(core::HoldBed(store(), settings_, "R1", "B2", Now()).status().code(), Code::kConflict);
  const auto twice = core::ConfirmBed(store(), "R1", "B2", ByPhone("2026-03-11"), Now());
  EXPECT_EQ(twice.status().code(), Code::kConflict);
  EXPECT_NE(twice.status().message().find("is placed"), std::string::npos) << twice.status().message();
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(Workflow, AnExpiredOfferCannotBeAccepted) {
  auto ids = *core::SendOffers(store(), settings_, geo(), "R1", {{"H1", ""}}, Now());
  const auto late = core::AcceptOffer(store(), ids[0], At("2026-03-12T09:00:01Z"));
  EXPECT_EQ(late.code(), Code::kConflict);
  EXPECT_NE(late.message().find("expired"), std::string::npos);
  const auto report = core::ExpireLapsed(store(), At("2026-03-12T10:00:00Z"));
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->offers_expired, 1);
  EXPECT_EQ(LoadOffersForReferral(store().db(), "R1")->at(0).status, OfferStatus::kExpired);
}

TEST_F(Workflow, DecliningTheLastOfferReturnsTheReferralToSourcing) {
  auto ids = *core::SendOffers(store(), settings_, geo(), "R1", {{"H1", ""}}, Now());
  ASSERT_TRUE(core::DeclineOffer(store(), ids[0], DeclineReason::kNoCapacity, "", Now()).ok());
  EXPECT_EQ(R().status, ReferralStatus::kSourcing);
  const auto offers = *LoadOffersForReferral(store().db(), "R1");
  EXPECT_EQ(offers[0].decline_reason, DeclineReason::kNoCapacity);
}

TEST_F(Workflow, ConfirmRefusesABedHeldForSomeoneElseOrOccupied) {
  Put(Ref("R2"));
  ASSERT_TRUE(core::HoldBed(store(), settings_, "R2", "B1", Now()).ok());
  const auto before = Snapshot();
  const auto r = core::ConfirmBed(store(), "R1", "B1", ByPhone("2026-03-10"), Now());
  EXPECT_EQ(r.status().code(), Code::kConflict);
  EXPECT_EQ(core::ConfirmBed(store(), "R1", "B2", ByPhone("10/03/2026"), Now()).status().code(),
            Code::kBadInput);
  EXPECT_EQ(core::ConfirmBed(store(), "R1", "B2", ByPhone("2026-03-10", "2026-03-09"), Now()).status().code(),
            Code::kBadInput);  // ends before it starts
  EXPECT_EQ(core::ConfirmBed(store(), "R1", "NO_SUCH_BED", ByPhone("2026-03-10"), Now()).status().code(),
            Code::kNotFound);
  EXPECT_EQ(Snapshot(), before);
  // The holder itself may confirm.
  ASSERT_TRUE(core::ConfirmBed(store(), "R2", "B1", ByPhone("2026-03-10"), Now()).ok());
  EXPECT_EQ(B("B1").status, BedStatus::kOccupied);
  const auto taken = core::ConfirmBed(store(), "R1", "B1", ByPhone("2026-03-10"), Now());
  EXPECT_EQ(taken.status().code(), Code::kConflict);
  EXPECT_NE(taken.status().message().find("takes it from 2026-03-10, open-ended"), std::string::npos)
      << taken.status().message();
}

TEST_F(Workflow, ConfirmHomecareAllocatesHoursPerBandAsClaims) {
  Put(Agency("A1"));
  Put(Cap("A1-M", "A1", "Huntingdonshire", TimeBand::kMorning, 10));
  Put(Cap("A1-B", "A1", "Huntingdonshire", TimeBand::kBed, 10));
  Put(HomecareRef("HC1"));
  const auto ctx = Context();
  const auto ids = core::ConfirmHomecare(store(), ctx, "HC1", "A1", ByPhone("2026-03-10"), Now());
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(ids->size(), 2u);
  EXPECT_EQ(Claims("homecare_allocate", "placement"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM placement WHERE referral_id = 'HC1' AND hours_per_week = 3.5"), 2);
  EXPECT_EQ(R("HC1").status, ReferralStatus::kPlaced);
  // The index sees the hours gone after a refresh of the placements: 6.5 left per band.
  for (const auto& id : *ids) {
    ASSERT_TRUE(index_->Refresh(store().db(), "placement", id).ok());
  }
  EXPECT_DOUBLE_EQ(index_->capacity()[index_->FindCapacity("A1-M")].Remaining(), 6.5);
  // A package that no longer fits is refused with the rule that excludes it.
  Referral big = HomecareRef("HC2");
  big.homecare.calls_per_day = 4;  // 14 h: 7 per band, 6.5 left
  Put(big);
  const auto refused = core::ConfirmHomecare(store(), ctx, "HC2", "A1", ByPhone("2026-03-10"), Now());
  EXPECT_EQ(refused.status().code(), Code::kConflict);
  EXPECT_NE(refused.status().message().find("band_hours"), std::string::npos) << refused.status().message();
}

TEST_F(Workflow, HandBackKeepsTheBedUntilTheLastDayOfCareAndReopensTheReferralFirst) {
  Put(Ref("R2"));
  const auto placement = core::ConfirmBed(store(), "R1", "B1", ByPhone("2026-03-10"), Now());
  ASSERT_TRUE(placement.ok()) << placement.status().ToString();
  const auto before = Snapshot();
  EXPECT_EQ(core::HandBack(store(), *placement, HandbackReason::kNone, "2026-04-07", Now()).status().code(),
            Code::kBadInput);
  const auto past = core::HandBack(store(), *placement, HandbackReason::kNeedsChanged, "2026-03-09", Now());
  EXPECT_EQ(past.status().code(), Code::kBadInput);
  EXPECT_NE(past.status().message().find("before today"), std::string::npos) << past.status().message();
  EXPECT_EQ(Snapshot(), before);
  // Four weeks' notice: care continues until 2026-04-07.
  const auto hb = core::HandBack(store(), *placement, HandbackReason::kNeedsChanged, "2026-04-07", Now());
  ASSERT_TRUE(hb.ok()) << hb.status().ToString();
  const Referral r = R();
  EXPECT_EQ(r.status, ReferralStatus::kSourcing);
  EXPECT_EQ(r.priority, Priority::kHandBack);
  EXPECT_EQ(B("B1").status, BedStatus::kOccupied);  // the person is still in it
  EXPECT_EQ(P(*placement).status, PlacementStatus::kHandedBack);
  EXPECT_EQ(P(*placement).end_date, "2026-04-07");
  EXPECT_EQ(
      Count("SELECT count(*) FROM handback WHERE status = 'open' AND referral_id = 'R1' AND notice_date ="
            " '2026-03-10' AND end_date = '2026-04-07' AND provider_id = 'H1'"),
      1);
  EXPECT_GT(LastWriteTo("handback", *hb), before.at("outbox_last"));
  EXPECT_TRUE(Has(AuditActions("R1"), "handback"));
  // The queue ranks the hand back first, needed from the day after care ends.
  auto queue = core::LoadQueue(store().db(), "2026-03-10");
  ASSERT_TRUE(queue.ok());
  ASSERT_GE(queue->size(), 2u);
  EXPECT_EQ(queue->front().referral.id, "R1");
  EXPECT_EQ(queue->front().needed_from, "2026-04-08");
  // Nobody else gets the bed before the day after care ends, and the home is not proposed to R1 again.
  const Referral other = R("R2");
  auto m = MatchOne(other);
  EXPECT_EQ(RuleFor(m, "B1"), "not_available");
  const auto ctx = Context();
  for (const auto& e : m.excluded) {
    if (index_->beds()[e.bed].id == "B1") {
      EXPECT_NE(core::ReasonSentence(ctx, m.needs, e).find("free from 2026-04-08"), std::string::npos);
    }
  }
  Referral later = other;
  later.discharge_ready_date = "2026-04-08";
  m = MatchOne(later);
  EXPECT_EQ(RuleFor(m, "B1"), "");
  EXPECT_EQ(Ranking(m).front(), "bed:B1");
  EXPECT_EQ(m.candidates.front().available_day, DaysFromIsoDate("2026-04-08"));
  m = MatchOne(R());
  EXPECT_EQ(RuleFor(m, "B1"), "handed_back");
  EXPECT_EQ(m.needs.needed_day, DaysFromIsoDate("2026-04-08"));
  // Holding it, or placing someone from the last day of care, is refused; from the day after it stands.
  EXPECT_EQ(core::HoldBed(store(), settings_, "R2", "B1", Now()).status().code(), Code::kConflict);
  const auto early = core::ConfirmBed(store(), "R2", "B1", ByPhone("2026-04-07"), Now());
  EXPECT_EQ(early.status().code(), Code::kConflict);
  EXPECT_NE(early.status().message().find("until 2026-04-07"), std::string::npos) << early.status().message();
  const auto next = core::ConfirmBed(store(), "R2", "B1", ByPhone("2026-04-08"), Now());
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(B("B1").status, BedStatus::kOccupied);
  // A handed-back placement cannot be handed back again.
  EXPECT_EQ(
      core::HandBack(store(), *placement, HandbackReason::kStaffing, "2026-03-20", Now()).status().code(),
      Code::kConflict);
  // Re-brokering closes the hand back.
  ASSERT_TRUE(core::ConfirmBed(store(), "R1", "B2", ByPhone("2026-04-08"), Now()).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM handback WHERE status = 'rebrokered'"), 1);
  // Time passes: after the last day the first placement ends; the bed stays occupied by R2's from the 8th.
  const auto day = core::ExpireLapsed(store(), At("2026-04-08T00:10:00Z"));
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(day->placements_started, 2);
  EXPECT_EQ(B("B1").status, BedStatus::kOccupied);
  EXPECT_EQ(P(*next).status, PlacementStatus::kActive);
}

TEST_F(Workflow, ABedHandedBackIsVacantFromTheDayAfterCareEnds) {
  const auto placement = core::ConfirmBed(store(), "R1", "B1", ByPhone("2026-03-10"), Now());
  ASSERT_TRUE(placement.ok());
  ASSERT_TRUE(core::HandBack(store(), *placement, HandbackReason::kUnsafe, "2026-03-20", Now()).ok());
  auto day = core::ExpireLapsed(store(), At("2026-03-20T08:00:00Z"));
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(B("B1").status, BedStatus::kOccupied);  // the last day of care
  day = core::ExpireLapsed(store(), At("2026-03-21T08:00:00Z"));
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(B("B1").status, BedStatus::kVacant);
  EXPECT_EQ(B("B1").status_since, "2026-03-21");
  EXPECT_EQ(P(*placement).status, PlacementStatus::kHandedBack);  // still says how it ended
}

TEST_F(Workflow, AHomecarePackageIsHandedBackWholeAndItsHoursFreeAfterTheEnd) {
  Put(Agency("A1"));
  Put(Cap("A1-M", "A1", "Huntingdonshire", TimeBand::kMorning, 10));
  Put(Cap("A1-B", "A1", "Huntingdonshire", TimeBand::kBed, 10));
  Put(Agency("A2"));
  Put(Cap("A2-M", "A2", "Huntingdonshire", TimeBand::kMorning, 3.5));
  Put(Cap("A2-B", "A2", "Huntingdonshire", TimeBand::kBed, 3.5));
  Put(HomecareRef("HC1"));
  const auto ids = core::ConfirmHomecare(store(), Context(), "HC1", "A2", ByPhone("2026-03-10"), Now());
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  ASSERT_EQ(ids->size(), 2u);
  // Naming the referral hands back its one package: both bands, together.
  const auto hb = core::HandBackReferral(store(), "HC1", HandbackReason::kStaffing, "2026-03-24", Now());
  ASSERT_TRUE(hb.ok()) << hb.status().ToString();
  for (const auto& id : *ids) {
    EXPECT_EQ(P(id).status, PlacementStatus::kHandedBack);
    EXPECT_EQ(P(id).end_date, "2026-03-24");
  }
  EXPECT_EQ(Count("SELECT count(*) FROM handback WHERE hours_per_week = 7"), 1);
  // A2's hours are still taken until the 24th and free from the 25th.
  Put(HomecareRef("HC2"));
  auto m = MatchOne(R("HC2"));
  EXPECT_EQ(HomecareRuleFor(m, "A2"), "band_hours");
  Referral later = R("HC2");
  later.discharge_ready_date = "2026-03-25";
  m = MatchOne(later);
  EXPECT_EQ(HomecareRuleFor(m, "A2"), "");
  // HC1 is back in the queue: A2, who handed the package back, is not proposed; A1 is.
  m = MatchOne(R("HC1"));
  EXPECT_EQ(HomecareRuleFor(m, "A2"), "handed_back");
  EXPECT_EQ(Ranking(m), (std::vector<std::string>{"homecare:A1"}));
  // Handing back one band of a package is the same as handing back the package (already done): refused.
  EXPECT_EQ(
      core::HandBack(store(), (*ids)[1], HandbackReason::kStaffing, "2026-03-24", Now()).status().code(),
      Code::kConflict);
  EXPECT_EQ(
      core::HandBackReferral(store(), "HC1", HandbackReason::kStaffing, "2026-03-24", Now()).status().code(),
      Code::kConflict);  // nothing live left to hand back
}

TEST_F(Workflow, ConfirmNeedsTheProvidersAcceptanceOrAnOverrideReason) {
  const auto before = Snapshot();
  const auto bare = core::ConfirmBed(store(), "R1", "B1", Terms("2026-03-10"), Now());
  EXPECT_EQ(bare.status().code(), Code::kConflict);
  EXPECT_NE(bare.status().message().find("has not accepted an offer"), std::string::npos);
  EXPECT_NE(bare.status().message().find("--override"), std::string::npos);
  EXPECT_EQ(Snapshot(), before);
  // A pending offer, or an accepted one from another home, is not enough.
  auto ids = *core::SendOffers(store(), settings_, geo(), "R1", {{"H1", ""}, {"H2", ""}}, Now());
  EXPECT_EQ(core::ConfirmBed(store(), "R1", "B1", Terms("2026-03-10"), Now()).status().code(),
            Code::kConflict);
  ASSERT_TRUE(core::AcceptOffer(store(), ids[1], Now()).ok());  // H2 accepts
  EXPECT_EQ(core::ConfirmBed(store(), "R1", "B1", Terms("2026-03-10"), Now()).status().code(),
            Code::kConflict);
  // With H2's acceptance, H2's bed is confirmed.
  const auto placed = core::ConfirmBed(store(), "R1", "B2", Terms("2026-03-10"), Now());
  ASSERT_TRUE(placed.ok()) << placed.status().ToString();
  EXPECT_EQ(P(*placed).override_reason, "");
  // An override is kept on the placement and audited.
  Put(Ref("R2"));
  const auto phoned = core::ConfirmBed(store(), "R2", "B1", ByPhone("2026-03-10"), Now());
  ASSERT_TRUE(phoned.ok()) << phoned.status().ToString();
  EXPECT_EQ(P(*phoned).override_reason, "arranged by phone with the home");
  auto trail = *store().AuditTrail("referral", "R2");
  bool audited = false;
  for (const auto& e : trail)
    audited = audited || (e.action == "confirm" && e.detail.find("override") != std::string::npos);
  EXPECT_TRUE(audited);
}

TEST_F(Workflow, ADeclineExcludesThatProviderOrBedForThatPersonOnly) {
  Put(MakeBed("B1b", "H1"));
  Put(Ref("R2"));
  auto ids = *core::SendOffers(store(), settings_, geo(), "R1", {{"H1", ""}, {"H2", "B2"}}, Now());
  ASSERT_TRUE(core::DeclineOffer(store(), ids[0], DeclineReason::kNotCompatible, "", Now()).ok());
  ASSERT_TRUE(core::DeclineOffer(store(), ids[1], DeclineReason::kNoCapacity, "", Now()).ok());
  auto m = MatchOne(R());
  EXPECT_EQ(RuleFor(m, "B1"), "declined");
  EXPECT_EQ(RuleFor(m, "B1b"), "declined");
  EXPECT_EQ(RuleFor(m, "B2"), "declined");
  const auto j = core::MatchJson(Context(), m, 0);
  bool listed = false;
  for (const auto& x : j["excluded"]) {
    if (x["provider_id"] == "H1") {
      listed = true;
      EXPECT_EQ(x["reason_code"], "declined");
      EXPECT_EQ(x["decline_reason"], "not_compatible");
      EXPECT_NE(x["reason"].get<std::string>().find("not_compatible"), std::string::npos);
    }
  }
  EXPECT_TRUE(listed);
  // Someone else still sees both homes.
  m = MatchOne(R("R2"));
  EXPECT_EQ(RuleFor(m, "B1"), "");
  EXPECT_EQ(RuleFor(m, "B2"), "");
  // A decline of one bed leaves the home's other beds.
  Put(MakeBed("B2b", "H2"));
  m = MatchOne(R());
  EXPECT_EQ(RuleFor(m, "B2b"), "");
  EXPECT_EQ(Ranking(m).front(), "bed:B2b");
  // The plan never gives R1 a declined home.
  const auto plan = core::MakePlan(Context(), {R(), R("R2")});
  for (const auto& a : plan.allocations) {
    if (a.referral_id == "R1") {
      EXPECT_EQ(index_->beds()[a.candidate.bed].id, "B2b");
    }
  }
}

TEST_F(Workflow, AnOfferPastItsDeadlineShowsAsExpired) {
  auto ids = *core::SendOffers(store(), settings_, geo(), "R1", {{"H1", ""}}, Now());
  auto ctx = Context();
  ctx.now_iso = "2026-03-13T09:00:00Z";
  const auto j = core::MatchJson(ctx, core::Match(ctx, R()), 0);
  ASSERT_EQ(j["offers"].size(), 1u);
  EXPECT_EQ(j["offers"][0]["offer_id"], ids[0]);
  EXPECT_EQ(j["offers"][0]["status"], "expired");
  ctx.now_iso = "2026-03-11T09:00:00Z";
  EXPECT_EQ(core::MatchJson(ctx, core::Match(ctx, R()), 0)["offers"][0]["status"], "pending");
  EXPECT_NE(core::MatchText(ctx, core::Match(ctx, R()), 0).find("pending (answer by 2026-03-12T09:00:00Z)"),
            std::string::npos);
}

TEST_F(Workflow, BedStatusChangesAreCommandsThatRespectHoldsAndPlacements) {
  // Legal: vacant -> unavailable (with a reason) -> vacant -> occupied (outside Berth) -> vacant.
  EXPECT_EQ(
      core::SetBedStatus(store(), "B1", BedStatus::kUnavailable, UnavailableReason::kNone, Now()).code(),
      Code::kBadInput);
  auto last = Snapshot().at("outbox_last");
  ASSERT_TRUE(
      core::SetBedStatus(store(), "B1", BedStatus::kUnavailable, UnavailableReason::kOutbreak, Now()).ok());
  EXPECT_EQ(B("B1").status, BedStatus::kUnavailable);
  EXPECT_EQ(B("B1").unavailable_reason, UnavailableReason::kOutbreak);
  EXPECT_GT(LastWriteTo("bed", "B1"), last);
  EXPECT_EQ(AuditCount("bed_status"), 1);
  ASSERT_TRUE(core::SetBedStatus(store(), "B1", BedStatus::kVacant, UnavailableReason::kNone, Now()).ok());
  EXPECT_EQ(B("B1").unavailable_reason, UnavailableReason::kNone);
  ASSERT_TRUE(core::SetBedStatus(store(), "B1", BedStatus::kOccupied, UnavailableReason::kNone, Now()).ok());
  ASSERT_TRUE(core::SetBedStatus(store(), "B1", BedStatus::kVacant, UnavailableReason::kNone, Now()).ok());
  // Illegal, and nothing written: a hold is not cleared by a status change, nor is a placement's bed.
  ASSERT_TRUE(core::HoldBed(store(), settings_, "R1", "B1", Now()).ok());
  auto before = Snapshot();
  const auto held = core::SetBedStatus(store(), "B1", BedStatus::kVacant, UnavailableReason::kNone, Now());
  EXPECT_EQ(held.code(), Code::kConflict);
  EXPECT_NE(held.message().find("release the hold first"), std::string::npos) << held.message();
  EXPECT_EQ(core::SetBedStatus(store(), "B1", BedStatus::kHeld, UnavailableReason::kNone, Now()).code(),
            Code::kBadInput);
  EXPECT_EQ(B("B1").status, BedStatus::kHeld);
  EXPECT_EQ(Snapshot(), before);
  ASSERT_TRUE(core::ConfirmBed(store(), "R1", "B1", ByPhone("2026-03-10"), Now()).ok());
  before = Snapshot();
  const auto placed = core::SetBedStatus(store(), "B1", BedStatus::kVacant, UnavailableReason::kNone, Now());
  EXPECT_EQ(placed.code(), Code::kConflict);
  EXPECT_NE(placed.message().find("takes it from 2026-03-10"), std::string::npos) << placed.message();
  EXPECT_EQ(
      core::SetBedStatus(store(), "B1", BedStatus::kUnavailable, UnavailableReason::kOther, Now()).code(),
      Code::kConflict);
  EXPECT_EQ(core::SetBedStatus(store(), "B2", BedStatus::kVacant, UnavailableReason::kNone, Now()).code(),
            Code::kConflict);  // already vacant
  EXPECT_EQ(core::SetBedStatus(store(), "NOPE", BedStatus::kVacant, UnavailableReason::kNone, Now()).code(),
            Code::kNotFound);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(Workflow, AdmissionsOpenAndCloseAsCommands) {
  EXPECT_EQ(core::SetAdmissions(store(), "H1", std::nullopt, AdmissionsStatus::kClosed, ClosureReason::kNone,
                                "", Now())
                .code(),
            Code::kBadInput);
  const auto last = Snapshot().at("outbox_last");
  ASSERT_TRUE(core::SetAdmissions(store(), "H1", BedCategory::kResidential, AdmissionsStatus::kClosed,
                                  ClosureReason::kOutbreak, "norovirus", Now())
                  .ok());
  EXPECT_GT(LastWriteTo("provider_admissions", AdmissionsId("H1", BedCategory::kResidential)), last);
  EXPECT_EQ(AuditCount("admissions_close"), 1);
  EXPECT_EQ(RuleFor(MatchOne(R()), "B1"), "admissions_closed");
  const auto before = Snapshot();
  const auto again = core::SetAdmissions(store(), "H1", BedCategory::kResidential, AdmissionsStatus::kClosed,
                                         ClosureReason::kOutbreak, "", Now());
  EXPECT_EQ(again.code(), Code::kConflict);
  EXPECT_NE(again.message().find("it already is"), std::string::npos);
  EXPECT_EQ(core::SetAdmissions(store(), "H1", std::nullopt, AdmissionsStatus::kOpen, ClosureReason::kNone,
                                "", Now())
                .code(),
            Code::kConflict);  // open to all already
  EXPECT_EQ(core::SetAdmissions(store(), "NOPE", std::nullopt, AdmissionsStatus::kClosed,
                                ClosureReason::kQuality, "", Now())
                .code(),
            Code::kNotFound);
  EXPECT_EQ(Snapshot(), before);
  ASSERT_TRUE(core::SetAdmissions(store(), "H1", BedCategory::kResidential, AdmissionsStatus::kOpen,
                                  ClosureReason::kNone, "", Now())
                  .ok());
  EXPECT_EQ(RuleFor(MatchOne(R()), "B1"), "");
}

TEST_F(Workflow, ReferralsAreSavedOnlyWhenValidAndNeverChangeStatusByEditing) {
  Referral fresh = Ref("");
  fresh.status = ReferralStatus::kNew;
  const auto id = core::SaveReferral(store(), geo(), fresh, Now());
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(R(*id).created_date, "2026-03-01");
  EXPECT_EQ(AuditCount("create"), 1);
  auto before = Snapshot();
  Referral bad = fresh;
  bad.id.clear();
  bad.nhs_number = "9990000017";  // wrong check digit
  bad.discharge_ready_date = "2026-02-30";
  const auto refused = core::SaveReferral(store(), geo(), bad, Now());
  EXPECT_EQ(refused.status().code(), Code::kBadInput);
  EXPECT_NE(refused.status().message().find("nhs_number"), std::string::npos);
  EXPECT_NE(refused.status().message().find("discharge_ready_date"), std::string::npos);
  EXPECT_EQ(refused.status().message().find("9990000017"), std::string::npos)
      << "no personal data in messages";
  Referral placed = fresh;
  placed.id.clear();
  placed.status = ReferralStatus::kPlaced;
  EXPECT_EQ(core::SaveReferral(store(), geo(), placed, Now()).status().code(), Code::kConflict);
  Referral edited = R(*id);
  edited.status = ReferralStatus::kPlaced;
  const auto status_edit = core::SaveReferral(store(), geo(), edited, Now());
  EXPECT_EQ(status_edit.status().code(), Code::kConflict);
  EXPECT_NE(status_edit.status().message().find("only through the workflow"), std::string::npos);
  edited = R(*id);
  edited.priority = Priority::kHandBack;
  EXPECT_EQ(core::SaveReferral(store(), geo(), edited, Now()).status().code(), Code::kConflict);
  EXPECT_EQ(Snapshot(), before);
  // An edit writes only what changed.
  edited = R(*id);
  edited.notes = "prefers a ground floor room";
  edited.priority = Priority::kUrgent;
  ASSERT_TRUE(core::SaveReferral(store(), geo(), edited, Now()).ok());
  int64_t changed = 0;
  for (const auto& [seq, m] : Outbox()) {
    if (seq > before.at("outbox_last") && m.entity == "referral")
      changed += static_cast<int64_t>(m.fields.size());
  }
  EXPECT_EQ(changed, 2);
  EXPECT_EQ(AuditCount("edit"), 1);
}

TEST_F(Workflow, CancelWithAReasonReleasesHoldsWithdrawsOffersAndReopenBringsItBack) {
  ASSERT_TRUE(core::HoldBed(store(), settings_, "R1", "B1", Now()).ok());
  auto ids = *core::SendOffers(store(), settings_, geo(), "R1", {{"H2", ""}, {"H3", ""}}, Now());
  ASSERT_TRUE(core::AcceptOffer(store(), ids[0], Now()).ok());
  auto before = Snapshot();
  EXPECT_EQ(core::CancelReferral(store(), "R1", CancelReason::kNone, Now()).code(), Code::kBadInput);
  EXPECT_EQ(Snapshot(), before);
  ASSERT_TRUE(core::CancelReferral(store(), "R1", CancelReason::kDied, Now()).ok());
  EXPECT_EQ(R().status, ReferralStatus::kCancelled);
  EXPECT_EQ(R().cancel_reason, CancelReason::kDied);
  EXPECT_EQ(B("B1").status, BedStatus::kVacant);
  EXPECT_EQ(Claims("release", "bed", "B1"), 1);
  const auto offers = *LoadOffersForReferral(store().db(), "R1");
  for (const auto& o : offers) EXPECT_EQ(o.status, OfferStatus::kWithdrawn);
  EXPECT_TRUE(Has(AuditActions("R1"), "cancel"));
  auto queue = core::LoadQueue(store().db(), "2026-03-10");
  for (const auto& e : *queue) EXPECT_NE(e.referral.id, "R1");
  // Illegal: cancelling twice, editing the reason away, holding or offering for a cancelled referral.
  before = Snapshot();
  EXPECT_EQ(core::CancelReferral(store(), "R1", CancelReason::kOther, Now()).code(), Code::kConflict);
  Referral edited = R();
  edited.cancel_reason = CancelReason::kNone;
  EXPECT_EQ(core::SaveReferral(store(), geo(), edited, Now()).status().code(), Code::kConflict);
  EXPECT_EQ(core::HoldBed(store(), settings_, "R1", "B1", Now()).status().code(), Code::kConflict);
  EXPECT_EQ(core::ChangeDischargeReadyDate(store(), "R1", "2026-03-20", "", Now()).code(), Code::kConflict);
  EXPECT_EQ(Snapshot(), before);
  // Reopen: back in the queue, the reason cleared (the audit keeps it).
  ASSERT_TRUE(core::ReopenReferral(store(), "R1", Now()).ok());
  EXPECT_EQ(R().status, ReferralStatus::kNew);
  EXPECT_EQ(R().cancel_reason, CancelReason::kNone);
  EXPECT_TRUE(Has(AuditActions("R1"), "reopen"));
  queue = core::LoadQueue(store().db(), "2026-03-10");
  bool back = false;
  for (const auto& e : *queue) back = back || e.referral.id == "R1";
  EXPECT_TRUE(back);
  EXPECT_EQ(core::ReopenReferral(store(), "R1", Now()).code(), Code::kConflict);  // not cancelled
  // A placed referral is not cancelled (its care ends through its placement).
  Put(Ref("R2"));
  ASSERT_TRUE(core::ConfirmBed(store(), "R2", "B2", ByPhone("2026-03-10"), Now()).ok());
  const auto placed = core::CancelReferral(store(), "R2", CancelReason::kDied, Now());
  EXPECT_EQ(placed.code(), Code::kConflict);
  EXPECT_NE(placed.message().find("through their placement"), std::string::npos);
}

TEST_F(Workflow, DischargeReadyDateChangesAreKeptAsHistoryAndDelayReasonsRecorded) {
  const auto last = Snapshot().at("outbox_last");
  ASSERT_TRUE(
      core::ChangeDischargeReadyDate(store(), "R1", "2026-03-14", "ward round: not medically fit", Now())
          .ok());
  EXPECT_EQ(R().discharge_ready_date, "2026-03-14");
  EXPECT_GT(LastWriteTo("referral", "R1"), last);
  auto history = *LoadDateChanges(store().db(), "R1");
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0].old_date, "2026-03-10");
  EXPECT_EQ(history[0].new_date, "2026-03-14");
  EXPECT_EQ(history[0].changed_by, "test-broker");
  EXPECT_EQ(history[0].changed_at, "2026-03-10T09:00:00Z");
  EXPECT_GT(LastWriteTo("referral_date_change", history[0].id), last);
  EXPECT_TRUE(Has(AuditActions("R1"), "drd_change"));
  // The form's edit of the date is history too.
  Referral edited = R();
  edited.discharge_ready_date = "2026-03-12";
  ASSERT_TRUE(core::SaveReferral(store(), geo(), edited, At("2026-03-11T10:00:00Z")).ok());
  history = *LoadDateChanges(store().db(), "R1");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[1].old_date, "2026-03-14");
  EXPECT_EQ(history[1].new_date, "2026-03-12");
  // Illegal: a bad date, no change.
  const auto before = Snapshot();
  EXPECT_EQ(core::ChangeDischargeReadyDate(store(), "R1", "12/03/2026", "", Now()).code(), Code::kBadInput);
  EXPECT_EQ(core::ChangeDischargeReadyDate(store(), "R1", "2026-03-12", "", Now()).code(), Code::kConflict);
  EXPECT_EQ(Snapshot(), before);
  // Delay reasons: the NHS codes, on the referral and in the queue report.
  ASSERT_TRUE(core::SetDelayReason(store(), "R1", DelayReason::kResidentialHome, Now()).ok());
  EXPECT_EQ(R().delay_reason, DelayReason::kResidentialHome);
  EXPECT_TRUE(Has(AuditActions("R1"), "delay_reason"));
  EXPECT_EQ(core::SetDelayReason(store(), "R1", DelayReason::kResidentialHome, Now()).code(),
            Code::kConflict);
  auto report = core::BuildQueueReport(store().db(), "2026-03-20");
  ASSERT_TRUE(report.ok());
  ASSERT_FALSE(report->rows.empty());
  EXPECT_EQ(report->rows[0].delay_reason, "di_residential_home");
  EXPECT_NE(core::Render(*report, core::ReportFormat::kCsv).find(",di_residential_home"), std::string::npos);
}

TEST_F(Workflow, EveryOpenStatusCancelsAndReopenReturnsToTheBrokerWhoHasIt) {
  // new (R1), sourcing with a broker (R3), offered (R4): each cancels; the cancellation syncs.
  Referral sourcing = Ref("R3");
  sourcing.assigned_broker = "alice";
  Put(sourcing);
  Put(Ref("R4"));
  ASSERT_TRUE(core::SendOffers(store(), settings_, geo(), "R4", {{"H2", ""}}, Now()).ok());
  ASSERT_EQ(R("R4").status, ReferralStatus::kOffered);
  const std::vector<std::pair<std::string, ReferralStatus>> open = {
      {"R1", ReferralStatus::kNew}, {"R3", ReferralStatus::kSourcing}, {"R4", ReferralStatus::kOffered}};
  for (const auto& [id, status] : open) {
    ASSERT_EQ(R(id).status, status) << id;
    const int64_t last = Snapshot().at("outbox_last");
    ASSERT_TRUE(core::CancelReferral(store(), id, CancelReason::kSelfArranged, Now()).ok()) << id;
    EXPECT_EQ(R(id).status, ReferralStatus::kCancelled) << id;
    EXPECT_EQ(R(id).cancel_reason, CancelReason::kSelfArranged) << id;
    EXPECT_GT(LastWriteTo("referral", id), last) << id;
  }
  const auto withdrawn = *LoadOffersForReferral(store().db(), "R4");
  ASSERT_EQ(withdrawn.size(), 1u);
  EXPECT_EQ(withdrawn[0].status, OfferStatus::kWithdrawn);
  EXPECT_EQ(core::LoadOpenQueue(store().db(), "2026-03-10")->size(), 0u);
  // Illegal on a cancelled referral, each refused with nothing written: a delay reason, an offer, a
  // confirmation; and cancelling or reopening a referral that does not exist.
  const auto before = Snapshot();
  EXPECT_EQ(core::SetDelayReason(store(), "R3", DelayReason::kAssessment, Now()).code(), Code::kConflict);
  EXPECT_FALSE(core::SendOffers(store(), settings_, geo(), "R3", {{"H1", ""}}, Now()).ok());
  EXPECT_FALSE(core::ConfirmBed(store(), "R3", "B1", ByPhone("2026-03-10"), Now()).ok());
  EXPECT_EQ(core::CancelReferral(store(), "NOBODY", CancelReason::kDied, Now()).code(), Code::kNotFound);
  EXPECT_EQ(core::ReopenReferral(store(), "NOBODY", Now()).code(), Code::kNotFound);
  EXPECT_EQ(Snapshot(), before);
  // Reopened: a referral a broker has goes back to sourcing, one nobody has to new.
  ASSERT_TRUE(core::ReopenReferral(store(), "R3", Now()).ok());
  EXPECT_EQ(R("R3").status, ReferralStatus::kSourcing);
  ASSERT_TRUE(core::ReopenReferral(store(), "R1", Now()).ok());
  EXPECT_EQ(R("R1").status, ReferralStatus::kNew);
  EXPECT_EQ(core::LoadOpenQueue(store().db(), "2026-03-10")->size(), 2u);
  // The withdrawn offer stays withdrawn: a reopened referral starts its offers afresh.
  ASSERT_TRUE(core::ReopenReferral(store(), "R4", Now()).ok());
  EXPECT_EQ(LoadOffersForReferral(store().db(), "R4")->at(0).status, OfferStatus::kWithdrawn);
}

TEST_F(Workflow, TimesMustBeWellFormed) {
  EXPECT_EQ(WorkflowTime::At("2026-03-10 09:00").status().code(), Code::kBadInput);
  EXPECT_EQ(WorkflowTime::At("2026-02-30T09:00:00Z").status().code(), Code::kBadInput);
  EXPECT_EQ(WorkflowTime::At("2026-03-10T24:00:00Z").status().code(), Code::kBadInput);
  EXPECT_EQ(core::AddHours("2026-03-10T22:30:00Z", 4), "2026-03-11T02:30:00Z");
}

}  // namespace
}  // namespace berth

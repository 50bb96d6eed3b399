// The referral workflow: each transition, its claim mutation in the outbox (so sync carries it to the
// hub), its audit entry, and the illegal transitions refused with nothing written.
#include <gtest/gtest.h>

#include <cereal/archives/binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "berth/core/workflow.h"
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
  Referral R(const std::string& id = "R1") { return *LoadReferral(store().db(), id); }
  Bed B(const std::string& id) { return *LoadBed(store().db(), id); }
  int64_t Count(const std::string& sql) { return *store().db().QueryInt(sql); }
  // The outbox as sync will push it: (seq, mutation), decoded from the stored payloads.
  std::vector<std::pair<int64_t, Mutation>> Outbox() {
    std::vector<std::pair<int64_t, Mutation>> out;
    auto q = store().db().Prepare("SELECT seq, payload FROM outbox ORDER BY seq");
    EXPECT_TRUE(q.ok());
    while (*q->Step()) {
      const auto blob = q->Blob(1);
      std::istringstream in(std::string(blob.begin(), blob.end()), std::ios::binary);
      cereal::BinaryInputArchive ar(in);
      Mutation m;
      ar(m);
      out.emplace_back(q->Int(0), std::move(m));
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
    for (const char* t : {"bed", "referral", "offer", "placement", "handback", "outbox", "audit"}) {
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

  const auto placement = core::ConfirmBed(store(), "R1", "B1", "2026-03-11", At("2026-03-10T16:00:00Z"));
  ASSERT_TRUE(placement.ok()) << placement.status().ToString();
  EXPECT_EQ(R().status, ReferralStatus::kPlaced);
  EXPECT_EQ(B("B1").status, BedStatus::kOccupied);
  std::map<std::string, OfferStatus> status;
  const auto offers = *LoadOffersForReferral(store().db(), "R1");
  for (const auto& o : offers) status[o.provider_id] = o.status;
  EXPECT_EQ(status["H1"], OfferStatus::kAccepted);
  EXPECT_EQ(status["H2"], OfferStatus::kWithdrawn);
  EXPECT_EQ(status["H3"], OfferStatus::kDeclined);
  // The placement is a bed_confirm claim, written before the bed turns occupied (the hub needs that order).
  int64_t claim_seq = 0;
  EXPECT_EQ(Claims("bed_confirm", "placement", *placement, &claim_seq), 1);
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
  const auto twice = core::ConfirmBed(store(), "R1", "B2", "2026-03-11", Now());
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
  const auto r = core::ConfirmBed(store(), "R1", "B1", "2026-03-10", Now());
  EXPECT_EQ(r.status().code(), Code::kConflict);
  EXPECT_EQ(core::ConfirmBed(store(), "R1", "B2", "10/03/2026", Now()).status().code(), Code::kBadInput);
  EXPECT_EQ(core::ConfirmBed(store(), "R1", "NO_SUCH_BED", "2026-03-10", Now()).status().code(),
            Code::kNotFound);
  EXPECT_EQ(Snapshot(), before);
  // The holder itself may confirm.
  ASSERT_TRUE(core::ConfirmBed(store(), "R2", "B1", "2026-03-10", Now()).ok());
  EXPECT_EQ(B("B1").status, BedStatus::kOccupied);
  EXPECT_EQ(core::ConfirmBed(store(), "R1", "B1", "2026-03-10", Now()).status().code(), Code::kConflict);
}

TEST_F(Workflow, ConfirmHomecareAllocatesHoursPerBandAsClaims) {
  Put(Agency("A1"));
  Put(Cap("A1-M", "A1", "Huntingdonshire", TimeBand::kMorning, 10));
  Put(Cap("A1-B", "A1", "Huntingdonshire", TimeBand::kBed, 10));
  Put(HomecareRef("HC1"));
  const auto ctx = Context();
  const auto ids = core::ConfirmHomecare(store(), ctx, "HC1", "A1", "2026-03-10", Now());
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
  const auto refused = core::ConfirmHomecare(store(), ctx, "HC2", "A1", "2026-03-10", Now());
  EXPECT_EQ(refused.status().code(), Code::kConflict);
  EXPECT_NE(refused.status().message().find("band_hours"), std::string::npos) << refused.status().message();
}

TEST_F(Workflow, HandBackReopensTheReferralAtTheTopOfTheQueue) {
  Put(Ref("R2"));
  const auto placement = core::ConfirmBed(store(), "R1", "B1", "2026-03-10", Now());
  ASSERT_TRUE(placement.ok());
  EXPECT_EQ(core::HandBack(store(), *placement, HandbackReason::kNone, "2026-03-20", Now()).status().code(),
            Code::kBadInput);
  const auto hb = core::HandBack(store(), *placement, HandbackReason::kNeedsChanged, "2026-03-20", Now());
  ASSERT_TRUE(hb.ok()) << hb.status().ToString();
  const Referral r = R();
  EXPECT_EQ(r.status, ReferralStatus::kSourcing);
  EXPECT_EQ(r.priority, Priority::kHandBack);
  EXPECT_EQ(B("B1").status, BedStatus::kVacant);
  EXPECT_EQ(Count("SELECT count(*) FROM handback WHERE status = 'open' AND referral_id = 'R1'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM placement WHERE status = 'handed_back'"), 1);
  auto queue = core::LoadOpenQueue(store().db());
  ASSERT_TRUE(queue.ok());
  ASSERT_GE(queue->size(), 2u);
  EXPECT_EQ(queue->front().id, "R1");
  EXPECT_TRUE(Has(AuditActions("R1"), "handback"));
  // A handed-back placement cannot be handed back again.
  EXPECT_EQ(
      core::HandBack(store(), *placement, HandbackReason::kStaffing, "2026-03-20", Now()).status().code(),
      Code::kConflict);
  // Re-brokering closes the hand back.
  ASSERT_TRUE(core::ConfirmBed(store(), "R1", "B2", "2026-03-21", Now()).ok());
  EXPECT_EQ(Count("SELECT count(*) FROM handback WHERE status = 'rebrokered'"), 1);
}

TEST_F(Workflow, TimesMustBeWellFormed) {
  EXPECT_EQ(WorkflowTime::At("2026-03-10 09:00").status().code(), Code::kBadInput);
  EXPECT_EQ(WorkflowTime::At("2026-02-30T09:00:00Z").status().code(), Code::kBadInput);
  EXPECT_EQ(WorkflowTime::At("2026-03-10T24:00:00Z").status().code(), Code::kBadInput);
  EXPECT_EQ(core::AddHours("2026-03-10T22:30:00Z", 4), "2026-03-11T02:30:00Z");
}

}  // namespace
}  // namespace berth

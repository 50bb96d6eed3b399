// The case log (app/core case_log.h): a scripted sequence of changes, offers, answers and notes read back
// as exact lines; notes refused when malformed with nothing written; reminders falling due; searching and
// reading notes audited; withdrawing an offer; readable scores for beds and homecare.
#include <gtest/gtest.h>

#include "berth/core/case_log.h"
#include "berth/core/workflow.h"
#include "berth/schema/repository.h"
#include "match_fixture.h"

namespace berth {
namespace {

using core::WorkflowTime;

class CaseLog : public testing::MatchFixture {
 protected:
  void SetUp() override {
    MatchFixture::SetUp();
    for (const char* h : {"H1", "H2", "H3"}) Put(Home(h));
    Put(MakeBed("B1", "H1"));
    Referral r = Ref("R1");
    r.status = ReferralStatus::kNew;
    Put(r);
  }
  static WorkflowTime At(const std::string& iso) { return *WorkflowTime::At(iso); }
  int64_t Count(const std::string& sql) { return *store().db().QueryInt(sql); }
  std::string OfferTo(const std::string& provider) {
    auto offers = LoadOffersForReferral(store().db(), "R1");
    for (const Offer& o : *offers) {
      if (o.provider_id == provider) return o.id;
    }
    return "";
  }
  std::string Log() {
    auto log = core::CaseLog(store(), "R1");
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? core::CaseLogText(*log) : "";
  }
};

TEST_F(CaseLog, TellsAScriptedCaseInWords) {
  core::MatchSettings s;
  ASSERT_TRUE(core::HoldBed(store(), s, "R1", "B1", At("2026-03-10T09:00:00Z")).ok());
  ASSERT_TRUE(core::ReleaseBed(store(), "B1", At("2026-03-10T09:30:00Z")).ok());
  ASSERT_TRUE(core::SendOffers(store(), s, geo(), "R1", {{"H1", ""}, {"H2", ""}, {"H3", ""}},
                               At("2026-03-10T10:00:00Z"))
                  .ok());
  ASSERT_TRUE(core::DeclineOffer(store(), OfferTo("H2"), DeclineReason::kNotCompatible, "",
                                 At("2026-03-10T11:15:00Z"))
                  .ok());
  ASSERT_TRUE(core::AddCaseNote(store(), "R1", NoteKind::kCall, "rang Home H1: a visit tomorrow", "",
                                At("2026-03-10T11:20:00Z"))
                  .ok());
  ASSERT_TRUE(core::AcceptOffer(store(), OfferTo("H1"), At("2026-03-10T12:00:00Z")).ok());
  ASSERT_TRUE(core::WithdrawOffer(store(), OfferTo("H3"), At("2026-03-10T12:05:00Z")).ok());
  ASSERT_TRUE(core::AddCaseNote(store(), "R1", NoteKind::kReminder, "chase the funding panel", "2026-03-11",
                                At("2026-03-10T12:10:00Z"))
                  .ok());
  ASSERT_TRUE(
      core::ChangeDischargeReadyDate(store(), "R1", "2026-03-12", "ward round", At("2026-03-10T13:00:00Z"))
          .ok());
  core::PlacementTerms terms;
  terms.start_date = "2026-03-12";
  ASSERT_TRUE(core::ConfirmBed(store(), "R1", "B1", terms, At("2026-03-10T14:00:00Z")).ok());

  EXPECT_EQ(
      Log(),
      "2026-03-10 09:00 test-broker: room B1 at Home H1 held until 2026-03-10 13:00; status new -> sourcing\n"
      "2026-03-10 09:30 test-broker: hold on room B1 at Home H1 released\n"
      "2026-03-10 10:00 test-broker: offer sent to 3 homes: Home H1, Home H2, Home H3, answer by "
      "2026-03-12 10:00; status sourcing -> offered\n"
      "2026-03-10 11:15 test-broker: Home H2 declined: not_compatible\n"
      "2026-03-10 11:20 test-broker: call: rang Home H1: a visit tomorrow\n"
      "2026-03-10 12:00 test-broker: Home H1 accepted; status offered -> accepted\n"
      "2026-03-10 12:05 test-broker: offer to Home H3 withdrawn\n"
      "2026-03-10 12:10 test-broker: reminder for 2026-03-11 09:00: chase the funding panel\n"
      "2026-03-10 13:00 test-broker: discharge-ready date 2026-03-10 -> 2026-03-12 (ward round)\n"
      "2026-03-10 14:00 test-broker: placed in room B1 at Home H1 from 2026-03-12, open-ended, on its "
      "accepted offer; status accepted -> placed\n");
  // Reading the log is a view of the notes, in the audit trail.
  EXPECT_EQ(Count("SELECT count(*) FROM audit WHERE action = 'view' AND entity = 'referral_note' AND "
                  "row_id = 'R1'"),
            1);
  // The audit never holds a note's words.
  EXPECT_EQ(Count("SELECT count(*) FROM audit WHERE detail LIKE '%funding panel%'"), 0);
}

TEST_F(CaseLog, AnEditNamesPersonalFieldsWithoutTheirValues) {
  Referral r = *LoadReferral(store().db(), "R1");
  r.name = "Another Name";
  r.max_distance_km = 20;
  ASSERT_TRUE(core::SaveReferral(store(), geo(), r, At("2026-03-10T09:00:00Z")).ok());
  const std::string log = Log();
  EXPECT_NE(log.find("2026-03-10 09:00 test-broker: edited: "), std::string::npos) << log;
  EXPECT_NE(log.find("max_distance_km 30 -> 20"), std::string::npos) << log;
  EXPECT_NE(log.find("name changed"), std::string::npos) << log;
  EXPECT_EQ(log.find("Another Name"), std::string::npos) << log;
  EXPECT_EQ(Count("SELECT count(*) FROM audit WHERE detail LIKE '%Another Name%'"), 0);
}

TEST_F(CaseLog, AnAnswerRecordedElsewhereArrivesBySync) {
  core::MatchSettings s;
  ASSERT_TRUE(core::SendOffers(store(), s, geo(), "R1", {{"H2", ""}}, At("2026-03-10T10:00:00Z")).ok());
  // The provider's decline recorded on another laptop, merged here by a pull.
  Mutation m;
  m.entity = "offer";
  m.row_id = OfferTo("H2");
  m.hlc = Hlc{NowMs(), 0}.ToString();
  m.origin_device = "another-laptop";
  m.fields = {{"status", std::string("declined")}, {"decline_reason", std::string("no_capacity")}};
  ASSERT_TRUE(store().ApplyRemote(m).ok());
  const std::string log = Log();
  EXPECT_NE(log.find("via sync: Home H2 declined: no_capacity\n"), std::string::npos) << log;
}

TEST_F(CaseLog, BadNotesAreRefusedAndNothingIsWritten) {
  const WorkflowTime t = At("2026-03-10T09:00:00Z");
  const int64_t before = Count("SELECT count(*) FROM outbox");
  EXPECT_EQ(core::AddCaseNote(store(), "R1", NoteKind::kNote, "   ", "", t).status().code(), Code::kBadInput);
  EXPECT_EQ(core::AddCaseNote(store(), "R1", NoteKind::kNote, std::string(2001, 'x'), "", t).status().code(),
            Code::kBadInput);
  EXPECT_EQ(core::AddCaseNote(store(), "R1", NoteKind::kReminder, "chase", "", t).status().code(),
            Code::kBadInput);
  EXPECT_EQ(core::AddCaseNote(store(), "R1", NoteKind::kReminder, "chase", "tomorrow", t).status().code(),
            Code::kBadInput);
  EXPECT_EQ(core::AddCaseNote(store(), "R1", NoteKind::kCall, "rang", "2026-03-11", t).status().code(),
            Code::kBadInput);
  EXPECT_EQ(core::AddCaseNote(store(), "nobody", NoteKind::kNote, "hello", "", t).status().code(),
            Code::kNotFound);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), before);
  EXPECT_EQ(Count("SELECT count(*) FROM referral_note"), 0);
}

TEST_F(CaseLog, RemindersFallDueUntilDone) {
  auto id = core::AddCaseNote(store(), "R1", NoteKind::kReminder, "chase Home H1", "2026-03-11T14:00:00Z",
                              At("2026-03-10T09:00:00Z"));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(core::DueReminders(store().db(), "2026-03-11T13:59:59Z")->empty());
  auto due = core::DueReminders(store().db(), "2026-03-11T14:00:00Z");
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].referral_id, "R1");
  EXPECT_EQ((*due)[0].due_at, "2026-03-11T14:00:00Z");
  ASSERT_TRUE(core::CompleteReminder(store(), *id, At("2026-03-11T15:00:00Z")).ok());
  EXPECT_TRUE(core::DueReminders(store().db(), "2026-03-12T00:00:00Z")->empty());
  EXPECT_EQ(core::CompleteReminder(store(), *id, At("2026-03-11T15:01:00Z")).code(), Code::kConflict);
  auto note = core::AddCaseNote(store(), "R1", NoteKind::kNote, "plain", "", At("2026-03-11T16:00:00Z"));
  EXPECT_EQ(core::CompleteReminder(store(), *note, At("2026-03-11T16:01:00Z")).code(), Code::kConflict);
  const std::string log = Log();
  EXPECT_NE(log.find("reminder for 2026-03-11 14:00: chase Home H1 (done 2026-03-11 15:00)"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("2026-03-11 15:00 test-broker: reminder due 2026-03-11 14:00 done"), std::string::npos)
      << log;
  // The note is a synced row: it waits in the outbox.
  EXPECT_GE(Count("SELECT count(*) FROM outbox WHERE entity = 'referral_note'"), 3);
}

TEST_F(CaseLog, NotesAreSearchableAndTheSearchIsAudited) {
  ASSERT_TRUE(core::AddCaseNote(store(), "R1", NoteKind::kNote, "Daughter prefers 100% ground floor", "",
                                At("2026-03-10T09:00:00Z"))
                  .ok());
  auto found = core::SearchCaseNotes(store(), "GROUND floor");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, std::vector<std::string>{"R1"});
  EXPECT_TRUE(core::SearchCaseNotes(store(), "garden")->empty());
  EXPECT_EQ(core::SearchCaseNotes(store(), "100%")->size(), 1u);
  EXPECT_EQ(core::SearchCaseNotes(store(), "x").status().code(), Code::kBadInput);
  EXPECT_EQ(Count("SELECT count(*) FROM audit WHERE action = 'search' AND entity = 'referral_note'"), 3);
  EXPECT_EQ(Count("SELECT count(*) FROM audit WHERE detail LIKE '%garden%'"), 0);
}

TEST_F(CaseLog, WithdrawingAnOfferPutsTheReferralWhereItsOtherOffersLeaveIt) {
  core::MatchSettings s;
  ASSERT_TRUE(
      core::SendOffers(store(), s, geo(), "R1", {{"H1", ""}, {"H2", ""}}, At("2026-03-10T10:00:00Z")).ok());
  ASSERT_TRUE(core::WithdrawOffer(store(), OfferTo("H1"), At("2026-03-10T10:05:00Z")).ok());
  EXPECT_EQ(LoadReferral(store().db(), "R1")->status, ReferralStatus::kOffered);
  ASSERT_TRUE(core::WithdrawOffer(store(), OfferTo("H2"), At("2026-03-10T10:06:00Z")).ok());
  EXPECT_EQ(LoadReferral(store().db(), "R1")->status, ReferralStatus::kSourcing);
  EXPECT_EQ(LoadOffer(store().db(), OfferTo("H2"))->status, OfferStatus::kWithdrawn);
  // A withdrawn offer cannot be withdrawn again; nothing is written.
  const int64_t before = Count("SELECT count(*) FROM outbox");
  EXPECT_EQ(core::WithdrawOffer(store(), OfferTo("H2"), At("2026-03-10T10:07:00Z")).code(), Code::kConflict);
  EXPECT_EQ(core::WithdrawOffer(store(), "", At("2026-03-10T10:07:00Z")).code(), Code::kBadInput);
  EXPECT_EQ(Count("SELECT count(*) FROM outbox"), before);
  EXPECT_EQ(Count("SELECT count(*) FROM audit WHERE action = 'withdraw'"), 2);
}

TEST_F(CaseLog, ScoresReadAsAFitOutOfAHundredInWordsForBedsAndHomecare) {
  Bed block = MakeBed("B2", "H2");
  block.contract = ContractType::kBlock;
  block.tier = BlockTier::kT1;
  Put(block);
  Put(Agency("A1"));
  const core::MatchResult m = MatchOne(*LoadReferral(store().db(), "R1"));
  ASSERT_GE(m.candidates.size(), 2u);
  const core::MatchContext ctx = Context();
  const core::Candidate& top = m.candidates[0];
  const core::Candidate& next = m.candidates[1];
  ASSERT_TRUE(top.is_void);
  EXPECT_GT(core::FitPercent(*ctx.settings, top), core::FitPercent(*ctx.settings, next));
  EXPECT_GE(core::FitPercent(*ctx.settings, top), 0);
  EXPECT_LE(core::FitPercent(*ctx.settings, top), 100);
  // An ordinary option with no points either way is a fit of 50.
  core::Candidate plain;
  EXPECT_EQ(core::FitPercent(*ctx.settings, plain), 50);
  const auto lines = core::ScoreLines(ctx, m.needs, top);
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_EQ(lines[0].name, "Fills a void");
  EXPECT_EQ(lines[0].words, "a vacant block bed the council already pays for");
  EXPECT_DOUBLE_EQ(lines[0].points, top.components.void_fill);
  // Homecare never talks of beds.
  core::Candidate care;
  care.kind = core::CandidateKind::kHomecare;
  care.provider = top.provider;
  care.is_void = true;
  for (const core::ScoreLine& l : core::ScoreLines(ctx, m.needs, care))
    EXPECT_EQ(l.words.find("bed"), std::string::npos) << l.words;
  care.is_void = false;
  EXPECT_EQ(core::ScoreLines(ctx, m.needs, care)[0].words,
            "hours bought at the agency's rate (not block hours)");
}

}  // namespace
}  // namespace berth

// Every workflow transition through the real `berth` binary, legal and illegal, on a small hand-made
// store: for each command, the exit code, the state it leaves, the audit entry and outbox entry a legal
// one writes, and the refusal message of an illegal one (which writes nothing at all).
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "berth/core/geo.h"
#include "berth/core/workflow.h"
#include "berth/schema/repository.h"
#include "berth/schema/store.h"
#include "support/test_support.h"

namespace berth {
namespace {

using json = nlohmann::json;
using testing::Program;
using testing::RunCommand;

constexpr const char* kNow = "2026-03-10T09:00:00Z";

class WorkflowCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(tmp_.Sub("pass")) << "cli passphrase\n";
    base_ = "BERTH_TEST_ONLY_FAST_KDF=1 " + Program("app/berth") + " --store " + tmp_.Sub("store") +
            " --passphrase-file " + tmp_.Sub("pass") + " ";
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    Secret recovery;
    auto created = Store::Create(tmp_.Sub("store"), Secret("cli passphrase"), &recovery, o);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    Store& s = **created;
    auto geo = core::DefaultGeography();
    ASSERT_TRUE(geo.ok());
    for (const char* id : {"H1", "H2"}) {
      Provider p;
      p.id = id;
      p.name = std::string("Home ") + id;
      p.postcode = "PE29 1AA";
      const auto at = (*geo)->Locate("PE29");
      p.latitude = at->lat;
      p.longitude = at->lon;
      p.registration = Registration::kResidentialNursing;
      ASSERT_TRUE(Save(s, p).ok());
    }
    for (auto [bed, home] : {std::pair{"B1", "H1"}, {"B2", "H2"}}) {
      Bed b;
      b.id = bed;
      b.provider_id = home;
      b.room = bed;
      b.weekly_rate_pence = 70000;
      b.status_since = "2026-03-01";
      ASSERT_TRUE(Save(s, b).ok());
    }
    const auto t = *core::WorkflowTime::At(kNow);
    for (const char* id : {"R1", "R2"}) {
      Referral r;
      r.id = id;
      r.nhs_number = std::string(id) == "R1" ? "9990000018" : "9990000026";
      r.name = "Test Person";
      r.date_of_birth = "1940-01-01";
      r.gender = Gender::kFemale;
      r.location_kind = LocationKind::kCommunity;
      r.postcode = "PE29 1AA";
      r.pathway = Pathway::kP3;
      r.category = BedCategory::kResidential;
      r.weekly_budget_pence = 80000;
      r.discharge_ready_date = "2026-03-10";
      ASSERT_TRUE(core::SaveReferral(s, *geo, r, t).ok());
    }
  }

  struct Counts {
    int64_t outbox = 0, audit = 0;
    bool operator==(const Counts&) const = default;
  };
  std::unique_ptr<Store> Open() {
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    auto s = Store::Open(tmp_.Sub("store"), Secret("cli passphrase"), o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  Counts Now() {
    auto s = Open();
    return {*s->db().QueryInt("SELECT coalesce(max(seq), 0) FROM outbox"),
            *s->db().QueryInt("SELECT count(*) FROM audit")};
  }
  std::string Query(const std::string& sql) {
    auto s = Open();
    auto q = s->db().Prepare(sql);
    EXPECT_TRUE(q.ok()) << sql;
    if (!q.ok() || !*q->Step()) return "<none>";
    return q->Text(0);
  }
  // A legal command: exit 0, a new outbox entry (an entity's row), and an audit entry `action`.
  void Legal(const std::string& args, const std::string& entity, const std::string& action,
             std::string* out = nullptr) {
    const Counts before = Now();
    std::string o;
    ASSERT_EQ(RunCommand(base_ + args + " --at " + kNow, &o), 0) << args << "\n" << o;
    auto s = Open();
    EXPECT_GT(*s->db().QueryInt("SELECT count(*) FROM outbox WHERE seq > " + std::to_string(before.outbox) +
                                " AND entity = '" + entity + "'"),
              0)
        << args;
    EXPECT_GT(*s->db().QueryInt("SELECT count(*) FROM audit WHERE seq > " + std::to_string(before.audit) +
                                " AND action = '" + action + "'"),
              0)
        << args;
    if (out) *out = o;
  }
  // An illegal command: exit `code`, its refusal message, and nothing written (no outbox, no audit entry).
  void Illegal(const std::string& args, int code, const std::string& says) {
    const Counts before = Now();
    std::string o;
    EXPECT_EQ(RunCommand(base_ + args + " --at " + kNow, &o), code) << args << "\n" << o;
    EXPECT_NE(o.find(says), std::string::npos) << args << "\n" << o;
    EXPECT_EQ(Now(), before) << args;
  }
  json RunJson(const std::string& args) {
    std::string out;
    EXPECT_EQ(RunCommand(base_ + args + " 2>/dev/null", &out), 0) << args << "\n" << out;
    return json::parse(out, nullptr, false);
  }
  std::string OfferTo(const std::string& referral, const std::string& provider) {
    return Query("SELECT id FROM offer WHERE referral_id = '" + referral + "' AND provider_id = '" +
                 provider + "'");
  }

  testing::TempDir tmp_;
  std::string base_;
};

TEST_F(WorkflowCli, EveryTransitionLegalAndIllegal) {
  // Holds.
  Legal("hold R1 B1", "bed", "hold");
  EXPECT_EQ(Query("SELECT status || '/' || held_for_referral_id FROM bed WHERE id = 'B1'"), "held/R1");
  EXPECT_EQ(Query("SELECT status FROM referral WHERE id = 'R1'"), "sourcing");
  Illegal("hold R2 B1", 2, "held for another referral");
  Illegal("bed B1 vacant", 2, "release the hold first");
  Legal("release B1", "bed", "release");
  Illegal("release B1", 2, "only a held bed can be released");
  // Bed status and admissions.
  Illegal("bed B1 unavailable", 2, "needs a reason");
  Legal("bed B1 unavailable --reason outbreak", "bed", "bed_status");
  EXPECT_EQ(Query("SELECT status || '/' || unavailable_reason FROM bed WHERE id = 'B1'"),
            "unavailable/outbreak");
  Illegal("bed B1 unavailable --reason outbreak", 2, "nothing to change");
  Illegal("bed B1 held", 1, "not in");
  Legal("bed B1 vacant", "bed", "bed_status");
  Legal("admissions H2 close --reason staffing", "provider_admissions", "admissions_close");
  Illegal("admissions H2 close --reason staffing", 2, "it already is");
  Illegal("admissions H2 close", 2, "needs a reason");
  Legal("admissions H2 open", "provider_admissions", "admissions_open");
  // Offers and answers.
  Legal("offer R1 H1:B1 H2", "offer", "offer");
  EXPECT_EQ(Query("SELECT status FROM referral WHERE id = 'R1'"), "offered");
  Illegal("offer R1 H1", 2, "already has a pending offer");
  const std::string o1 = OfferTo("R1", "H1"), o2 = OfferTo("R1", "H2");
  Illegal("decline " + o2 + " --reason whatever", 2, "unknown decline reason");
  Legal("decline " + o2 + " --reason not_compatible --note 'no room for a hoist'", "offer", "decline");
  Illegal("accept " + o2, 2, "only a pending offer can be accepted");
  // The decline is listed among R1's exclusions with its reason.
  const json m = RunJson("match R1 --json --today 2026-03-10");
  bool listed = false;
  for (const json& x : m["excluded"]) {
    if (x["provider_id"] == "H2" && x["reason_code"] == "declined") {
      listed = true;
      EXPECT_EQ(x["decline_reason"], "not_compatible");
    }
  }
  EXPECT_TRUE(listed) << m.dump(1);
  // Confirming needs the acceptance.
  Illegal("confirm R1 --bed B1", 2, "has not accepted an offer");
  Legal("accept " + o1, "offer", "accept");
  EXPECT_EQ(Query("SELECT status FROM referral WHERE id = 'R1'"), "accepted");
  Illegal("confirm R1 --bed B1 --start 2026-03-12 --end 2026-03-11", 2, "before the first");
  Legal("confirm R1 --bed B1", "placement", "confirm");
  EXPECT_EQ(Query("SELECT status FROM referral WHERE id = 'R1'"), "placed");
  EXPECT_EQ(Query("SELECT status FROM bed WHERE id = 'B1'"), "occupied");
  Illegal("confirm R1 --bed B2 --override x", 2, "is placed");
  Illegal("bed B1 vacant", 2, "takes it from 2026-03-10");
  // `referral show` lists the placement with its id, which `handback` names.
  const json shown = RunJson("referral show R1 --json");
  ASSERT_EQ(shown["placements"].size(), 1u);
  const std::string placement = shown["placements"][0]["id"];
  // Hand back with four weeks' notice.
  Illegal("handback " + placement + " --reason needs_changed --end 2026-03-09", 2, "before today");
  Illegal("handback " + placement + " --referral R1 --reason needs_changed --end 2026-04-07", 1, "not both");
  Legal("handback --referral R1 --reason needs_changed --end 2026-04-07", "handback", "handback");
  EXPECT_EQ(Query("SELECT status || '/' || end_date FROM placement WHERE id = '" + placement + "'"),
            "handed_back/2026-04-07");
  EXPECT_EQ(Query("SELECT status || '/' || priority FROM referral WHERE id = 'R1'"), "sourcing/hand_back");
  EXPECT_EQ(Query("SELECT status FROM bed WHERE id = 'B1'"), "occupied");
  Illegal("handback " + placement + " --reason staffing --end 2026-03-20", 2, "only a planned or active");
  // Another person may have the bed from the day after the last day of care, and not before.
  Illegal("confirm R2 --bed B1 --start 2026-04-07 --override 'family arranged'", 2, "until 2026-04-07");
  Legal("confirm R2 --bed B1 --start 2026-04-08 --override 'family arranged'", "placement", "confirm");
  EXPECT_EQ(Query("SELECT override_reason FROM placement WHERE referral_id = 'R2'"), "family arranged");
  // Time passing: nothing ends before the 8th; on the 8th R2's placement begins.
  std::string out;
  ASSERT_EQ(RunCommand(base_ + "expire --at 2026-04-08T00:30:00Z", &out), 0) << out;
  EXPECT_NE(out.find("1 placement(s) started, 0 ended"), std::string::npos) << out;
  EXPECT_EQ(Query("SELECT status FROM placement WHERE referral_id = 'R2'"), "active");
}

// Acceptance: `referral cancel ID --reason died` closes it (out of the queue, holds released, open offers
// withdrawn) and `referral reopen` brings it back; date changes and delay reasons; the hand backs report.
TEST_F(WorkflowCli, AReferralsWholeLife) {
  Legal("hold R1 B1", "bed", "hold");
  Legal("offer R1 H2", "offer", "offer");
  Illegal("referral cancel R1 --reason bored", 2, "unknown cancel reason");
  Legal("referral cancel R1 --reason died", "referral", "cancel");
  EXPECT_EQ(Query("SELECT status || '/' || cancel_reason FROM referral WHERE id = 'R1'"), "cancelled/died");
  EXPECT_EQ(Query("SELECT status FROM bed WHERE id = 'B1'"), "vacant");
  EXPECT_EQ(Query("SELECT status FROM offer WHERE referral_id = 'R1'"), "withdrawn");
  json queue = RunJson("report queue --json --today 2026-03-10");
  for (const json& q : queue["queue"]) EXPECT_NE(q["id"], "R1");
  Illegal("referral cancel R1 --reason died", 2, "only an open referral can be cancelled");
  Legal("referral reopen R1", "referral", "reopen");
  EXPECT_EQ(Query("SELECT status || '/' || cancel_reason FROM referral WHERE id = 'R1'"), "new/");
  queue = RunJson("report queue --json --today 2026-03-10");
  bool back = false;
  for (const json& q : queue["queue"]) back = back || q["id"] == "R1";
  EXPECT_TRUE(back);
  Illegal("referral reopen R1", 2, "only a cancelled referral can be reopened");
  // The discharge-ready date moves; its history is kept and shown.
  Legal("referral date R2 2026-03-15 --note 'not medically fit'", "referral_date_change", "drd_change");
  Illegal("referral date R2 15/03/2026", 2, "must be YYYY-MM-DD");
  const json shown = RunJson("referral show R2 --json");
  ASSERT_EQ(shown["date_changes"].size(), 1u);
  EXPECT_EQ(shown["date_changes"][0]["old_date"], "2026-03-10");
  EXPECT_EQ(shown["date_changes"][0]["new_date"], "2026-03-15");
  EXPECT_EQ(shown["discharge_ready_date"], "2026-03-15");
  // Why the delay: an NHS code, shown in the queue report.
  Legal("referral delay R2 dii_nursing_home", "referral", "delay_reason");
  Illegal("referral delay R2 waiting", 2, "unknown delay reason");
  queue = RunJson("report queue --json --today 2026-03-20");
  bool delayed = false;
  for (const json& q : queue["queue"]) {
    if (q["id"] != "R2") continue;
    delayed = true;
    EXPECT_EQ(q["delay_reason"], "dii_nursing_home");
  }
  EXPECT_TRUE(delayed) << "R2 is in the queue with its delay reason";
  // A hand back, then the report of hand backs for the month.
  Legal("confirm R2 --bed B2 --override 'family arranged'", "placement", "confirm");
  Legal("handback --referral R2 --reason staffing --end 2026-03-31", "handback", "handback");
  const json report = RunJson("report handbacks --json --from 2026-03-01 --to 2026-03-31");
  EXPECT_EQ(report["handbacks"], 1);
  EXPECT_EQ(report["beds"], 1);
  EXPECT_EQ(report["by_reason"][0]["key"], "staffing");
  EXPECT_EQ(report["rows"][0]["notice_days"], 21);
  std::string out;
  ASSERT_EQ(RunCommand(base_ + "report handbacks --csv --from 2026-03-01 --to 2026-03-31", &out), 0) << out;
  EXPECT_NE(out.find("2026-03-10,2026-03-31,21,Home H2,bed,B2,staffing,open,R2"), std::string::npos) << out;
}

// Acceptance: `match --json` for a referral with no candidates lists its near misses with rule and amount,
// nearest first (and the text says them in words).
// The case log from the command line (issue 18): withdraw an offer, add a call and a chase reminder, read
// the case in words, find the referral by its notes, mark the reminder done.
TEST_F(WorkflowCli, TheCaseLogFromTheCommandLine) {
  Legal("offer R1 H1 H2", "offer", "offer");
  const std::string to_h2 = OfferTo("R1", "H2");
  Legal("withdraw " + to_h2, "offer", "withdraw");
  Illegal("withdraw " + to_h2, 2, "only a pending or accepted offer can be withdrawn");
  Legal("referral note R1 --kind call 'rang Home H1: visiting tomorrow'", "referral_note", "note");
  Illegal("referral note R1 --kind reminder 'chase'", 2, "needs the moment it falls due");
  Illegal("referral note R1 '   '", 2, "the text is required");
  Legal("referral note R1 --kind reminder --due 2026-03-11 'chase Home H1'", "referral_note", "note");
  std::string log;
  ASSERT_EQ(RunCommand(base_ + "referral log R1", &log), 0) << log;
  EXPECT_NE(log.find("2026-03-10 09:00 "), std::string::npos) << log;
  EXPECT_NE(log.find(": offer sent to 2 homes: Home H1, Home H2, answer by 2026-03-12 09:00; status"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find(": offer to Home H2 withdrawn\n"), std::string::npos) << log;
  EXPECT_NE(log.find(": call: rang Home H1: visiting tomorrow\n"), std::string::npos) << log;
  EXPECT_NE(log.find(": reminder for 2026-03-11 09:00: chase Home H1\n"), std::string::npos) << log;
  std::string found;
  ASSERT_EQ(RunCommand(base_ + "referral search 'visiting TOMORROW'", &found), 0) << found;
  EXPECT_EQ(found, "R1\n");
  const std::string reminder = Query("SELECT id FROM referral_note WHERE kind = 'reminder'");
  Legal("referral done " + reminder, "referral_note", "note_done");
  Illegal("referral done " + reminder, 2, "it was done at");
  // Reading and searching are audited; the audit never holds the notes' words.
  EXPECT_EQ(Query("SELECT count(*) FROM audit WHERE action = 'view' AND entity = 'referral_note'"), "1");
  EXPECT_EQ(Query("SELECT count(*) FROM audit WHERE action = 'search' AND entity = 'referral_note'"), "1");
  EXPECT_EQ(Query("SELECT count(*) FROM audit WHERE detail LIKE '%tomorrow%'"), "0");
}

TEST_F(WorkflowCli, MatchOfAReferralWithNoOptionsListsItsNearMisses) {
  // B2 is taken by R2 until the 14th (free from the 15th); B1 is out of use with no date.
  Legal("confirm R2 --bed B2 --start 2026-03-10 --end 2026-03-14 --override 'family arranged'", "placement",
        "confirm");
  Legal("bed B1 unavailable --reason maintenance", "bed", "bed_status");
  const json m = RunJson("match R1 --json --today 2026-03-10");
  ASSERT_TRUE(m["candidates"].empty()) << m.dump();
  ASSERT_EQ(m["near_misses"].size(), 2u) << m.dump();
  const json& soonest = m["near_misses"][0];
  EXPECT_EQ(soonest["bed_id"], "B2");
  EXPECT_EQ(soonest["provider_name"], "Home H2");
  EXPECT_EQ(soonest["rule"], "not_available");
  EXPECT_EQ(soonest["amount"], 5);
  EXPECT_EQ(soonest["unit"], "days");
  EXPECT_EQ(soonest["words"], "free from 2026-03-15, 5 day(s) after the date needed (2026-03-10)");
  const json& never = m["near_misses"][1];
  EXPECT_EQ(never["bed_id"], "B1");
  EXPECT_EQ(never["rule"], "not_available");
  EXPECT_EQ(never["amount"], 0);
  EXPECT_EQ(never["unit"], "");
  std::string text;
  ASSERT_EQ(RunCommand(base_ + "match R1 --today 2026-03-10", &text), 0) << text;
  EXPECT_NE(text.find("Nearest misses"), std::string::npos) << text;
  EXPECT_NE(text.find("free from 2026-03-15, 5 day(s) after"), std::string::npos) << text;
}

}  // namespace
}  // namespace berth

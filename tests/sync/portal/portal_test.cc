// The provider portal against a real berth-hub over HTTPS (PROTOCOL.md section 14): accounts and their
// one-time invites, lockout, CSRF, a provider seeing only its own offers, no personal data on any page,
// and answers and vacancies reaching a broker's laptop at its next sync (issue 24's acceptance). Built into
// portal_tests (the SQLite hub) and into sync_pg_tests, which runs the acceptance on a PostgreSQL hub.
#include <gtest/gtest.h>

#include "berth/core/case_log.h"
#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/scoring.h"
#include "berth/core/supply_index.h"
#include "berth/schema/model.h"
#include "berth/schema/repository.h"
#include "portal_harness.h"

namespace berth::testing {
namespace {

constexpr char kName[] = "Winifred Quarrington";
constexpr char kNhsNumber[] = "9434765919";
constexpr char kDateOfBirth[] = "1941-03-17";
constexpr char kNotes[] = "Daughter visits on Tuesdays";

class PortalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    portal_ = std::make_unique<PortalHub>(tmp_);
    broker_ = Device::Create(tmp_.Sub("broker"));
    ASSERT_TRUE(broker_->Enroll(portal_->hub).ok());
  }

  // Three care homes, one bed each, a referral with every personal field filled, and an offer to each home.
  void SeedOffers() {
    for (int i = 0; i < 3; ++i) {
      homes_.push_back(broker_->Write("provider", "",
                                      {{"name", "Home " + std::to_string(i)},
                                       {"cqc_location_id", "1-10000000" + std::to_string(i)},
                                       {"district", std::string("Huntingdonshire")}}));
      beds_.push_back(broker_->Write("bed", "",
                                     {{"provider_id", homes_.back()},
                                      {"room", "Room " + std::to_string(i)},
                                      {"status", std::string("unavailable")},
                                      {"unavailable_reason", std::string("maintenance")}}));
    }
    referral_ = broker_->Write("referral", "",
                               {{"name", std::string(kName)},
                                {"nhs_number", std::string(kNhsNumber)},
                                {"date_of_birth", std::string(kDateOfBirth)},
                                {"notes", std::string(kNotes)},
                                {"gender", std::string("female")},
                                {"needs", std::string("dementia,hoist")},
                                {"category", std::string("residential_dementia")},
                                {"district", std::string("Huntingdonshire")},
                                {"discharge_ready_date", std::string("2026-12-10")},
                                {"status", std::string("offered")}});
    for (const auto& home : homes_) {
      offers_.push_back(broker_->Write("offer", "",
                                       {{"referral_id", referral_},
                                        {"provider_id", home},
                                        {"sent_at", std::string("2026-12-03T09:00:00Z")},
                                        {"respond_by", std::string("2026-12-03T17:00:00Z")},
                                        {"status", std::string("pending")}}));
    }
    ASSERT_TRUE(broker_->Sync().ok());
  }

  // Rows of the hub's portal audit that match `where`, in its SQLite store or its PostgreSQL database.
  int64_t AuditCount(const std::string& where) {
    const std::string sql = "SELECT count(*) FROM hub_portal_audit WHERE " + where;
    if (portal_->hub.on_postgres()) {
      const auto n = PostgresColumn(portal_->hub.postgres_url(), sql);
      return n.empty() ? -1 : std::stoll(n[0]);
    }
    auto store = portal_->hub.OpenStore();
    return store ? Count(*store, sql) : -1;
  }

  // What matching `referral` on the broker's laptop says of `bed`: "candidate", the code of the rule that
  // excluded it, or "absent"; "error: ..." when matching could not run.
  std::string BedInBrokersMatch(const std::string& referral, const std::string& bed) {
    Store& store = *broker_->store;
    auto geo = core::DefaultGeography();
    auto settings = core::LoadMatchSettings(store);
    auto person = LoadReferral(store.db(), referral);
    if (!geo.ok() || !settings.ok() || !person.ok()) return "error: cannot load the referral or settings";
    auto index = core::SupplyIndex::Build(store.db(), *geo);
    if (!index.ok()) return "error: " + index.status().message();
    const uint32_t slot = index->FindBed(bed);
    const core::MatchResult m = core::Match(core::ContextNow(*index, *settings, *geo), *person);
    for (const auto& c : m.candidates) {
      if (c.kind == core::CandidateKind::kBed && c.bed == slot) return "candidate";
    }
    for (const auto& e : m.excluded) {
      if (e.kind == core::CandidateKind::kBed && e.bed == slot) return std::string(core::RuleCode(e.rule));
    }
    return "absent";
  }

  std::string BrokerOffer(const std::string& offer, const std::string& field) {
    return Text(*broker_->store, "SELECT " + field + " FROM offer WHERE id = '" + offer + "'");
  }

  TempDir tmp_;
  std::unique_ptr<PortalHub> portal_;
  std::unique_ptr<Device> broker_;
  std::vector<std::string> homes_, beds_, offers_;
  std::string referral_;
};

TEST_F(PortalTest, AnInviteSetsThePasswordOnceAndTheSessionCookieIsLockedDown) {
  const nlohmann::json invite = portal_->Invite("1-100000000", "Manager@Home0.example");
  const std::string link = invite.value("link", "");
  ASSERT_EQ(link.rfind("https://127.0.0.1:", 0), 0u) << link;
  const std::string path = link.substr(link.find("/invite/"));
  auto c = portal_->Client();
  PortalPage form = c->Get(path);
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("manager@home0.example"), std::string::npos);
  // Every answer carries the portal's policy: no scripts from anywhere, no framing.
  EXPECT_NE(form.headers.find("Content-Security-Policy")->second.find("default-src 'none'"),
            std::string::npos);
  EXPECT_EQ(form.headers.find("X-Frame-Options")->second, "DENY");
  // A short password is refused and the invite still works.
  PortalPage shorter = c->Post(
      "/invite",
      {{"csrf", form.Csrf()}, {"token", path.substr(8)}, {"password", "short"}, {"confirm", "short"}});
  EXPECT_EQ(shorter.status, 400);
  PortalPage set = c->Post("/invite", {{"csrf", form.Csrf()},
                                       {"token", path.substr(8)},
                                       {"password", "correct horse battery"},
                                       {"confirm", "correct horse battery"}});
  ASSERT_EQ(set.status, 303) << set.body;
  // The link works once.
  EXPECT_EQ(c->Get(path).status, 404);
  PortalPage again = c->Post("/invite", {{"csrf", form.Csrf()},
                                         {"token", path.substr(8)},
                                         {"password", "another long password"},
                                         {"confirm", "another long password"}});
  EXPECT_EQ(again.status, 404);

  PortalPage sign_in = c->Get("/sign-in");
  PortalPage in = c->Post(
      "/sign-in",
      {{"csrf", sign_in.Csrf()}, {"email", "manager@home0.example"}, {"password", "correct horse battery"}});
  ASSERT_EQ(in.status, 303) << in.body;
  bool session_cookie = false;
  for (const auto& line : c->set_cookie_lines) {
    if (line.rfind("berth_session=", 0) != 0) continue;
    session_cookie = true;
    EXPECT_NE(line.find("HttpOnly"), std::string::npos) << line;
    EXPECT_NE(line.find("Secure"), std::string::npos) << line;
    EXPECT_NE(line.find("SameSite=Strict"), std::string::npos) << line;
    EXPECT_NE(line.find("Max-Age=28800"), std::string::npos) << line;  // the session expires
  }
  EXPECT_TRUE(session_cookie);
  EXPECT_EQ(c->Get("/offers").status, 200);

  // Revoked: the session ends at once and the account cannot sign in.
  std::string out;
  ASSERT_EQ(RunCommand(Program("sync/hub/berth-hub") + portal_->hub.where() + " provider revoke " +
                           invite.value("account_id", "").substr(0, 8),
                       &out),
            0)
      << out;
  EXPECT_EQ(c->Get("/offers").status, 303);
  RunCommand(Program("sync/hub/berth-hub") + portal_->hub.where() + " provider list", &out);
  EXPECT_NE(out.find("revoked"), std::string::npos) << out;
}

TEST_F(PortalTest, WrongPasswordsLockTheAccountEvenForTheRightOne) {
  portal_->SignedInProvider("1-100000000", "m@home0.example", "correct horse battery");
  auto c = portal_->Client();
  for (int i = 0; i < 5; ++i) {
    PortalPage form = c->Get("/sign-in");
    PortalPage wrong = c->Post("/sign-in", {{"csrf", form.Csrf()},
                                            {"email", "m@home0.example"},
                                            {"password", "wrong guess " + std::to_string(i)}});
    EXPECT_EQ(wrong.status, 401);
  }
  PortalPage form = c->Get("/sign-in");
  PortalPage right =
      c->Post("/sign-in",
              {{"csrf", form.Csrf()}, {"email", "m@home0.example"}, {"password", "correct horse battery"}});
  EXPECT_EQ(right.status, 401) << "a locked account signed in";
  // An address with no account gets the same answer as a wrong password.
  PortalPage unknown_form = c->Get("/sign-in");
  PortalPage unknown = c->Post("/sign-in", {{"csrf", unknown_form.Csrf()},
                                            {"email", "nobody@nowhere.example"},
                                            {"password", "correct horse battery"}});
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.body, right.body);
  // That was the seventh failure from this address; the eighth closes it, to every account.
  PortalPage eighth_form = c->Get("/sign-in");
  EXPECT_EQ(c->Post("/sign-in",
                    {{"csrf", eighth_form.Csrf()}, {"email", "nobody@nowhere.example"}, {"password", "x"}})
                .status,
            401);
  auto other = portal_->SignedInProviderStatus("1-100000001", "m@home1.example", "staple battery horse");
  EXPECT_EQ(other, 429) << "sign-ins from an address with eight failures went on";
  EXPECT_EQ(c->cookies().count("berth_session"), 0u);
  std::string out;
  RunCommand(Program("sync/hub/berth-hub") + portal_->hub.where() + " provider list", &out);
  EXPECT_NE(out.find("locked"), std::string::npos) << out;
}

TEST_F(PortalTest, FormsWithoutTheirTokenAndOtherProvidersOffersAreRefused) {
  SeedOffers();
  auto home0 = portal_->SignedInProvider("1-100000000", "m@home0.example", "correct horse battery");
  PortalPage offers = home0->Get("/offers");
  ASSERT_EQ(offers.status, 200);
  // Its own offer only.
  EXPECT_NE(offers.body.find(offers_[0]), std::string::npos);
  EXPECT_EQ(offers.body.find(offers_[1]), std::string::npos);
  EXPECT_EQ(offers.body.find(offers_[2]), std::string::npos);
  // No token, a wrong token: refused, nothing changed.
  EXPECT_EQ(home0->Post("/offers/" + offers_[0] + "/answer", {{"answer", "accept"}}).status, 403);
  EXPECT_EQ(
      home0->Post("/offers/" + offers_[0] + "/answer", {{"answer", "accept"}, {"csrf", std::string(64, 'a')}})
          .status,
      403);
  // Another home's offer, with a good token: as if there were no such offer.
  PortalPage other =
      home0->Post("/offers/" + offers_[1] + "/answer", {{"answer", "accept"}, {"csrf", offers.Csrf()}});
  EXPECT_EQ(other.status, 404);
  // The sign-in form wants its token too.
  auto fresh = portal_->Client();
  EXPECT_EQ(
      fresh->Post("/sign-in", {{"email", "m@home0.example"}, {"password", "correct horse battery"}}).status,
      403);
  ASSERT_TRUE(broker_->Sync().ok());
  for (const auto& o : offers_) EXPECT_EQ(BrokerOffer(o, "status"), "pending");
}

// Issue 24's acceptance: an offer to three homes, answered on the web by two, shows both answers on the
// broker's laptop after one sync; no page carries the person's name, NHS number, date of birth or notes;
// a later different answer from the laptop comes back as a conflict.
TEST_F(PortalTest, TwoHomesAnswerOnTheWebAndTheBrokerSeesBothAfterOneSync) {
  SeedOffers();
  auto home0 = portal_->SignedInProvider("1-100000000", "m@home0.example", "correct horse battery");
  auto home1 = portal_->SignedInProvider("1-100000001", "m@home1.example", "staple battery horse");
  std::vector<std::string> pages;
  PortalPage offers0 = home0->Get("/offers");
  pages.push_back(offers0.body);
  EXPECT_NE(offers0.body.find("dementia, hoist"), std::string::npos);
  EXPECT_NE(offers0.body.find("85 and over"), std::string::npos);
  PortalPage accepted =
      home0->Post("/offers/" + offers_[0] + "/answer", {{"answer", "accept"}, {"csrf", offers0.Csrf()}});
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  pages.push_back(accepted.body);
  PortalPage offers1 = home1->Get("/offers");
  pages.push_back(offers1.body);
  PortalPage declined = home1->Post("/offers/" + offers_[1] + "/answer", {{"answer", "decline"},
                                                                          {"reason", "no_capacity"},
                                                                          {"note", "full until January"},
                                                                          {"csrf", offers1.Csrf()}});
  ASSERT_EQ(declined.status, 200) << declined.body;
  pages.push_back(declined.body);
  pages.push_back(home1->Get("/vacancies").body);
  for (const auto& page : pages) {
    for (const char* secret : {kName, kNhsNumber, kDateOfBirth, kNotes, "943 476 5919"}) {
      EXPECT_EQ(page.find(secret), std::string::npos) << "a page shows " << secret;
    }
  }

  // Every page view and answer is audited on the hub, by account and row id.
  EXPECT_EQ(AuditCount("action = 'offer_accept' AND object = '" + offers_[0] + "'"), 1);
  EXPECT_EQ(AuditCount("action = 'offer_decline' AND object = '" + offers_[1] + "'"), 1);
  EXPECT_GE(AuditCount("action = 'view' AND object = '/offers'"), 2);

  ASSERT_TRUE(broker_->Sync().ok());
  EXPECT_EQ(BrokerOffer(offers_[0], "status"), "accepted");
  EXPECT_NE(BrokerOffer(offers_[0], "answered_at"), "");
  EXPECT_EQ(BrokerOffer(offers_[1], "status"), "declined");
  EXPECT_EQ(BrokerOffer(offers_[1], "decline_reason"), "no_capacity");
  EXPECT_EQ(BrokerOffer(offers_[1], "note"), "full until January");
  EXPECT_EQ(BrokerOffer(offers_[2], "status"), "pending");
  // The broker's case log says so, in words.
  auto log = core::CaseLog(*broker_->store, referral_);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  const std::string words = core::CaseLogText(*log);
  EXPECT_NE(words.find("via sync: Home 0 accepted"), std::string::npos) << words;
  EXPECT_NE(words.find("via sync: Home 1 declined: no_capacity"), std::string::npos) << words;

  // A phone call recorded on the laptop says home 0 declined: the web's answer reached the hub first.
  broker_->Write("offer", offers_[0],
                 {{"status", std::string("declined")}, {"decline_reason", std::string("other")}});
  ASSERT_TRUE(broker_->Sync().ok());
  auto conflicts = sync::ListConflicts(*broker_->store);
  ASSERT_TRUE(conflicts.ok());
  ASSERT_EQ(conflicts->size(), 1u);
  EXPECT_EQ(conflicts->front().reason_code, "offer_answered");
  EXPECT_EQ(BrokerOffer(offers_[0], "status"), "accepted");

  // A withdrawn offer takes no answer from the web.
  broker_->Write("offer", offers_[2], {{"status", std::string("withdrawn")}});
  ASSERT_TRUE(broker_->Sync().ok());
  auto home2 = portal_->SignedInProvider("1-100000002", "m@home2.example", "horse staple battery");
  PortalPage offers2 = home2->Get("/offers");
  EXPECT_EQ(home2->Post("/offers/" + offers_[2] + "/answer", {{"answer", "accept"}, {"csrf", offers2.Csrf()}})
                .status,
            409);
}

TEST_F(PortalTest, VacanciesMadeOnTheWebReachTheLaptopButNotOverAPlacement) {
  SeedOffers();
  // Bed 1 is taken by a placement covering today.
  const std::string today = TodayIsoDate();
  broker_->Write("placement", "",
                 {{"referral_id", referral_},
                  {"provider_id", homes_[1]},
                  {"bed_id", beds_[1]},
                  {"kind", std::string("care_home")},
                  {"status", std::string("active")},
                  {"start_date", today}});
  broker_->Write("bed", beds_[1], {{"status", std::string("occupied")}});
  ASSERT_TRUE(broker_->Sync().ok());
  auto home0 = portal_->SignedInProvider("1-100000000", "m@home0.example", "correct horse battery");
  PortalPage page = home0->Get("/vacancies");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Room 0"), std::string::npos);
  EXPECT_EQ(page.body.find("Room 1"), std::string::npos);
  // A second person whom home 0's bed suits in every way but its status.
  broker_->Write("provider", homes_[0], {{"registration", std::string("residential")}});
  const std::string plain = broker_->Write("referral", "",
                                           {{"gender", std::string("female")},
                                            {"category", std::string("residential")},
                                            {"district", std::string("Huntingdonshire")},
                                            {"discharge_ready_date", today},
                                            {"status", std::string("sourcing")}});
  EXPECT_EQ(BedInBrokersMatch(plain, beds_[0]), "not_available");
  PortalPage saved = home0->Post("/vacancies/bed/" + beds_[0], {{"status", "vacant"}, {"csrf", page.Csrf()}});
  EXPECT_EQ(saved.status, 200) << saved.body;
  ASSERT_TRUE(broker_->Sync().ok());
  EXPECT_EQ(BedInBrokersMatch(plain, beds_[0]), "candidate") << "the bed made vacant on the web";
  EXPECT_EQ(home0->Post("/vacancies/bed/" + beds_[1], {{"status", "vacant"}, {"csrf", page.Csrf()}}).status,
            404);

  auto home1 = portal_->SignedInProvider("1-100000001", "m@home1.example", "staple battery horse");
  PortalPage page1 = home1->Get("/vacancies");
  PortalPage refused =
      home1->Post("/vacancies/bed/" + beds_[1], {{"status", "vacant"}, {"csrf", page1.Csrf()}});
  EXPECT_EQ(refused.status, 409) << "a bed with a placement today was made vacant";
  // Home 1's homecare hours, edited in place.
  const std::string hours = broker_->Write("homecare_capacity", "",
                                           {{"provider_id", homes_[1]},
                                            {"zone", std::string("Huntingdon")},
                                            {"band", std::string("morning")},
                                            {"hours_per_week", 10.0}});
  ASSERT_TRUE(broker_->Sync().ok());
  EXPECT_EQ(home1->Post("/vacancies/homecare/" + hours, {{"hours", "20.5"}, {"csrf", page1.Csrf()}}).status,
            200);
  EXPECT_EQ(home1->Post("/vacancies/homecare/" + hours, {{"hours", "-3"}, {"csrf", page1.Csrf()}}).status,
            400);
  // The capacity return as a file: one bad line changes nothing.
  PortalPage bad = home1->Upload("/vacancies/upload", page1.Csrf(),
                                 "type,id,value\nbed,Room 1,vacant\nbed,Room 0,vacant\n");
  EXPECT_EQ(bad.status, 400);
  // A good one: home 0's bed back to unavailable by its room.
  PortalPage good =
      home0->Upload("/vacancies/upload", page.Csrf(), "type,id,value\nbed,Room 0,unavailable\n");
  EXPECT_EQ(good.status, 200);
  EXPECT_NE(good.body.find("1 of 1 changes saved"), std::string::npos) << good.body;

  ASSERT_TRUE(broker_->Sync().ok());
  EXPECT_EQ(Text(*broker_->store, "SELECT status FROM bed WHERE id = '" + beds_[0] + "'"), "unavailable");
  EXPECT_EQ(Text(*broker_->store, "SELECT status FROM bed WHERE id = '" + beds_[1] + "'"), "occupied");
  EXPECT_EQ(Text(*broker_->store, "SELECT hours_per_week FROM homecare_capacity WHERE id = '" + hours + "'"),
            "20.5");
}

}  // namespace
}  // namespace berth::testing

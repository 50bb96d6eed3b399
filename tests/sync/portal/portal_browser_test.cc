// The provider portal in a real browser (issue 24): headless Chromium driven over WebDriver through the
// whole of a provider's first visit (invite -> set password -> sign in -> only its own offers -> decline
// one with a reason -> accept another -> mark a bed vacant), axe-core finding no WCAG 2.2 A/AA violation
// on any page, a screenshot of each page saved; then the broker's laptop syncs and holds it all.
// Screenshots go to the build tree, or to $BERTH_PORTAL_SCREENSHOTS (the README's are made that way).
#include <gtest/gtest.h>

#include <cstdlib>

#include "portal_harness.h"
#include "webdriver.h"

namespace berth::testing {
namespace {

std::string Joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

TEST(PortalBrowser, AProviderAnswersOffersAndMarksABedVacantAndTheLaptopHoldsIt) {
  TempDir tmp;
  PortalHub portal(tmp);
  auto broker = Device::Create(tmp.Sub("broker"));
  ASSERT_TRUE(broker->Enroll(portal.hub).ok());
  const std::string home = broker->Write("provider", "",
                                         {{"name", std::string("Riverside Lodge")},
                                          {"cqc_location_id", std::string("1-200000001")},
                                          {"district", std::string("Huntingdonshire")}});
  const std::string other = broker->Write("provider", "",
                                          {{"name", std::string("Elm House")},
                                           {"cqc_location_id", std::string("1-200000002")},
                                           {"district", std::string("Huntingdonshire")}});
  const std::string bed = broker->Write("bed", "",
                                        {{"provider_id", home},
                                         {"room", std::string("7")},
                                         {"category", std::string("nursing")},
                                         {"status", std::string("unavailable")},
                                         {"unavailable_reason", std::string("maintenance")}});
  broker->Write("homecare_capacity", "",
                {{"provider_id", home},
                 {"zone", std::string("Huntingdon")},
                 {"band", std::string("morning")},
                 {"hours_per_week", 12.0}});
  std::vector<std::string> offers;
  for (int i = 0; i < 3; ++i) {
    const std::string referral = broker->Write("referral", "",
                                               {{"name", "Person Number" + std::to_string(i)},
                                                {"nhs_number", ValidNhsNumber(943476591 + i)},
                                                {"date_of_birth", std::string("1940-01-01")},
                                                {"needs", std::string("nursing,hoist")},
                                                {"district", std::string("Huntingdonshire")},
                                                {"discharge_ready_date", std::string("2026-12-10")}});
    offers.push_back(broker->Write("offer", "",
                                   {{"referral_id", referral},
                                    {"provider_id", i < 2 ? home : other},
                                    {"sent_at", std::string("2026-12-03T09:0" + std::to_string(i) + ":00Z")},
                                    {"respond_by", std::string("2026-12-03T17:00:00Z")},
                                    {"status", std::string("pending")}}));
  }
  ASSERT_TRUE(broker->Sync().ok());
  const std::string link = portal.Invite("1-200000001", "manager@riverside.example").value("link", "");

  const char* shots_env = std::getenv("BERTH_PORTAL_SCREENSHOTS");
  const std::string shots = shots_env != nullptr ? shots_env : tmp.path();
  WebDriver browser(tmp.Sub("chromium-profile"));
  ASSERT_TRUE(browser.ok());
  auto check_page = [&](const std::string& name) {
    EXPECT_EQ(Joined(browser.AccessibilityViolations()), "") << "on the " << name << " page";
    browser.Screenshot(shots + "/portal-" + name + ".png");
    const std::string html = browser.Source();
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(html.find("Person Number" + std::to_string(i)), std::string::npos) << name;
      EXPECT_EQ(html.find(ValidNhsNumber(943476591 + i)), std::string::npos) << name;
    }
    EXPECT_EQ(html.find("1940-01-01"), std::string::npos) << name;
  };

  browser.Go(link);
  check_page("set-password");
  browser.Type("#password", "river lodge nursing 7");
  browser.Type("#confirm", "river lodge nursing 7");
  browser.Click("button[type=submit]");
  ASSERT_TRUE(browser.WaitForText("<h1>Sign in</h1>"));
  check_page("sign-in");
  browser.Type("#email", "manager@riverside.example");
  browser.Type("#password", "river lodge nursing 7");
  browser.Click("main button[type=submit]");
  ASSERT_TRUE(browser.WaitForText("<h1>Offers for"));
  std::string html = browser.Source();
  EXPECT_NE(html.find(offers[0]), std::string::npos);
  EXPECT_NE(html.find(offers[1]), std::string::npos);
  EXPECT_EQ(html.find(offers[2]), std::string::npos) << "another home's offer is shown";
  check_page("offers");

  browser.Click("#offer-" + offers[0] + "-reason option[value=cannot_meet_needs]");
  browser.Type("#offer-" + offers[0] + "-note", "no nursing bed free this week");
  browser.Click("section[aria-labelledby=offer-" + offers[0] + "-h] button.secondary");
  EXPECT_TRUE(browser.WaitForText("Offer declined"));
  browser.Click("form[action='/offers/" + offers[1] + "/answer'] button");
  EXPECT_TRUE(browser.WaitForText("Offer accepted"));
  check_page("answered");

  browser.Click("a[href='/vacancies']");
  ASSERT_TRUE(browser.WaitForText("<h1>My vacancies"));
  check_page("vacancies");
  browser.Click("#bed-" + bed + " option[value=vacant]");
  browser.Click("form[action='/vacancies/bed/" + bed + "'] button");
  EXPECT_TRUE(browser.WaitForText("Saved."));

  ASSERT_TRUE(broker->Sync().ok());
  EXPECT_EQ(
      Text(*broker->store,
           "SELECT status || '/' || decline_reason || '/' || note FROM offer WHERE id = '" + offers[0] + "'"),
      "declined/cannot_meet_needs/no nursing bed free this week");
  EXPECT_EQ(Text(*broker->store, "SELECT status FROM offer WHERE id = '" + offers[1] + "'"), "accepted");
  EXPECT_EQ(Text(*broker->store, "SELECT status FROM offer WHERE id = '" + offers[2] + "'"), "pending");
  EXPECT_EQ(Text(*broker->store, "SELECT status FROM bed WHERE id = '" + bed + "'"), "vacant");
}

}  // namespace
}  // namespace berth::testing

// End to end through the real `berth` binary: demo, reports, imports, referrals; malformed input exits 2
// and leaves the store verifiably untouched.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <sstream>

#include "cli/cli_fixture.h"
#include "core/data_fixture.h"

namespace berth {
namespace {

using berth::testing::AssetData;
using berth::testing::Program;
using berth::testing::RunCommand;
using berth::testing::TempDir;

using CliDataTest = berth::testing::BerthCliTest;

TEST_F(CliDataTest, DemoThenReportsOnAStoreThatDidNotExist) {
  std::string out;
  ASSERT_EQ(Run("demo --seed 5 --today 2026-11-22", &out), 0) << out;
  EXPECT_NE(out.find("Recovery key"), std::string::npos);
  EXPECT_NE(out.find("care homes"), std::string::npos);
  ASSERT_EQ(Run("report queue --today 2026-11-22", &out), 0) << out;
  EXPECT_NE(out.find("Queue on 2026-11-22: 40 open referrals"), std::string::npos) << out;
  ASSERT_EQ(Run("report voids --json --today 2026-11-22", &out), 0) << out;
  auto voids = nlohmann::json::parse(out);
  int64_t weekly = 0;
  for (const auto& b : voids["beds"]) weekly += b["weekly_rate_pence"].get<int64_t>();
  EXPECT_EQ(voids["weekly_cost_pence"].get<int64_t>(), weekly);
  EXPECT_GT(voids["voids"].get<int64_t>(), 0);
  ASSERT_EQ(Run("report utilisation --csv --from 2026-11-01 --to 2026-11-21", &out), 0) << out;
  EXPECT_EQ(out.substr(0, out.find('\n')),
            "level,name,district,block_beds,bed_days,occupied_days,utilisation");
  ASSERT_EQ(Run("referral list --json", &out), 0) << out;
  auto list = nlohmann::json::parse(out);
  ASSERT_EQ(list.size(), 40u);
  for (const char* k : {"id", "name", "pathway", "category", "status", "discharge_ready_date"}) {
    EXPECT_TRUE(list[0].contains(k)) << k;
  }
  const std::string id = list[0]["id"];
  ASSERT_EQ(Run("referral show " + id.substr(0, 13) + " --json", &out), 0) << out;
  EXPECT_EQ(nlohmann::json::parse(out)["id"], id);
  // The ids `referral list` shows are unique, not the shared time digits, and `referral show` takes them.
  std::map<std::string, std::string> id_of_short;
  for (const auto& r : list) id_of_short[r["short_id"].get<std::string>()] = r["id"].get<std::string>();
  EXPECT_EQ(id_of_short.size(), list.size());
  ASSERT_EQ(Run("referral list", &out), 0) << out;
  std::istringstream lines(out.substr(out.find('\n') + 1));
  std::string line;
  size_t shown = 0;
  while (std::getline(lines, line)) {
    const std::string short_id = line.substr(0, line.find(' '));
    ASSERT_TRUE(id_of_short.count(short_id)) << line;
    if (shown++ % 8 == 0) {  // a sample keeps the test quick: each `show` is a process and an unlock
      ASSERT_EQ(Run("referral show " + short_id + " --json", &out), 0) << out;
      EXPECT_EQ(nlohmann::json::parse(out)["id"], id_of_short[short_id]);
    }
  }
  EXPECT_EQ(shown, list.size());
  EXPECT_EQ(Run("demo", &out), 2) << out;  // the store is no longer empty
  EXPECT_EQ(Run("verify", &out), 0) << out;
}

// The commissioning reports and the placements export on the county demo: each runs with --csv and
// --json, and the totals they share with the voids and utilisation reports agree.
TEST_F(CliDataTest, CommissioningReportsRunOnTheDemoAndAgreeWithTheVoids) {
  std::string out;
  ASSERT_EQ(Run("demo --seed 5 --today 2026-11-22", &out), 0) << out;
  const std::string range = " --from 2026-10-26 --to 2026-11-22";
  ASSERT_EQ(Run("report voids --json --today 2026-11-22", &out), 0) << out;
  const auto voids = nlohmann::json::parse(out);
  ASSERT_EQ(Run("report utilisation --json" + range, &out), 0) << out;
  const auto util = nlohmann::json::parse(out);
  const std::map<std::string, std::string> csv_headers = {
      {"why-voids",
       "home,district,room,category,weekly_rate,vacant_since,days_vacant,cost_so_far,referrals,"
       "suits,top_rule,excluded_by,suits_referrals,excluded_from"},
      {"unmet", "level,key,pathway,category,district,bands,referrals,days_past,examined,top_rule,by_rule"},
      {"responses",
       "level,provider,block_home,offers,accepted,declined,withdrawn,expired,pending,timed,"
       "mean_hours,median_hours,max_hours,declines_by_reason,provider_id"},
      {"spend",
       "kind,contract,placements,people,weekly_cost,days,cost_in_range,out_of_area,out_of_area_weekly"}};
  std::map<std::string, nlohmann::json> json;
  for (const auto& [name, header] : csv_headers) {
    const std::string when = name == "responses" || name == "spend" ? range : " --today 2026-11-22";
    ASSERT_EQ(Run("report " + name + " --csv" + when, &out), 0) << name << ": " << out;
    EXPECT_EQ(out.substr(0, out.find('\n')), header) << name;
    ASSERT_EQ(Run("report " + name + " --json" + when, &out), 0) << name << ": " << out;
    json[name] = nlohmann::json::parse(out);
    ASSERT_EQ(Run("report " + name + when, &out), 0) << name << ": " << out;
  }
  EXPECT_EQ(json["why-voids"]["voids"], voids["voids"]);
  EXPECT_EQ(json["why-voids"]["weekly_cost_pence"], voids["weekly_cost_pence"]);
  EXPECT_EQ(json["why-voids"]["cost_so_far_pence"], voids["cost_so_far_pence"]);
  EXPECT_EQ(json["spend"]["block_contract"]["void_beds"], voids["voids"]);
  EXPECT_EQ(json["spend"]["block_contract"]["void_weekly_pence"], voids["weekly_cost_pence"]);
  EXPECT_EQ(json["spend"]["block_contract"]["block_beds"], util["total"]["block_beds"]);
  EXPECT_EQ(json["unmet"]["queued"], 40);
  ASSERT_EQ(Run("export placements --csv", &out), 0) << out;
  EXPECT_EQ(
      out.substr(0, out.find('\n')),
      "person_id,nhs_number,provider,cqc_location_id,kind,contract,bed_id,room,hours_per_week,start_date,"
      "end_date,weekly_cost,funding,status,provider_id,placement_id");
  ASSERT_EQ(Run("export placements --json", &out), 0) << out;
  EXPECT_GT(nlohmann::json::parse(out)["placements"].size(), 0u);
  // Bad input: two formats (usage, 1), a range that ends before it starts (bad input, 2).
  EXPECT_EQ(Run("report spend --csv --json", &out), 1) << out;
  EXPECT_EQ(Run("report responses --from 2026-11-22 --to 2026-11-01", &out), 2) << out;
  EXPECT_EQ(Run("export placements --from someday", &out), 2) << out;
  EXPECT_EQ(Run("verify", &out), 0) << out;
}

TEST_F(CliDataTest, ImportTwiceChangesNothingAndMalformedInputExits2) {
  std::string out;
  ASSERT_EQ(Run("init", &out), 0) << out;
  const std::string cqc = AssetData("care_directory_2016_sample.csv");
  ASSERT_EQ(Run("import cqc " + cqc + " --la Cambridgeshire", &out), 0) << out;
  EXPECT_NE(out.find("7000 rows read"), std::string::npos) << out;
  EXPECT_NE(out.find("created 1-1001921065 Thomas Road (care home, Cambridgeshire)"), std::string::npos)
      << out;
  EXPECT_NE(out.find("by local authority (care homes, homecare agencies):\n  Cambridgeshire: "),
            std::string::npos);
  ASSERT_EQ(Run("import cqc " + cqc + " --la Peterborough", &out), 0) << out;
  EXPECT_NE(out.find("created 1-106969315 Clair Francis Retirement Home (care home, Peterborough)"),
            std::string::npos);
  ASSERT_EQ(Run("import cqc " + cqc + " --la Peterborough", &out), 0) << out;
  EXPECT_NE(out.find(" 0 created, 0 updated"), std::string::npos) << out;
  ASSERT_EQ(Run("info", &out), 0);

  const std::string bad_beds = Write("beds.csv",
                                     "cqc_location_id,room,category,contract,weekly_rate,status\n"
                                     "1-106969315,1,residential,block,700,vacant\n"
                                     "1-106969315,2,penthouse,block,700,vacant\n");
  ASSERT_EQ(Run("import beds " + bad_beds, &out), 2);
  EXPECT_NE(out.find("line 3: unknown bed category 'penthouse'"), std::string::npos) << out;
  const std::string ann =
      Write("ann.json", R"({"nhs_number":"9434765918","name":"Ann Example","date_of_birth":"1941-03-02",
    "pathway":"P3","category":"nursing","discharge_ready_date":"2026-11-20"})");
  ASSERT_EQ(Run("referral add " + ann, &out), 2);
  EXPECT_NE(out.find("line 1: referral 1: \"nhs_number\""), std::string::npos) << out;
  EXPECT_EQ(out.find("Ann Example"), std::string::npos);  // never echoed
  ASSERT_EQ(Run("referral list --json", &out), 0);
  EXPECT_EQ(nlohmann::json::parse(out).size(), 0u);
  ASSERT_EQ(Run("verify", &out), 0) << out;

  const std::string good_beds = Write("good.csv",
                                      "cqc_location_id,room,category,contract,weekly_rate,status\n"
                                      "1-106969315,1,residential,block,700,vacant\n");
  ASSERT_EQ(Run("import beds " + good_beds, &out), 0) << out;
  EXPECT_NE(out.find("1 created"), std::string::npos) << out;
  ASSERT_EQ(Run("referral add - < " + Write("ok.json", R"({"nhs_number":"9434765919","name":"Ann Example",
    "date_of_birth":"1941-03-02","pathway":"P3","category":"nursing","discharge_ready_date":"2026-11-20"})"),
                &out),
            0)
      << out;
  ASSERT_EQ(Run("referral list", &out), 0);
  EXPECT_NE(out.find("Ann Example"), std::string::npos);
  EXPECT_EQ(Run("import cqc /nonexistent.csv", &out), 2) << out;
}

}  // namespace
}  // namespace berth

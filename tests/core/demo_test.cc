// The demo store: real Cambridgeshire and Peterborough providers, the block contract's category mix,
// voids that reconcile with the bed records, fictional people with valid test-range NHS numbers, and the
// same store for the same seed.
#include "berth/core/demo.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "berth/core/nhs_number.h"
#include "berth/core/reports.h"
#include "berth/schema/repository.h"
#include "data_fixture.h"

namespace berth::core {
namespace {

using berth::testing::Geo;
using berth::testing::NewStore;
using berth::testing::TempDir;

DemoOptions County(uint64_t seed) {
  DemoOptions o;
  o.seed = seed;
  o.today = "2026-11-22";
  return o;
}

// Every live row of a table as text, ordered by id: equal dumps mean equal tables.
std::string Dump(Store& s, const std::string& table) {
  auto st = s.db().Prepare("SELECT * FROM " + table + " ORDER BY id");
  EXPECT_TRUE(st.ok());
  std::string out;
  while (*st->Step()) {
    for (int c = 0; c < st->ColumnCount(); ++c) {
      const std::string name = st->ColumnName(c);
      if (name == "hlc" || name == "origin") continue;  // device and time of writing
      out += st->IsNull(c) ? "NULL" : st->Text(c);
      out += '|';
    }
    out += '\n';
  }
  return out;
}

TEST(Demo, CountyScaleIsBelievableAndReconciles) {
  TempDir tmp;
  auto store = NewStore(tmp);
  auto s = BuildDemo(*store, Geo(), County(7));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Db& db = store->db();
  // Only real Cambridgeshire and Peterborough providers.
  EXPECT_EQ(s->synthetic_providers, 0);
  EXPECT_EQ(
      *db.QueryInt(
          "SELECT count(*) FROM provider WHERE local_authority NOT IN ('Cambridgeshire', 'Peterborough')"),
      0);
  EXPECT_GT(s->care_homes, 30);
  EXPECT_GT(s->agencies, 8);
  // The block contract is 38% of the older people's beds, split 34/16/42/7 (residential, residential
  // dementia, nursing, nursing dementia) as the real contract is; each share rounded to the nearest bed and
  // capped by the beds of that category. The generator is seeded, so the counts are exact.
  const char* kOlderPeoples[4] = {"residential", "residential_dementia", "nursing", "nursing_dementia"};
  const double kShare[4] = {0.34, 0.16, 0.42, 0.07};
  int64_t eligible = 0;
  for (const char* category : kOlderPeoples) {
    eligible += *db.QueryInt(fmt::format("SELECT count(*) FROM bed WHERE category = '{}'", category));
  }
  const int64_t block_total = std::llround(static_cast<double>(eligible) * 0.38);
  EXPECT_GT(block_total, 250);
  int64_t block_sum = 0;
  for (size_t c = 0; c < 4; ++c) {
    const int64_t pool =
        *db.QueryInt(fmt::format("SELECT count(*) FROM bed WHERE category = '{}'", kOlderPeoples[c]));
    const int64_t want = std::min<int64_t>(std::llround(static_cast<double>(block_total) * kShare[c]), pool);
    EXPECT_EQ(s->block_by_category[c], want) << kOlderPeoples[c];
    EXPECT_EQ(*db.QueryInt(fmt::format(
                  "SELECT count(*) FROM bed WHERE contract = 'block' AND category = '{}'", kOlderPeoples[c])),
              want)
        << kOlderPeoples[c];
    block_sum += want;
  }
  EXPECT_EQ(s->block_beds, block_sum);
  EXPECT_GT(*db.QueryInt("SELECT count(*) FROM bed WHERE contract = 'spot'"), 0);
  // Nursing beds only in homes registered for nursing.
  EXPECT_EQ(
      *db.QueryInt("SELECT count(*) FROM bed JOIN provider p ON p.id = bed.provider_id WHERE bed.category IN "
                   "('nursing', 'nursing_dementia') AND p.registration = 'residential'"),
      0);
  EXPECT_EQ(s->closed_homes, 2);
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM provider_admissions WHERE status = 'closed'"), 2);
  EXPECT_GT(s->voids, 0);
  // Voids in the report are exactly the vacant block beds on record, and the totals add up.
  auto voids = BuildVoidsReport(db, "2026-11-22");
  ASSERT_TRUE(voids.ok());
  EXPECT_EQ(static_cast<int64_t>(voids->rows.size()),
            *db.QueryInt(
                "SELECT count(*) FROM bed WHERE contract = 'block' AND status = 'vacant' AND deleted = 0"));
  EXPECT_EQ(
      voids->weekly_cost_pence,
      *db.QueryInt("SELECT sum(weekly_rate_pence) FROM bed WHERE contract = 'block' AND status = 'vacant'"));
  EXPECT_EQ(voids->days_vacant,
            *db.QueryInt("SELECT sum(julianday('2026-11-22') - julianday(status_since)) FROM bed "
                         "WHERE contract = 'block' AND status = 'vacant'"));
  // Homecare by zone (district) and band.
  EXPECT_GT(s->capacity_rows, 30);
  EXPECT_EQ(*db.QueryInt("SELECT count(DISTINCT band) FROM homecare_capacity"), 5);
  EXPECT_GE(*db.QueryInt("SELECT count(DISTINCT zone) FROM homecare_capacity"), 4);
  // A queue of fictional referrals from the three local hospitals, discharge-ready dates around today.
  auto referrals = LoadReferrals(db);
  ASSERT_EQ(referrals->size(), 40u);
  std::set<std::string> hospitals;
  for (const auto& r : *referrals) {
    EXPECT_TRUE(ParseNhsNumber(r.nhs_number).ok());
    EXPECT_EQ(r.nhs_number.substr(0, 3), "999");
    EXPECT_GE(r.discharge_ready_date, "2026-10-28");
    EXPECT_LE(r.discharge_ready_date, "2026-12-02");
    if (!r.hospital_code.empty()) hospitals.insert(r.hospital_code);
  }
  EXPECT_EQ(hospitals, (std::set<std::string>{"RGN80", "RGT01", "RQQ31"}));
  EXPECT_EQ(s->handbacks, 2);
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM referral WHERE priority = 'hand_back'"), 2);
  // Every row went through the outbox, so it can sync.
  EXPECT_GT(*db.QueryInt("SELECT count(*) FROM outbox"), s->beds + s->referrals);
  // A demo refuses a store that already holds data.
  EXPECT_EQ(BuildDemo(*store, Geo(), County(7)).status().code(), Code::kConflict);
  berth::testing::ExpectVerified(*store);
}

TEST(Demo, TheSameSeedGivesTheSameStoreAndAnotherSeedDoesNot) {
  TempDir tmp;
  auto a = NewStore(tmp, "a");
  auto b = NewStore(tmp, "b");
  auto c = NewStore(tmp, "c");
  ASSERT_TRUE(BuildDemo(*a, Geo(), County(3)).ok());
  ASSERT_TRUE(BuildDemo(*b, Geo(), County(3)).ok());
  ASSERT_TRUE(BuildDemo(*c, Geo(), County(4)).ok());
  for (const char* t :
       {"provider", "bed", "homecare_capacity", "referral", "placement", "provider_admissions"}) {
    EXPECT_EQ(Dump(*a, t), Dump(*b, t)) << t;
  }
  EXPECT_NE(Dump(*a, "bed"), Dump(*c, "bed"));
  EXPECT_NE(Dump(*a, "referral"), Dump(*c, "referral"));
}

TEST(Demo, TestRangeNhsNumbersAreValid) {
  for (uint64_t i = 0; i < 2000; ++i) {
    const std::string n = TestRangeNhsNumber(i * 7919);
    ASSERT_EQ(n.size(), 10u);
    EXPECT_EQ(n.substr(0, 3), "999");
    EXPECT_TRUE(ParseNhsNumber(n).ok()) << n;
  }
}

TEST(Demo, UnknownScaleIsRefused) {
  EXPECT_EQ(ParseDemoScale("galaxy").status().code(), Code::kBadInput);
  EXPECT_EQ(*ParseDemoScale("england"), DemoScale::kEngland);
}

}  // namespace
}  // namespace berth::core

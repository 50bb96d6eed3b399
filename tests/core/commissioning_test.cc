// The commissioning reports (why-voids, unmet, responses, spend) and the placements export against figures
// worked out by hand on a small hand-made fixture; then on the county demo, each report agrees with the
// voids and utilisation reports where they overlap, and renders as CSV and JSON.
#include "berth/core/commissioning.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <tuple>

#include "berth/core/demo.h"
#include "berth/core/reports.h"
#include "berth/core/workflow.h"
#include "data_fixture.h"
#include "match_fixture.h"

namespace berth::testing {
namespace {

using core::ReportFormat;

// Today is 2026-03-10 (kToday). Three homes and an agency:
//   H1 (PE29, Cambridgeshire): block voids V1 residential (vacant 10 days, GBP 700) and V2 nursing (7
//     days, GBP 850); block bed B4 occupied by an open placement.
//   H2 (PE29, Cambridgeshire): block void V3 residential dementia (1 day, GBP 780); spot bed S1 occupied.
//   H3 (NR1, Norfolk: out of the council's area): framework nursing bed F1 occupied.
//   A1 (PE29 agency): 1 morning hour in Huntingdonshire (row C1); 20 lunch hours in Fenland (row C2, dps).
// Queued referrals (all sourcing, 30 km from PE29): R1 residential; R2 nursing; R3 residential needing a
// bariatric room, 6 days past its date; R4 homecare morning + bed (3.5 h a band); R5 nursing dementia.
class CommissioningTest : public MatchFixture {
 protected:
  void SetUp() override {
    MatchFixture::SetUp();
    for (auto [id, outcode, la] :
         {std::tuple{"H1", "PE29", "Cambridgeshire"}, std::tuple{"H2", "PE29", "Cambridgeshire"},
          std::tuple{"H3", "NR1", "Norfolk"}}) {
      Provider p = Home(id, outcode);
      p.local_authority = la;
      p.district = std::string(id) == "H3" ? "Norwich" : "Huntingdonshire";
      p.cqc_location_id = std::string("1-") + id;
      Put(p);
    }
    Provider a = Agency("A1");
    a.local_authority = "Cambridgeshire";
    a.cqc_location_id = "1-A1";
    Put(a);
    AddBed("V1", "H1", BedCategory::kResidential, ContractType::kBlock, BedStatus::kVacant, "2026-02-28",
           70000);
    AddBed("V2", "H1", BedCategory::kNursing, ContractType::kBlock, BedStatus::kVacant, "2026-03-03", 85000);
    AddBed("B4", "H1", BedCategory::kResidential, ContractType::kBlock, BedStatus::kOccupied, "2026-02-01",
           70000);
    AddBed("V3", "H2", BedCategory::kResidentialDementia, ContractType::kBlock, BedStatus::kVacant,
           "2026-03-09", 78000);
    AddBed("S1", "H2", BedCategory::kResidential, ContractType::kSpot, BedStatus::kOccupied, "2026-01-01",
           90000);
    AddBed("F1", "H3", BedCategory::kNursing, ContractType::kFramework, BedStatus::kOccupied, "2026-03-05",
           95000);
    Put(Cap("C1", "A1", "Huntingdonshire", TimeBand::kMorning, 1));
    Put(Cap("C2", "A1", "Fenland", TimeBand::kLunch, 20));

    Referral r1 = Ref("R1");
    Referral r2 = Ref("R2");
    r2.category = BedCategory::kNursing;
    r2.needs = {Need::kNursing};
    Referral r3 = Ref("R3");
    r3.needs = {Need::kBariatric};
    r3.discharge_ready_date = "2026-03-04";
    Referral r4 = HomecareRef("R4");
    r4.district = "Fenland";
    Referral r5 = Ref("R5");
    r5.category = BedCategory::kNursingDementia;
    r5.needs = {Need::kDementia, Need::kNursing};
    for (Referral* r : {&r1, &r2, &r3, &r5}) r->district = "Huntingdonshire";
    for (const Referral* r : {&r1, &r2, &r3, &r4, &r5}) Put(*r);

    // Placed people (not queued) and their placements.
    for (int i = 1; i <= 5; ++i) {
      Referral x = Ref("X" + std::to_string(i));
      x.nhs_number = core::TestRangeNhsNumber(static_cast<uint64_t>(1000 + i));
      x.status = ReferralStatus::kPlaced;
      Put(x);
    }
    AddPlacement("P1", "X1", "H2", "S1", "2026-01-01", "", 90000);
    AddPlacement("P2", "X2", "H3", "F1", "2026-03-05", "", 95000);
    AddPlacement("P3", "X3", "H1", "B4", "2026-02-01", "", 70000);
    AddPlacement("P5", "X5", "H1", "B4", "2025-12-01", "2026-01-31", 70000, PlacementStatus::kEnded);
    Placement hc;
    hc.id = "P4";
    hc.referral_id = "X4";
    hc.provider_id = "A1";
    hc.kind = PlacementKind::kHomecare;
    hc.homecare_capacity_id = "C2";
    hc.hours_per_week = 7;
    hc.start_date = "2026-03-08";
    hc.weekly_cost_pence = 13300;
    hc.funding = Funding::kJoint;
    Put(hc);
  }

  void AddBed(const std::string& id, const std::string& home, BedCategory c, ContractType contract,
              BedStatus s, const std::string& since, int64_t rate) {
    Bed b = MakeBed(id, home);
    b.category = c;
    b.contract = contract;
    b.tier = contract == ContractType::kBlock ? BlockTier::kT1 : BlockTier::kNone;
    b.status = s;
    b.status_since = since;
    b.weekly_rate_pence = rate;
    Put(b);
  }
  void AddPlacement(const std::string& id, const std::string& person, const std::string& home,
                    const std::string& bed, const std::string& start, const std::string& end, int64_t weekly,
                    PlacementStatus status = PlacementStatus::kActive) {
    Placement p;
    p.id = id;
    p.referral_id = person;
    p.provider_id = home;
    p.kind = PlacementKind::kCareHome;
    p.bed_id = bed;
    p.start_date = start;
    p.end_date = end;
    p.weekly_cost_pence = weekly;
    p.funding = Funding::kLa;
    p.status = status;
    Put(p);
  }
  void AddOffer(const std::string& id, const std::string& referral, const std::string& provider,
                const std::string& sent, OfferStatus status, DeclineReason reason,
                const std::string& answered, const std::string& respond_by = "2026-03-20T09:00:00Z") {
    Offer o;
    o.id = id;
    o.referral_id = referral;
    o.provider_id = provider;
    o.sent_at = sent;
    o.respond_by = respond_by;
    o.status = status;
    o.decline_reason = reason;
    o.answered_at = answered;
    Put(o);
  }

  static std::vector<std::string> Rules(const std::vector<core::RuleTally>& v) {
    std::vector<std::string> out;
    for (const auto& t : v) out.push_back(t.rule + ":" + std::to_string(t.count));
    return out;
  }
  static std::vector<std::string> Excluded(const core::WhyVoidRow& w) {
    std::vector<std::string> out;
    for (const auto& e : w.excluded) out.push_back(e.referral_id + ":" + e.rule);
    return out;
  }
};

using Strings = std::vector<std::string>;

TEST_F(CommissioningTest, WhyVoidsNamesTheRuleThatKeptEachQueuedReferralFromEachVoid) {
  const core::MatchContext ctx = Context();
  auto r = core::BuildWhyVoidsReport(store().db(), ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // The voids report's rows and totals: 10 + 7 + 1 days; GBP 1,000.00 + 850.00 + 111.43 (780 x 1 / 7).
  EXPECT_EQ(r->voids, 3);
  EXPECT_EQ(r->weekly_cost_pence, 233000);
  EXPECT_EQ(r->cost_so_far_pence, 100000 + 85000 + 11143);
  EXPECT_EQ(r->days_vacant, 18);
  EXPECT_EQ(r->referrals, 4);  // R4 wants homecare
  ASSERT_EQ(r->rows.size(), 3u);
  // Dearest so far first (the voids report's order): V1, V2, V3. Referrals in queue order: R3 (6 days past)
  // first, then R1, R2, R5.
  const core::WhyVoidRow& v1 = r->rows[0];
  EXPECT_EQ(v1.bed.bed_id, "V1");
  EXPECT_EQ(v1.bed.days_vacant, 10);
  EXPECT_EQ(v1.referrals, 4);
  EXPECT_EQ(v1.suits, Strings({"R1"}));
  EXPECT_EQ(Excluded(v1), Strings({"R3:room_bariatric", "R2:category", "R5:category"}));
  EXPECT_EQ(Rules(v1.by_rule), Strings({"category:2", "room_bariatric:1"}));
  EXPECT_EQ(v1.top_rule, "category");
  const core::WhyVoidRow& v2 = r->rows[1];
  EXPECT_EQ(v2.bed.bed_id, "V2");
  EXPECT_EQ(v2.suits, Strings({"R2"}));
  EXPECT_EQ(Rules(v2.by_rule), Strings({"category:3"}));
  const core::WhyVoidRow& v3 = r->rows[2];
  EXPECT_EQ(v3.bed.bed_id, "V3");
  EXPECT_EQ(v3.bed.days_vacant, 1);
  EXPECT_TRUE(v3.suits.empty());
  EXPECT_EQ(Rules(v3.by_rule), Strings({"category:4"}));
  EXPECT_EQ(r->voids_suiting_someone, 2);
  EXPECT_EQ(Rules(r->by_rule), Strings({"category:9", "room_bariatric:1"}));
  // The rule is the matcher's own for that referral and bed (`berth match` lists the same).
  Referral r3 = *LoadReferral(store().db(), "R3");
  EXPECT_EQ(RuleFor(core::Match(ctx, r3), "V1"), "room_bariatric");
  EXPECT_EQ(RuleFor(core::Match(ctx, r3), "V3"), "category");
}

TEST_F(CommissioningTest, WhyVoidsCallsABedBeyondTheSearchRadiusSo) {
  Referral far = Ref("R6");
  far.max_distance_km = 0;  // no limit: the search radius applies
  far.preferred_postcode = "NR1 1AA";
  far.postcode = "NR1 1AA";
  Put(far);
  settings_.search_radius_km = 20;  // PE29 is about 100 km from Norwich
  auto r = core::BuildWhyVoidsReport(store().db(), Context());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows[0].bed.bed_id, "V1");
  EXPECT_EQ(Excluded(r->rows[0]).back(), "R6:beyond_search");
  EXPECT_EQ(r->rows[0].suits, Strings({"R1"}));
}

TEST_F(CommissioningTest, UnmetCountsReferralsWithNoOptionByCategoryDistrictAndBand) {
  auto r = core::BuildUnmetReport(store().db(), Context());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->queued, 5);
  EXPECT_EQ(r->unmet, 3);  // R1 has V1 and R2 has V2
  ASSERT_EQ(r->rows.size(), 3u);
  // R3: V1 no bariatric room, V2 and V3 the wrong category.
  EXPECT_EQ(r->rows[0].referral_id, "R3");
  EXPECT_EQ(r->rows[0].days_past, 6);
  EXPECT_EQ(r->rows[0].examined, 3);
  EXPECT_EQ(Rules(r->rows[0].by_rule), Strings({"category:2", "room_bariatric:1"}));
  EXPECT_EQ(r->rows[0].top_rule, "category");
  // R4: the only agency in the zone has 1 morning hour, 3.5 wanted.
  EXPECT_EQ(r->rows[1].referral_id, "R4");
  EXPECT_EQ(r->rows[1].category, "homecare");
  EXPECT_EQ(r->rows[1].bands, Strings({"morning", "bed"}));
  EXPECT_EQ(r->rows[1].top_rule, "band_hours");
  EXPECT_EQ(r->rows[2].referral_id, "R5");
  EXPECT_EQ(Rules(r->rows[2].by_rule), Strings({"category:3"}));
  EXPECT_EQ(Rules(r->by_rule), Strings({"category:2", "band_hours:1"}));
  auto keys = [](const std::vector<core::UnmetTally>& v) {
    Strings out;
    for (const auto& t : v) out.push_back(t.key + ":" + std::to_string(t.referrals) + ":" + t.top_rule);
    return out;
  };
  EXPECT_EQ(keys(r->by_category),
            Strings({"homecare:1:band_hours", "nursing_dementia:1:category", "residential:1:category"}));
  EXPECT_EQ(keys(r->by_district), Strings({"Huntingdonshire:2:category", "Fenland:1:band_hours"}));
  EXPECT_EQ(r->by_district[0].days_past, 6);
  EXPECT_EQ(keys(r->by_band), Strings({"bed:1:band_hours", "morning:1:band_hours"}));
}

TEST_F(CommissioningTest, ResponsesCountAnswersReasonsAndTimesByProvider) {
  AddOffer("O1", "R1", "H1", "2026-03-02T09:00:00Z", OfferStatus::kAccepted, DeclineReason::kNone,
           "2026-03-02T15:00:00Z");  // 6 h
  AddOffer("O2", "R2", "H1", "2026-03-03T09:00:00Z", OfferStatus::kDeclined, DeclineReason::kPrice,
           "2026-03-04T09:00:00Z");  // 24 h
  AddOffer("O3", "R3", "H1", "2026-03-05T10:00:00Z", OfferStatus::kDeclined, DeclineReason::kNoCapacity,
           "2026-03-05T12:00:00Z");  // 2 h
  AddOffer("O4", "R3", "H2", "2026-03-05T10:00:00Z", OfferStatus::kPending, DeclineReason::kNone, "",
           "2026-03-07T10:00:00Z");  // past its deadline: expired
  AddOffer("O5", "R5", "H2", "2026-03-09T09:00:00Z", OfferStatus::kPending, DeclineReason::kNone, "",
           "2026-03-11T09:00:00Z");
  AddOffer("O6", "R5", "H3", "2026-03-09T09:00:00Z", OfferStatus::kDeclined, DeclineReason::kCannotMeetNeeds,
           "");  // answered before answers were timed
  AddOffer("O7", "R1", "H2", "2026-02-20T09:00:00Z", OfferStatus::kDeclined, DeclineReason::kStaffing,
           "2026-02-20T10:00:00Z");  // sent before the range
  AddOffer("O8", "R2", "H3", "2026-03-03T09:00:00Z", OfferStatus::kWithdrawn, DeclineReason::kNone, "");
  auto r = core::BuildResponsesReport(store().db(), "2026-03-01", "2026-03-10", "2026-03-10T09:00:00Z");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const core::ResponseTally& t = r->total;
  EXPECT_EQ(t.offers, 7);
  EXPECT_EQ(t.accepted, 1);
  EXPECT_EQ(t.declined, 3);
  EXPECT_EQ(t.withdrawn, 1);
  EXPECT_EQ(t.expired, 1);
  EXPECT_EQ(t.pending, 1);
  EXPECT_EQ(t.timed, 3);
  EXPECT_NEAR(t.mean_response_hours, 32.0 / 3, 1e-9);
  EXPECT_DOUBLE_EQ(t.median_response_hours, 6);
  EXPECT_DOUBLE_EQ(t.max_response_hours, 24);
  using Counts = std::vector<std::pair<std::string, int64_t>>;
  EXPECT_EQ(t.declines_by_reason, Counts({{"cannot_meet_needs", 1}, {"no_capacity", 1}, {"price", 1}}));
  ASSERT_EQ(r->by_provider.size(), 3u);
  EXPECT_EQ(r->by_provider[0].provider_id, "H1");
  EXPECT_TRUE(r->by_provider[0].block_home);
  EXPECT_EQ(r->by_provider[0].offers, 3);
  EXPECT_EQ(r->by_provider[0].declined, 2);
  EXPECT_DOUBLE_EQ(r->by_provider[0].median_response_hours, 6);
  EXPECT_EQ(r->by_provider[1].provider_id, "H2");
  EXPECT_EQ(r->by_provider[1].expired, 1);
  EXPECT_EQ(r->by_provider[1].pending, 1);
  EXPECT_EQ(r->by_provider[1].timed, 0);
  EXPECT_EQ(r->by_provider[2].provider_id, "H3");
  EXPECT_FALSE(r->by_provider[2].block_home);  // framework beds only
  EXPECT_EQ(r->by_provider[2].withdrawn, 1);
  // Declines by homes holding block beds: H1's two (H3 holds none; H2's decline was before the range).
  EXPECT_EQ(r->block_declines, 2);
  EXPECT_EQ(r->block_declines_by_reason, Counts({{"no_capacity", 1}, {"price", 1}}));
  ASSERT_EQ(r->block_homes.size(), 1u);
  EXPECT_EQ(r->block_homes[0].provider_id, "H1");
}

TEST_F(CommissioningTest, AnsweringAnOfferRecordsWhenForItsResponseTime) {
  // Through the workflow: the answer's moment is kept on the offer (offer.answered_at).
  Offer o;
  o.id = "O9";
  o.referral_id = "R1";
  o.provider_id = "H1";
  o.sent_at = "2026-03-10T08:00:00Z";
  o.respond_by = "2026-03-12T08:00:00Z";
  Put(o);
  Referral r1 = *LoadReferral(store().db(), "R1");
  r1.status = ReferralStatus::kOffered;
  Put(r1);
  auto at = core::WorkflowTime::At("2026-03-10T11:30:00Z");
  ASSERT_TRUE(at.ok());
  ASSERT_TRUE(core::DeclineOffer(store(), "O9", DeclineReason::kStaffing, "", *at).ok());
  EXPECT_EQ(LoadOffer(store().db(), "O9")->answered_at, "2026-03-10T11:30:00Z");
  auto r = core::BuildResponsesReport(store().db(), "2026-03-10", "2026-03-10", "2026-03-10T12:00:00Z");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total.timed, 1);
  EXPECT_DOUBLE_EQ(r->total.mean_response_hours, 3.5);
}

TEST_F(CommissioningTest, SpendSplitsPlacementsByContractAndFindsThoseOutOfArea) {
  auto r = core::BuildSpendReport(store().db(), "2026-03-01", "2026-03-10", {"cambridgeshire"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto row = [&](const std::string& kind, const std::string& contract) {
    for (const auto& s : r->rows) {
      if (s.kind == kind && s.contract == contract) return s;
    }
    ADD_FAILURE() << kind << "/" << contract;
    return core::SpendRow{};
  };
  ASSERT_EQ(r->rows.size(), 6u);
  // P3 on block bed B4: 10 days in range, GBP 700 x 10 / 7 = GBP 1,000.00.
  EXPECT_EQ(row("bed", "block").placements, 1);
  EXPECT_EQ(row("bed", "block").days, 10);
  EXPECT_EQ(row("bed", "block").cost_in_range_pence, 100000);
  // P2 on framework bed F1 in Norfolk from 2026-03-05: 6 days, 950 x 6 / 7 = 814.2857 -> GBP 814.29.
  EXPECT_EQ(row("bed", "framework").days, 6);
  EXPECT_EQ(row("bed", "framework").cost_in_range_pence, 81429);
  EXPECT_EQ(row("bed", "framework").out_of_area, 1);
  EXPECT_EQ(row("bed", "framework").out_of_area_weekly_pence, 95000);
  // P1 on spot bed S1: 900 x 10 / 7 = 1,285.714 -> GBP 1,285.71.
  EXPECT_EQ(row("bed", "spot").weekly_cost_pence, 90000);
  EXPECT_EQ(row("bed", "spot").cost_in_range_pence, 128571);
  // P4, homecare on a dps row from 2026-03-08: 3 days, 133 x 3 / 7 = 57.00.
  EXPECT_EQ(row("homecare", "dps").placements, 1);
  EXPECT_EQ(row("homecare", "dps").cost_in_range_pence, 5700);
  EXPECT_EQ(row("homecare", "block").placements, 0);
  EXPECT_EQ(row("homecare", "spot").placements, 0);
  // P5 ended before the range.
  EXPECT_EQ(r->total.placements, 4);
  EXPECT_EQ(r->total.people, 4);
  EXPECT_EQ(r->total.weekly_cost_pence, 90000 + 95000 + 70000 + 13300);
  EXPECT_EQ(r->total.days, 29);
  EXPECT_EQ(r->total.cost_in_range_pence, 100000 + 81429 + 128571 + 5700);
  ASSERT_EQ(r->out_of_area.size(), 1u);
  EXPECT_EQ(r->out_of_area[0].placement_id, "P2");
  EXPECT_EQ(r->out_of_area[0].local_authority, "Norfolk");
  // The block contract: V1, V2, V3 and B4; three of them void.
  EXPECT_EQ(r->block_beds, 4);
  EXPECT_EQ(r->block_weekly_pence, 303000);
  EXPECT_EQ(r->void_beds, 3);
  EXPECT_EQ(r->void_weekly_pence, 233000);
  // The council's area by default: the councils of its referring hospitals.
  EXPECT_EQ(core::DefaultCouncilAreas(*geo()), Strings({"Cambridgeshire", "Peterborough"}));
}

TEST_F(CommissioningTest, ExportListsEachPlacementWithItsPersonAndAuditsTheView) {
  auto all = core::ExportPlacements(store(), "", "");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  Strings ids;
  for (const auto& p : all->rows) ids.push_back(p.placement_id);
  EXPECT_EQ(ids, Strings({"P5", "P1", "P3", "P2", "P4"}));  // by start date
  EXPECT_EQ(all->people, 5);
  const std::string csv = core::Render(*all, ReportFormat::kCsv);
  const std::string nhs2 = core::TestRangeNhsNumber(1002), nhs4 = core::TestRangeNhsNumber(1004);
  EXPECT_EQ(
      csv.substr(0, csv.find('\n')),
      "person_id,nhs_number,provider,cqc_location_id,kind,contract,bed_id,room,hours_per_week,start_date,"
      "end_date,weekly_cost,funding,status,provider_id,placement_id");
  EXPECT_NE(csv.find("\nX2," + nhs2 +
                     ",Home H3,1-H3,care_home,framework,F1,F1,,2026-03-05,,950.00,la,active,H3,P2\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(
      csv.find("\nX4," + nhs4 + ",Agency A1,1-A1,homecare,dps,,,7,2026-03-08,,133.00,joint,active,A1,P4\n"),
      std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\nX5,"), std::string::npos);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 6);
  // Each person exported is a view of their record.
  for (const char* person : {"X1", "X2", "X3", "X4", "X5"}) {
    auto trail = store().AuditTrail("referral", person);
    ASSERT_TRUE(trail.ok());
    ASSERT_FALSE(trail->empty()) << person;
    EXPECT_EQ(trail->back().action, "view") << person;
  }
  auto ranged = core::ExportPlacements(store(), "2026-03-01", "2026-03-10");
  ASSERT_TRUE(ranged.ok());
  EXPECT_EQ(ranged->rows.size(), 4u);  // not P5
  const auto j = nlohmann::json::parse(core::Render(*ranged, ReportFormat::kJson));
  EXPECT_EQ(j["placements"][0]["person_id"], "X1");
  EXPECT_EQ(j["placements"][0]["nhs_number"], core::TestRangeNhsNumber(1001));
  EXPECT_EQ(j["placements"][0]["weekly_cost_pence"], 90000);
}

TEST_F(CommissioningTest, APlacementRecordedWithoutItsPersonCountsNobody) {
  // Placement history imported with a bed, not a person (the demo's block beds have some).
  AddPlacement("P6", "", "H1", "B4", "2025-11-01", "2025-11-30", 70000, PlacementStatus::kEnded);
  auto spend = core::BuildSpendReport(store().db(), "2025-11-01", "2025-12-31", {"Cambridgeshire"});
  ASSERT_TRUE(spend.ok());
  // P6 (30 days) and P5 (from 2025-12-01: 31 days) on the block bed; only P5 names a person.
  EXPECT_EQ(spend->rows[0].placements, 2);
  EXPECT_EQ(spend->rows[0].days, 61);
  EXPECT_EQ(spend->rows[0].people, 1);
  EXPECT_EQ(spend->total.people, 1);
  auto exported = core::ExportPlacements(store(), "2025-11-01", "2025-11-30");
  ASSERT_TRUE(exported.ok());
  ASSERT_EQ(exported->rows.size(), 1u);
  EXPECT_EQ(exported->rows[0].person_id, "");
  EXPECT_EQ(exported->people, 0);
  EXPECT_TRUE(store().AuditTrail("referral", "")->empty());  // no view of nobody's record
}

TEST_F(CommissioningTest, BadRangesAreRefusedAndNothingIsWritten) {
  const auto before = Counts(store());
  EXPECT_EQ(core::BuildResponsesReport(store().db(), "2026-03-10", "2026-03-01", "2026-03-10T09:00:00Z")
                .status()
                .code(),
            Code::kBadInput);
  EXPECT_EQ(
      core::BuildSpendReport(store().db(), "2026-02-30", "2026-03-01", {"Cambridgeshire"}).status().code(),
      Code::kBadInput);
  EXPECT_EQ(core::BuildSpendReport(store().db(), "2026-03-01", "2026-03-02", {}).status().code(),
            Code::kBadInput);
  EXPECT_EQ(core::ExportPlacements(store(), "yesterday", "").status().code(), Code::kBadInput);
  EXPECT_EQ(Counts(store()), before);
}

TEST_F(CommissioningTest, EveryReportRendersAsCsvAndJson) {
  const core::MatchContext ctx = Context();
  auto why = core::BuildWhyVoidsReport(store().db(), ctx);
  auto unmet = core::BuildUnmetReport(store().db(), ctx);
  auto spend = core::BuildSpendReport(store().db(), "2026-03-01", "2026-03-10", {"Cambridgeshire"});
  ASSERT_TRUE(why.ok() && unmet.ok() && spend.ok());
  EXPECT_EQ(nlohmann::json::parse(core::Render(*why, ReportFormat::kJson))["beds"][0]["excluded"][0]["rule"],
            "room_bariatric");
  const std::string why_csv = core::Render(*why, ReportFormat::kCsv);
  EXPECT_EQ(std::count(why_csv.begin(), why_csv.end(), '\n'), 4);  // header + 3 voids
  EXPECT_NE(why_csv.find(",1000.00,4,1,category,category:2|room_bariatric:1,R1,R3:room_bariatric|R2:category|"
                         "R5:category\n"),
            std::string::npos)
      << why_csv;
  const std::string unmet_csv = core::Render(*unmet, ReportFormat::kCsv);
  EXPECT_NE(unmet_csv.find("\nreferral,R4,P1,homecare,Fenland,morning|bed,1,0,1,band_hours,band_hours:1\n"),
            std::string::npos)
      << unmet_csv;
  EXPECT_EQ(nlohmann::json::parse(core::Render(*unmet, ReportFormat::kJson))["unmet"], 3);
  const std::string spend_csv = core::Render(*spend, ReportFormat::kCsv);
  EXPECT_NE(spend_csv.find("\nbed,framework,1,1,950.00,6,814.29,1,950.00\n"), std::string::npos) << spend_csv;
  EXPECT_NE(spend_csv.find("\ntotal,total,4,4,2683.00,29,3157.00,1,950.00\n"), std::string::npos)
      << spend_csv;
  EXPECT_EQ(nlohmann::json::parse(core::Render(*spend, ReportFormat::kJson))["block_contract"]["void_beds"],
            3);
}

// The county demo: each report runs, renders as CSV and JSON, and its totals agree with the voids and
// utilisation reports (what the voids and utilisation screen shows) where they overlap.
TEST(CommissioningDemo, ReportsAgreeWithVoidsAndUtilisationOnTheCountyDemo) {
  TempDir tmp;
  auto store = NewStore(tmp);
  core::DemoOptions o;
  o.seed = 1;
  o.today = "2026-11-22";
  ASSERT_TRUE(core::BuildDemo(*store, Geo(), o).ok());
  Db& db = store->db();
  auto ix = core::SupplyIndex::Build(db, &Geo());
  ASSERT_TRUE(ix.ok());
  const core::MatchSettings settings;
  core::MatchContext ctx;
  ctx.index = &*ix;
  ctx.settings = &settings;
  ctx.geo = &Geo();
  ctx.today = o.today;
  ctx.now_iso = o.today + "T09:00:00Z";
  const std::string from = "2026-10-26", to = o.today;

  auto voids = core::BuildVoidsReport(db, o.today);
  auto util_today = core::BuildUtilisationReport(db, o.today, o.today);
  auto util = core::BuildUtilisationReport(db, from, to);
  auto queue = core::BuildQueueReport(db, o.today);
  ASSERT_TRUE(voids.ok() && util_today.ok() && util.ok() && queue.ok());
  ASSERT_GT(voids->rows.size(), 0u);

  auto why = core::BuildWhyVoidsReport(db, ctx);
  ASSERT_TRUE(why.ok()) << why.status().ToString();
  EXPECT_EQ(why->voids, static_cast<int64_t>(voids->rows.size()));
  EXPECT_EQ(why->weekly_cost_pence, voids->weekly_cost_pence);
  EXPECT_EQ(why->cost_so_far_pence, voids->cost_so_far_pence);
  EXPECT_EQ(why->days_vacant, voids->days_vacant);
  int64_t cost = 0, checked = 0;
  for (const auto& w : why->rows) {
    cost += w.bed.cost_so_far_pence;
    EXPECT_EQ(w.referrals, why->referrals) << w.bed.bed_id;  // every void checked against every bed referral
    EXPECT_EQ(static_cast<int64_t>(w.suits.size() + w.excluded.size()), w.referrals);
    checked += static_cast<int64_t>(w.excluded.size());
  }
  EXPECT_EQ(cost, voids->cost_so_far_pence);
  int64_t by_rule = 0;
  for (const auto& t : why->by_rule) by_rule += t.count;
  EXPECT_EQ(by_rule, checked);

  auto unmet = core::BuildUnmetReport(db, ctx);
  ASSERT_TRUE(unmet.ok());
  EXPECT_EQ(unmet->queued, static_cast<int64_t>(queue->rows.size()));  // the queue report's open referrals
  int64_t in_categories = 0;
  for (const auto& t : unmet->by_category) in_categories += t.referrals;
  EXPECT_EQ(in_categories, unmet->unmet);

  auto spend = core::BuildSpendReport(db, from, to, core::DefaultCouncilAreas(Geo()));
  ASSERT_TRUE(spend.ok());
  // The block contract's beds are the utilisation report's; its voids are the voids report's.
  EXPECT_EQ(spend->block_beds, util->total.block_beds);
  EXPECT_EQ(spend->void_beds, static_cast<int64_t>(voids->rows.size()));
  EXPECT_EQ(spend->void_weekly_pence, voids->weekly_cost_pence);
  // Block placements fill block bed-days: never more than the utilisation report counts occupied.
  EXPECT_GT(spend->rows[0].days, 0);
  EXPECT_LE(spend->rows[0].days, util->total.occupied_days);
  // Every demo home is in Cambridgeshire or Peterborough: nothing out of area.
  EXPECT_EQ(spend->total.out_of_area, 0);

  auto responses = core::BuildResponsesReport(db, from, to, ctx.now_iso);
  ASSERT_TRUE(responses.ok());
  EXPECT_EQ(responses->total.offers, *db.QueryInt("SELECT count(*) FROM offer WHERE deleted = 0"));
  auto exported = core::ExportPlacements(*store, "", "");
  ASSERT_TRUE(exported.ok());
  EXPECT_EQ(static_cast<int64_t>(exported->rows.size()),
            *db.QueryInt("SELECT count(*) FROM placement WHERE deleted = 0"));

  // Each renders as CSV (a header and a line per row) and as JSON that parses.
  for (const std::string& json :
       {core::Render(*why, ReportFormat::kJson), core::Render(*unmet, ReportFormat::kJson),
        core::Render(*responses, ReportFormat::kJson), core::Render(*spend, ReportFormat::kJson),
        core::Render(*exported, ReportFormat::kJson)}) {
    EXPECT_FALSE(nlohmann::json::parse(json).is_null());
  }
  const std::string why_csv = core::Render(*why, ReportFormat::kCsv);
  EXPECT_EQ(std::count(why_csv.begin(), why_csv.end(), '\n'), static_cast<int64_t>(voids->rows.size()) + 1);
  const std::string export_csv = core::Render(*exported, ReportFormat::kCsv);
  EXPECT_EQ(std::count(export_csv.begin(), export_csv.end(), '\n'),
            static_cast<int64_t>(exported->rows.size()) + 1);
  EXPECT_EQ(nlohmann::json::parse(core::Render(*spend, ReportFormat::kJson))["block_contract"]["void_beds"],
            static_cast<int64_t>(voids->rows.size()));
}

}  // namespace
}  // namespace berth::testing

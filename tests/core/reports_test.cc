// Report figures against values computed by hand on a small fixture.
#include "berth/core/reports.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "berth/schema/repository.h"
#include "data_fixture.h"

namespace berth::core {
namespace {

using berth::testing::NewStore;
using berth::testing::TempDir;

// Two homes in two districts. Today is 2026-11-22; the utilisation range is 2026-11-01..2026-11-30 (30 days).
class ReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = NewStore(tmp);
    Provider a;
    a.id = "home-a";
    a.name = "Alpha House";
    a.district = "Huntingdonshire";
    Provider b;
    b.id = "home-b";
    b.name = "Beta Lodge";
    b.district = "Fenland";
    ASSERT_TRUE(Save(*store, a).ok());
    ASSERT_TRUE(Save(*store, b).ok());
    // Alpha: two block voids and one occupied block bed; a vacant spot bed (not a void).
    AddBed("a1", "home-a", ContractType::kBlock, BedStatus::kVacant, "2026-11-08",
           70000);  // 14 days: £1,400.00
    AddBed("a2", "home-a", ContractType::kBlock, BedStatus::kVacant, "2026-11-19", 91000);  // 3 days: £390.00
    AddBed("a3", "home-a", ContractType::kBlock, BedStatus::kOccupied, "2026-10-01", 80000);
    AddBed("a4", "home-a", ContractType::kSpot, BedStatus::kVacant, "2026-11-01", 99900);
    // Beta: one block bed vacant since 10 days (£1,000/wk: 10 days = £1,428.571 -> £1,428.57).
    AddBed("b1", "home-b", ContractType::kBlock, BedStatus::kVacant, "2026-11-12", 100000);
    // Placements (utilisation); the end date is the last day of care. a1: occupied 2026-10-01..2026-11-07
    // (vacant from the 8th): 7 days in range.
    AddPlacement("p1", "a1", "2026-10-01", "2026-11-07");
    // a2: 2026-11-05..2026-11-18: 14 days.
    AddPlacement("p2", "a2", "2026-11-05", "2026-11-18");
    // a3: open placement from 2026-10-01: all 30 days. (Its bed status is occupied too: not counted twice.)
    AddPlacement("p3", "a3", "2026-10-01", "");
    // b1: two stays, overlapping (a data error), 2026-11-01..11-09 and 2026-11-05..11-11: union = 11 days.
    AddPlacement("p4", "b1", "2026-11-01", "2026-11-09");
    AddPlacement("p5", "b1", "2026-11-05", "2026-11-11");

    AddReferral("r1", "2026-11-02", Priority::kRoutine, ReferralStatus::kNew);      // 20 days past
    AddReferral("r2", "2026-11-12", Priority::kUrgent, ReferralStatus::kSourcing);  // 10 days past
    AddReferral("r3", "2026-11-12", Priority::kRoutine, ReferralStatus::kNew);      // 10 days past
    AddReferral("r4", "2026-11-25", Priority::kRoutine, ReferralStatus::kNew);      // not yet: 0
    AddReferral("r5", "2026-11-20", Priority::kHandBack,
                ReferralStatus::kSourcing);  // 2, but a hand back: first
    AddReferral("r6", "2026-10-01", Priority::kRoutine, ReferralStatus::kPlaced);  // placed: not in the queue
  }
  void AddBed(const std::string& id, const std::string& home, ContractType c, BedStatus s,
              const std::string& since, int64_t rate) {
    Bed b;
    b.id = id;
    b.provider_id = home;
    b.room = id;
    b.contract = c;
    b.tier = c == ContractType::kBlock ? BlockTier::kT1 : BlockTier::kNone;
    b.status = s;
    b.status_since = since;
    b.weekly_rate_pence = rate;
    ASSERT_TRUE(Save(*store, b).ok());
  }
  void AddPlacement(const std::string& id, const std::string& bed, const std::string& start,
                    const std::string& end) {
    Placement p;
    p.id = id;
    p.bed_id = bed;
    p.provider_id = bed[0] == 'a' ? "home-a" : "home-b";
    p.start_date = start;
    p.end_date = end;
    p.status = end.empty() ? PlacementStatus::kActive : PlacementStatus::kEnded;
    ASSERT_TRUE(Save(*store, p).ok());
  }
  void AddReferral(const std::string& id, const std::string& drd, Priority p, ReferralStatus s) {
    Referral r;
    r.id = id;
    r.name = "Person " + id;
    r.nhs_number = "9434765919";
    r.pathway = Pathway::kP3;
    r.category = BedCategory::kNursing;
    r.discharge_ready_date = drd;
    r.priority = p;
    r.status = s;
    ASSERT_TRUE(Save(*store, r).ok());
  }
  TempDir tmp;
  std::unique_ptr<Store> store;
};

TEST_F(ReportsTest, QueueIsOrderedByDaysPastDischargeReadyWithHandBacksFirst) {
  auto q = BuildQueueReport(store->db(), "2026-11-22");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  std::vector<std::string> order;
  std::vector<int64_t> days;
  for (const auto& r : q->rows) {
    order.push_back(r.referral_id);
    days.push_back(r.days_past);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"r5", "r1", "r2", "r3", "r4"}));
  EXPECT_EQ(days, (std::vector<int64_t>{2, 20, 10, 10, 0}));
  EXPECT_EQ(q->total_delay_days, 42);
  EXPECT_EQ(q->past_discharge_ready, 4);
  auto j = nlohmann::json::parse(Render(*q, ReportFormat::kJson));
  EXPECT_EQ(j["total_delay_days"], 42);
  EXPECT_EQ(j["queue"][1]["id"], "r1");
  const std::string csv = Render(*q, ReportFormat::kCsv);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "days_past,discharge_ready,name,pathway,need,priority,status,at,referral_id,delay_reason");
  EXPECT_NE(csv.find("20,2026-11-02,Person r1,P3,nursing,routine,new,,r1,\n"), std::string::npos) << csv;
}

TEST_F(ReportsTest, VoidsAreVacantBlockBedsCostedAtTheirWeeklyRate) {
  auto v = BuildVoidsReport(store->db(), "2026-11-22");
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->rows.size(), 3u);  // a1, a2, b1; the spot bed is not a void
  EXPECT_EQ(v->rows[0].bed_id, "b1");
  EXPECT_EQ(v->rows[0].days_vacant, 10);
  EXPECT_EQ(v->rows[0].cost_so_far_pence, 142857);
  EXPECT_EQ(v->rows[1].bed_id, "a1");
  EXPECT_EQ(v->rows[1].cost_so_far_pence, 140000);
  EXPECT_EQ(v->rows[2].bed_id, "a2");
  EXPECT_EQ(v->rows[2].cost_so_far_pence, 39000);
  EXPECT_EQ(v->weekly_cost_pence, 70000 + 91000 + 100000);
  EXPECT_EQ(v->cost_so_far_pence, 142857 + 140000 + 39000);
  EXPECT_EQ(v->days_vacant, 27);
  const std::string text = Render(*v, ReportFormat::kText);
  EXPECT_NE(text.find("3 vacant block beds costing £2,610.00 a week; £3,218.57 spent"), std::string::npos)
      << text;
  EXPECT_NE(Render(*v, ReportFormat::kCsv)
                .find("Beta Lodge,Fenland,b1,residential,T1,1000.00,2026-11-12,10,1428.57"),
            std::string::npos);
}

TEST_F(ReportsTest, UtilisationCountsOccupiedBlockBedDaysByHomeAndDistrict) {
  auto u = BuildUtilisationReport(store->db(), "2026-11-01", "2026-11-30");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  ASSERT_EQ(u->homes.size(), 2u);
  const UtilisationRow& beta = u->homes[0];  // Fenland sorts first
  const UtilisationRow& alpha = u->homes[1];
  EXPECT_EQ(beta.label, "Beta Lodge");
  EXPECT_EQ(beta.block_beds, 1);
  EXPECT_EQ(beta.bed_days, 30);
  EXPECT_EQ(beta.occupied_days, 11);
  EXPECT_EQ(alpha.block_beds, 3);
  EXPECT_EQ(alpha.bed_days, 90);
  EXPECT_EQ(alpha.occupied_days, 7 + 14 + 30);
  EXPECT_DOUBLE_EQ(alpha.utilisation, 51.0 / 90.0);
  ASSERT_EQ(u->districts.size(), 2u);
  EXPECT_EQ(u->districts[0].label, "Fenland");
  EXPECT_EQ(u->districts[1].occupied_days, 51);
  EXPECT_EQ(u->total.bed_days, 120);
  EXPECT_EQ(u->total.occupied_days, 62);
  // A bed occupied now with no placement on record counts from its status date.
  Bed extra;
  extra.id = "a5";
  extra.provider_id = "home-a";
  extra.contract = ContractType::kBlock;
  extra.status = BedStatus::kOccupied;
  extra.status_since = "2026-11-21";
  ASSERT_TRUE(Save(*store, extra).ok());
  auto u2 = BuildUtilisationReport(store->db(), "2026-11-01", "2026-11-30");
  EXPECT_EQ(u2->total.occupied_days, 62 + 10);
  EXPECT_FALSE(BuildUtilisationReport(store->db(), "2026-11-30", "2026-11-01").ok());
  EXPECT_EQ(BuildUtilisationReport(store->db(), "November", "2026-11-01").status().code(), Code::kBadInput);
}

// Hand backs: counted by the day notice was given, against figures worked out by hand.
TEST_F(ReportsTest, HandBacksByProviderAndReasonWithHoursBedsAndNotice) {
  Provider agency;
  agency.id = "agency-c";
  agency.name = "Carers Co";
  agency.kind = ProviderKind::kHomecareAgency;
  ASSERT_TRUE(Save(*store, agency).ok());
  auto give_back = [&](const std::string& id, const std::string& provider, const std::string& referral,
                       const std::string& bed, double hours, const std::string& notice,
                       const std::string& end, HandbackReason reason,
                       HandbackStatus status = HandbackStatus::kOpen) {
    Placement p;
    p.id = "pl-" + id;
    p.provider_id = provider;
    p.referral_id = referral;
    p.kind = bed.empty() ? PlacementKind::kHomecare : PlacementKind::kCareHome;
    p.bed_id = bed;
    p.hours_per_week = hours;
    p.start_date = "2026-06-01";
    p.end_date = end;
    p.status = PlacementStatus::kHandedBack;
    ASSERT_TRUE(Save(*store, p).ok());
    Handback h;
    h.id = id;
    h.placement_id = p.id;
    h.referral_id = referral;
    h.provider_id = provider;
    h.notice_date = notice;
    h.end_date = end;
    h.hours_per_week = hours;
    h.reason = reason;
    h.status = status;
    ASSERT_TRUE(Save(*store, h).ok());
  };
  give_back("h1", "home-a", "r1", "a3", 0, "2026-11-03", "2026-11-30", HandbackReason::kNeedsChanged);
  give_back("h2", "agency-c", "r2", "", 14, "2026-11-10", "2026-11-17", HandbackReason::kStaffing);
  give_back("h3", "agency-c", "r3", "", 7, "2026-11-15", "2026-11-22", HandbackReason::kStaffing);
  give_back("h4", "home-b", "r1", "b1", 0, "2026-11-20", "2026-11-20", HandbackReason::kUnsafe);
  give_back("h5", "agency-c", "r4", "", 10, "2026-10-01", "2026-10-15", HandbackReason::kPrice);  // before
  // A notice withdrawn by the provider handed nothing back: not counted.
  give_back("h6", "agency-c", "r5", "", 20, "2026-11-12", "2026-11-26", HandbackReason::kPrice,
            HandbackStatus::kWithdrawn);
  auto r = BuildHandbacksReport(store->db(), "2026-11-01", "2026-11-30");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->handbacks, 4);
  EXPECT_EQ(r->providers, 3);
  EXPECT_EQ(r->people, 3);  // r1 twice
  EXPECT_EQ(r->beds, 2);
  EXPECT_DOUBLE_EQ(r->hours_per_week, 21);
  EXPECT_DOUBLE_EQ(r->average_notice_days, (27 + 7 + 7 + 0) / 4.0);
  ASSERT_EQ(r->rows.size(), 4u);
  EXPECT_EQ(r->rows[0].handback_id, "h1");
  EXPECT_EQ(r->rows[0].kind, "bed");
  EXPECT_EQ(r->rows[0].bed_id, "a3");
  EXPECT_EQ(r->rows[0].notice_days, 27);
  EXPECT_EQ(r->rows[1].kind, "homecare");
  EXPECT_DOUBLE_EQ(r->rows[1].hours_per_week, 14);
  ASSERT_EQ(r->by_reason.size(), 3u);
  EXPECT_EQ(r->by_reason[0].key, "staffing");
  EXPECT_EQ(r->by_reason[0].handbacks, 2);
  EXPECT_EQ(r->by_reason[0].people, 2);
  EXPECT_DOUBLE_EQ(r->by_reason[0].hours_per_week, 21);
  ASSERT_EQ(r->by_provider.size(), 3u);
  EXPECT_EQ(r->by_provider[0].label, "Carers Co");
  EXPECT_EQ(r->by_provider[0].handbacks, 2);
  EXPECT_EQ(r->by_provider[1].label, "Alpha House");
  EXPECT_EQ(r->by_provider[1].beds, 1);
  const std::string text = Render(*r, ReportFormat::kText);
  EXPECT_NE(
      text.find("4 by 3 provider(s), 3 people: 21 homecare hours a week and 2 bed(s); notice 10.2 days"),
      std::string::npos)
      << text;
  const auto j = nlohmann::json::parse(Render(*r, ReportFormat::kJson));
  EXPECT_EQ(j["handbacks"], 4);
  EXPECT_EQ(j["by_reason"][0]["key"], "staffing");
  const std::string csv = Render(*r, ReportFormat::kCsv);
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "notice_date,last_day,notice_days,provider,kind,bed_or_hours,reason,status,referral_id");
  EXPECT_NE(csv.find("2026-11-10,2026-11-17,7,Carers Co,homecare,14,staffing,open,r2"), std::string::npos)
      << csv;
  // The range is checked; the October hand back is in its own month.
  EXPECT_EQ(BuildHandbacksReport(store->db(), "2026-11-30", "2026-11-01").status().code(), Code::kBadInput);
  EXPECT_EQ(BuildHandbacksReport(store->db(), "2026-10-01", "2026-10-31")->handbacks, 1);
}

TEST(Money, FormatPounds) {
  EXPECT_EQ(FormatPounds(0), "£0.00");
  EXPECT_EQ(FormatPounds(142857), "£1,428.57");
  EXPECT_EQ(FormatPounds(123456789), "£1,234,567.89");
}

}  // namespace
}  // namespace berth::core

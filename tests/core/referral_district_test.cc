// Where the person is decides which devices see their referral (issue 15, finding 2). core::SaveReferral
// gives a referral the district of its hospital site or postcode, keeps a district it is given (never
// '*', never a county), and follows the person when they move; a county-wide broker's referrals made
// that way then reach only that district's ward devices, through a real hub on loopback.
#include <gtest/gtest.h>

#include "berth/core/geo.h"
#include "berth/core/workflow.h"
#include "berth/schema/repository.h"
#include "sync/hub_harness.h"

namespace berth::testing {
namespace {

Referral AtHospital(const std::string& nhs, const std::string& site) {
  Referral r;
  r.nhs_number = nhs;
  r.name = "Test Person";
  r.date_of_birth = "1940-01-01";
  r.gender = Gender::kFemale;
  r.location_kind = LocationKind::kHospital;
  r.hospital_code = site;
  r.pathway = Pathway::kP3;
  r.category = BedCategory::kResidential;
  r.discharge_ready_date = TodayIsoDate();
  return r;
}

Referral AtHome(const std::string& nhs, const std::string& postcode) {
  Referral r = AtHospital(nhs, "");
  r.location_kind = LocationKind::kCommunity;
  r.postcode = postcode;
  return r;
}

class ReferralDistrict : public ::testing::Test {
 protected:
  void SetUp() override {
    auto geo = core::DefaultGeography();
    ASSERT_TRUE(geo.ok());
    geo_ = *geo;
  }
  std::string District(Store& store, const std::string& id) {
    auto r = LoadReferral(store.db(), id);
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->district : "?";
  }
  TempDir tmp_;
  const core::Geography* geo_ = nullptr;
  const core::WorkflowTime t_ = core::WorkflowTime::Now();
};

TEST_F(ReferralDistrict, ComesFromWhereThePersonIsAndFollowsThem) {
  auto device = Device::Create(tmp_.Sub("d"));
  Store& s = *device->store;
  auto addenbrookes = core::SaveReferral(s, geo_, AtHospital("9434765900", "RGT01"), t_);
  ASSERT_TRUE(addenbrookes.ok()) << addenbrookes.status().ToString();
  EXPECT_EQ(District(s, *addenbrookes), "Cambridge");
  auto march = core::SaveReferral(s, geo_, AtHome("9434765919", "PE15 8AA"), t_);
  ASSERT_TRUE(march.ok()) << march.status().ToString();
  EXPECT_EQ(District(s, *march), "Fenland");
  // Moved to Hinchingbrooke, the district untouched by the edit: it follows the person.
  auto moved = LoadReferral(s.db(), *addenbrookes);
  ASSERT_TRUE(moved.ok());
  moved->hospital_code = "RQQ31";
  ASSERT_TRUE(core::SaveReferral(s, geo_, *moved, t_).ok());
  EXPECT_EQ(District(s, *addenbrookes), "Huntingdonshire");
  // A district given is kept, in the geography's spelling.
  Referral named = AtHospital("9434765927", "RGT01");
  named.district = "fenland";
  auto kept = core::SaveReferral(s, geo_, named, t_);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(District(s, *kept), "Fenland");
}

TEST_F(ReferralDistrict, StarOrACountyIsRefusedAndNothingIsWritten) {
  auto device = Device::Create(tmp_.Sub("d"));
  Store& s = *device->store;
  const int64_t outbox = Count(s, "SELECT count(*) FROM outbox");
  for (const char* district : {"*", "Cambridgeshire", "Atlantis"}) {
    Referral r = AtHospital("9434765935", "RGT01");
    r.district = district;
    auto saved = core::SaveReferral(s, geo_, r, t_);
    EXPECT_EQ(saved.status().code(), Code::kBadInput) << district;
    EXPECT_NE(saved.status().message().find("district"), std::string::npos) << saved.status().message();
  }
  EXPECT_EQ(Count(s, "SELECT count(*) FROM referral"), 0);
  EXPECT_EQ(Count(s, "SELECT count(*) FROM outbox"), outbox);
}

TEST_F(ReferralDistrict, ACountyWideBrokersReferralsReachOnlyTheirPeoplesDistricts) {
  HubProcess hub(tmp_.Sub("hub"));
  hub.Start();
  auto county = Device::Create(tmp_.Sub("county"));
  auto fenland = Device::Create(tmp_.Sub("fenland"));
  auto cambridge = Device::Create(tmp_.Sub("cambridge"));
  ASSERT_TRUE(county->Enroll(hub, "broker", "*").ok());
  ASSERT_TRUE(fenland->Enroll(hub, "ward", "Fenland").ok());
  ASSERT_TRUE(cambridge->Enroll(hub, "ward", "Cambridge").ok());
  // Made the way the CLI and the window make them: no district named.
  auto in_cambridge = core::SaveReferral(*county->store, geo_, AtHospital("9434765943", "RGT01"), t_);
  auto in_fenland = core::SaveReferral(*county->store, geo_, AtHome("9434765951", "PE15 8AA"), t_);
  ASSERT_TRUE(in_cambridge.ok() && in_fenland.ok());
  auto pushed = county->Sync();
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_EQ(pushed->rejected, 0);
  ASSERT_TRUE(fenland->Sync().ok());
  ASSERT_TRUE(cambridge->Sync().ok());
  auto has = [](Device& d, const std::string& id) {
    return Count(*d.store, "SELECT count(*) FROM referral WHERE id = '" + id + "'");
  };
  EXPECT_EQ(has(*fenland, *in_cambridge), 0) << "the person at Addenbrooke's never reaches a Fenland ward";
  EXPECT_EQ(has(*fenland, *in_fenland), 1);
  EXPECT_EQ(has(*cambridge, *in_cambridge), 1);
  EXPECT_EQ(has(*cambridge, *in_fenland), 0);
  hub.Kill();
}

}  // namespace
}  // namespace berth::testing

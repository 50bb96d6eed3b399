// "*" is a scope, never a place (issue 15, finding 2): a county-wide broker's referral carries the
// district the person is in, reaches that district's devices and no other's; a row naming no place, or
// "*" as its place, is refused; rows stored with "*" by earlier hubs are given real areas when the hub
// starts. Real hub process, real encrypted stores.
#include <gtest/gtest.h>

#include "hub_harness.h"

namespace berth::testing {
namespace {

class HubScope : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_ = std::make_unique<HubProcess>(tmp_.Sub("hub"));
    hub_->Start();
    county_ = Device::Create(tmp_.Sub("county"));
    fenland_ = Device::Create(tmp_.Sub("fenland"));
    cambridge_ = Device::Create(tmp_.Sub("cambridge"));
    ASSERT_TRUE(county_->Enroll(*hub_, "broker", "*").ok());
    ASSERT_TRUE(fenland_->Enroll(*hub_, "ward", "Fenland").ok());
    ASSERT_TRUE(cambridge_->Enroll(*hub_, "ward", "Cambridge").ok());
  }
  void TearDown() override { hub_->Kill(); }

  static int64_t Referrals(Device& d, const std::string& id) {
    return Count(*d.store, "SELECT count(*) FROM referral WHERE id = '" + id + "'");
  }
  static std::vector<std::string> ConflictCodes(Device& d) {
    std::vector<std::string> out;
    auto conflicts = sync::ListConflicts(*d.store);
    EXPECT_TRUE(conflicts.ok());
    if (conflicts.ok()) {
      for (const auto& c : *conflicts) out.push_back(c.reason_code);
    }
    return out;
  }

  TempDir tmp_;
  std::unique_ptr<HubProcess> hub_;
  std::unique_ptr<Device> county_, fenland_, cambridge_;
};

TEST_F(HubScope, ACountyWideBrokersReferralReachesOnlyTheDistrictThePersonIsIn) {
  // Addenbrooke's is in Cambridge: app/core fills the district from the hospital site or postcode.
  const std::string in_cambridge = county_->Write("referral", "",
                                                  {{"name", std::string("Cambridge Person")},
                                                   {"postcode", std::string("CB2 0QQ")},
                                                   {"district", std::string("Cambridge")}});
  const std::string offer = county_->Write("offer", "", {{"referral_id", in_cambridge}});
  const std::string in_fenland = county_->Write(
      "referral", "", {{"name", std::string("Fenland Person")}, {"district", std::string("Fenland")}});
  ASSERT_TRUE(county_->Sync().ok());
  ASSERT_TRUE(fenland_->Sync().ok());
  ASSERT_TRUE(cambridge_->Sync().ok());
  EXPECT_EQ(Referrals(*fenland_, in_cambridge), 0) << "the person in Cambridge never reaches Fenland";
  EXPECT_EQ(Count(*fenland_->store, "SELECT count(*) FROM offer WHERE id = '" + offer + "'"), 0);
  EXPECT_EQ(Referrals(*fenland_, in_fenland), 1);
  EXPECT_EQ(Referrals(*cambridge_, in_cambridge), 1);
  EXPECT_EQ(Count(*cambridge_->store, "SELECT count(*) FROM offer WHERE id = '" + offer + "'"), 1);
  EXPECT_EQ(Referrals(*cambridge_, in_fenland), 0);
  auto hub_store = hub_->OpenStore();
  EXPECT_EQ(Count(*hub_store, "SELECT count(*) FROM hub_change WHERE area = '*' AND entity <> 'setting'"), 0);
}

// The same through sync while locked (PROTOCOL.md section 11): the courier's pages are filtered by the
// same area before they are sealed, and a referral's date changes go where the referral goes.
TEST_F(HubScope, ALockedWardLaptopsCourierBringsOnlyItsDistrict) {
  ASSERT_TRUE(fenland_->Sync().ok());  // registers its courier key
  fenland_->LockForTheNight();
  const std::string in_cambridge = county_->Write(
      "referral", "",
      {{"name", std::string("Night Cambridge Person")}, {"district", std::string("Cambridge")}});
  const std::string moved = county_->Write("referral_date_change", "",
                                           {{"referral_id", in_cambridge},
                                            {"old_date", std::string("2026-03-01")},
                                            {"new_date", std::string("2026-03-04")}});
  const std::string in_fenland = county_->Write(
      "referral", "", {{"name", std::string("Night Fenland Person")}, {"district", std::string("Fenland")}});
  ASSERT_TRUE(county_->Sync().ok());
  auto night = fenland_->RunCourier();
  ASSERT_TRUE(night.ok()) << night.status().ToString();
  EXPECT_GE(night->pages, 1);
  auto applied = fenland_->UnlockAndApplySpool();
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(Referrals(*fenland_, in_cambridge), 0) << "the person in Cambridge never reaches Fenland";
  EXPECT_EQ(Count(*fenland_->store, "SELECT count(*) FROM referral_date_change WHERE id = '" + moved + "'"),
            0);
  EXPECT_EQ(Referrals(*fenland_, in_fenland), 1) << "the night's pages did arrive";
  ASSERT_TRUE(cambridge_->Sync().ok());
  EXPECT_EQ(Count(*cambridge_->store, "SELECT count(*) FROM referral_date_change WHERE id = '" + moved + "'"),
            1);
}

// A case note (migration 0012) is personal free text: it goes where its referral goes, to the brokers and
// ward staff of that area, never to a ward laptop of another area nor to a viewer; a ward laptop of the
// area may write one and it reaches the county-wide broker.
TEST_F(HubScope, ACaseNoteReachesOnlyItsReferralsAreaAndNeverAViewer) {
  auto viewer = Device::Create(tmp_.Sub("viewer"));
  ASSERT_TRUE(viewer->Enroll(*hub_, "viewer", "Cambridge").ok());
  const std::string person = county_->Write(
      "referral", "", {{"name", std::string("Noted Person")}, {"district", std::string("Cambridge")}});
  const std::string note = county_->Write("referral_note", "",
                                          {{"referral_id", person},
                                           {"kind", std::string("call")},
                                           {"text", std::string("rang the daughter about Oak House")}});
  ASSERT_TRUE(county_->Sync().ok());
  ASSERT_TRUE(fenland_->Sync().ok());
  ASSERT_TRUE(cambridge_->Sync().ok());
  ASSERT_TRUE(viewer->Sync().ok());
  auto notes = [](Device& d, const std::string& id) {
    return Count(*d.store, "SELECT count(*) FROM referral_note WHERE id = '" + id + "'");
  };
  EXPECT_EQ(notes(*fenland_, note), 0) << "a ward laptop of another area never receives the note";
  EXPECT_EQ(Count(*fenland_->store, "SELECT count(*) FROM referral_note"), 0);
  EXPECT_EQ(notes(*viewer, note), 0) << "a viewer never receives personal data";
  EXPECT_EQ(notes(*cambridge_, note), 1);
  // Ward staff of the area write in the case log too; the county-wide broker receives it.
  const std::string reply = cambridge_->Write(
      "referral_note", "",
      {{"referral_id", person}, {"kind", std::string("note")}, {"text", std::string("family visiting")}});
  auto pushed = cambridge_->Sync();
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_EQ(pushed->rejected, 0);
  ASSERT_TRUE(county_->Sync().ok());
  ASSERT_TRUE(fenland_->Sync().ok());
  EXPECT_EQ(notes(*county_, reply), 1);
  EXPECT_EQ(notes(*fenland_, reply), 0);
  auto hub_store = hub_->OpenStore();
  EXPECT_EQ(Count(*hub_store,
                  "SELECT count(*) FROM hub_change WHERE entity = 'referral_note' AND area = "
                  "'Cambridge'"),
            2);
}

TEST_F(HubScope, ARowNamingNoPlaceOrStarAsItsPlaceIsRefused) {
  const std::string nowhere = county_->Write("referral", "", {{"name", std::string("Nowhere Person")}});
  const std::string star_referral =
      county_->Write("referral", "", {{"name", std::string("Star Person")}, {"district", std::string("*")}});
  const std::string star_home = county_->Write(
      "provider", "", {{"name", std::string("Everywhere Home")}, {"district", std::string("*")}});
  const std::string star_council = county_->Write(
      "provider", "", {{"name", std::string("Council Star")}, {"local_authority", std::string("*")}});
  auto s = county_->Sync();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->rejected, 4);
  const auto codes = ConflictCodes(*county_);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "no_area"), 1);
  EXPECT_EQ(std::count(codes.begin(), codes.end(), "bad_area"), 3);
  ASSERT_TRUE(fenland_->Sync().ok());
  ASSERT_TRUE(cambridge_->Sync().ok());
  for (Device* d : {fenland_.get(), cambridge_.get()}) {
    EXPECT_EQ(Count(*d->store, "SELECT count(*) FROM referral"), 0);
    EXPECT_EQ(Count(*d->store, "SELECT count(*) FROM provider"), 0);
  }
  auto hub_store = hub_->OpenStore();
  EXPECT_EQ(Count(*hub_store, "SELECT count(*) FROM referral"), 0);
  EXPECT_EQ(Count(*hub_store, "SELECT count(*) FROM provider"), 0);
  (void)nowhere, (void)star_referral, (void)star_home, (void)star_council;
}

TEST_F(HubScope, RowsStoredWithStarByAnEarlierHubGetRealAreasAtStart) {
  const std::string person = county_->Write(
      "referral", "", {{"name", std::string("Earlier Person")}, {"district", std::string("Cambridge")}});
  const std::string offer = county_->Write("offer", "", {{"referral_id", person}});
  const std::string moved = county_->Write("referral_date_change", "", {{"referral_id", person}});
  const std::string home = county_->Write(
      "provider", "", {{"name", std::string("March Home")}, {"district", std::string("Fenland")}});
  const std::string bed = county_->Write("bed", "", {{"provider_id", home}});
  const std::string lost = county_->Write(
      "referral", "", {{"name", std::string("Unplaceable Person")}, {"district", std::string("Fenland")}});
  ASSERT_TRUE(county_->Sync().ok());
  hub_->Terminate();
  {
    // What an earlier hub left: these rows filed under "*" (and one whose place cannot be worked out).
    auto hub_store = hub_->OpenStore();
    ASSERT_TRUE(hub_store->db().Exec("UPDATE hub_change SET area = '*' WHERE entity <> 'setting'").ok());
    ASSERT_TRUE(hub_store->db().Exec("UPDATE referral SET district = '' WHERE id = '" + lost + "'").ok());
  }
  hub_->Start();
  auto hub_store = hub_->OpenStore();
  auto area = [&](const std::string& entity, const std::string& id) {
    return Text(*hub_store,
                "SELECT area FROM hub_change WHERE entity = '" + entity + "' AND row_id = '" + id + "'");
  };
  EXPECT_EQ(area("referral", person), "Cambridge");
  EXPECT_EQ(area("offer", offer), "Cambridge");
  EXPECT_EQ(area("referral_date_change", moved), "Cambridge");
  EXPECT_EQ(area("provider", home), "Fenland");
  EXPECT_EQ(area("bed", bed), "Fenland");
  EXPECT_EQ(area("referral", lost), "") << "no place known: county-wide devices only";
  auto late = Device::Create(tmp_.Sub("late"));
  ASSERT_TRUE(late->Enroll(*hub_, "ward", "Fenland").ok());
  ASSERT_TRUE(late->Sync().ok());
  EXPECT_EQ(Referrals(*late, person), 0);
  EXPECT_EQ(Referrals(*late, lost), 0);
  EXPECT_EQ(Count(*late->store, "SELECT count(*) FROM bed WHERE id = '" + bed + "'"), 1);
}

}  // namespace
}  // namespace berth::testing

// A small store of fictional referrals, homes, beds and homecare hours for the panel tests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "berth/core/demo.h"
#include "berth/core/geo.h"
#include "berth/schema/ids.h"
#include "berth/schema/repository.h"
#include "berth/schema/store.h"
#include "support/test_support.h"

namespace berth::ui::uitest {

// A valid NHS number (modulus 11) made from nine digits; nine digits whose check would be 10 are bumped.
inline std::string NhsNumber(int64_t nine) {
  return berth::testing::ValidNhsNumber(nine);
}

inline std::string DaysFromToday(int64_t delta) {
  return IsoDateFromDays(DaysFromIsoDate(TodayIsoDate()) + delta);
}

inline Referral MakeReferral(const std::string& name, int64_t nhs_seed, Pathway pathway,
                             int64_t ready_in_days, Priority priority = Priority::kRoutine,
                             ReferralStatus status = ReferralStatus::kSourcing) {
  Referral r;
  r.id = NewUuidV7();
  r.name = name;
  r.nhs_number = NhsNumber(nhs_seed);
  r.date_of_birth = "1940-05-06";
  r.gender = Gender::kFemale;
  r.location_kind = LocationKind::kHospital;
  r.hospital_code = "RQQ31";
  r.postcode = "PE29 6NT";
  r.pathway = pathway;
  if (pathway != Pathway::kP1) r.category = BedCategory::kResidential;
  r.discharge_ready_date = DaysFromToday(ready_in_days);
  r.priority = priority;
  r.status = status;
  r.assigned_broker = "jo";
  r.funding = Funding::kLa;
  r.weekly_budget_pence = 80000;
  return r;
}

struct Fixture {
  std::unique_ptr<Store> store;
  std::string home_a, home_b, vacant_bed, held_bed;
  std::string ann, bob, cara, dan, eve, fay;
};

// A store at `dir` (fast KDF, audit actor `actor`) holding the demo county, as the window tests open it.
inline Result<std::unique_ptr<Store>> MakeDemoStore(const std::string& dir,
                                                    const core::DemoOptions& demo = {},
                                                    const std::string& actor = "") {
  Secret recovery;
  StoreOptions o;
  o.kdf = KdfParams::Fast();
  if (!actor.empty()) o.actor = actor;
  BERTH_ASSIGN_OR_RETURN(std::unique_ptr<Store> store,
                         Store::Create(dir, Secret("demo passphrase"), &recovery, o));
  BERTH_ASSIGN_OR_RETURN(const core::Geography* geo, core::DefaultGeography());
  BERTH_RETURN_IF_ERROR(core::BuildDemo(*store, *geo, demo).status());
  return store;
}

inline Fixture MakeFixture(const std::string& dir) {
  Fixture f;
  Secret recovery;
  StoreOptions o;
  o.kdf = KdfParams::Fast();
  o.actor = "test-broker";
  auto created = Store::Create(dir, Secret("fixture passphrase"), &recovery, o);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  if (!created.ok()) return f;
  f.store = std::move(created).value();
  Store& s = *f.store;
  Provider a;
  a.id = NewUuidV7();
  a.name = "Riverside Care Home";
  a.kind = ProviderKind::kCareHome;
  a.district = "Huntingdonshire";
  a.postcode = "PE29 3AB";
  a.registration = Registration::kResidentialNursing;
  a.rating = CqcRating::kGood;
  Provider b = a;
  b.id = NewUuidV7();
  b.name = "Fenview Lodge";
  b.district = "Fenland";
  b.postcode = "PE15 8AA";
  Provider agency;
  agency.id = NewUuidV7();
  agency.name = "Homecare Example Ltd";
  agency.kind = ProviderKind::kHomecareAgency;
  for (const Provider* p : {&a, &b, &agency}) EXPECT_TRUE(Save(s, *p).ok());
  f.home_a = a.id;
  f.home_b = b.id;
  ProviderAdmissions closed;
  closed.provider_id = b.id;
  closed.id = AdmissionsId(b.id, std::nullopt);
  closed.status = AdmissionsStatus::kClosed;
  closed.reason = ClosureReason::kOutbreak;
  closed.since = DaysFromToday(-2);
  EXPECT_TRUE(Save(s, closed).ok());
  auto bed = [&](const Provider& p, const std::string& room, BedStatus status, ContractType contract) {
    Bed x;
    x.id = NewUuidV7();
    x.provider_id = p.id;
    x.room = room;
    x.category = BedCategory::kResidential;
    x.contract = contract;
    x.weekly_rate_pence = 70000;
    x.status = status;
    x.status_since = DaysFromToday(-14);
    EXPECT_TRUE(Save(s, x).ok());
    return x.id;
  };
  f.vacant_bed = bed(a, "1", BedStatus::kVacant, ContractType::kBlock);
  bed(a, "2", BedStatus::kOccupied, ContractType::kBlock);
  bed(a, "3", BedStatus::kOccupied, ContractType::kSpot);
  bed(b, "12", BedStatus::kVacant, ContractType::kSpot);
  HomecareCapacity hc;
  hc.id = NewUuidV7();
  hc.provider_id = agency.id;
  hc.zone = "Huntingdon";
  hc.band = TimeBand::kMorning;
  hc.hours_per_week = 14;
  hc.double_up = true;
  EXPECT_TRUE(Save(s, hc).ok());

  Referral ann = MakeReferral("Ann Example", 123456781, Pathway::kP3, -10);
  Referral bob = MakeReferral("Bob Handback", 234567891, Pathway::kP1, -1, Priority::kHandBack);
  Referral cara = MakeReferral("Cara Urgent", 345678912, Pathway::kP2, -3, Priority::kUrgent);
  Referral dan = MakeReferral("Dan Routine", 456789123, Pathway::kP3, -3);
  Referral eve = MakeReferral("Eve Future", 567891234, Pathway::kP2, 2);
  Referral fay =
      MakeReferral("Fay Placed", 678912345, Pathway::kP3, -20, Priority::kRoutine, ReferralStatus::kPlaced);
  eve.hospital_code = "RGT01";
  eve.postcode = "CB2 0QQ";
  dan.assigned_broker = "";
  for (const Referral* r : {&ann, &bob, &cara, &dan, &eve, &fay}) EXPECT_TRUE(Save(s, *r).ok());
  f.ann = ann.id;
  f.bob = bob.id;
  f.cara = cara.id;
  f.dan = dan.id;
  f.eve = eve.id;
  f.fay = fay.id;
  // Ann's bed at Riverside is held for her.
  Bed held;
  held.id = NewUuidV7();
  held.provider_id = a.id;
  held.room = "4";
  held.contract = ContractType::kBlock;
  held.weekly_rate_pence = 70000;
  held.status = BedStatus::kHeld;
  held.held_for_referral_id = ann.id;
  held.held_until = DaysFromToday(1) + "T12:00:00Z";
  EXPECT_TRUE(Save(s, held).ok());
  f.held_bed = held.id;
  return f;
}

}  // namespace berth::ui::uitest

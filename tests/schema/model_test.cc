// The domain model: every record round-trips through its table and through cereal; enums convert both
// ways; SaveChanges writes only what differs; the CHECK constraints refuse codes outside the model.
#include "berth/schema/model.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cereal/archives/binary.hpp>
#include <set>
#include <sstream>

#include "berth/schema/repository.h"
#include "support/store_fixture.h"

namespace berth {
namespace {

class ModelTest : public testing::StoreFixture {};

Provider SampleProvider() {
  Provider p;
  p.id = StableId("cqc-location", "1-000000001");
  p.cqc_location_id = "1-000000001";
  p.cqc_provider_id = "1-100000001";
  p.name = "Example Lodge";
  p.kind = ProviderKind::kCareHome;
  p.postcode = "PE29 6NT";
  p.latitude = 52.33;
  p.longitude = -0.19;
  p.local_authority = "Cambridgeshire";
  p.district = "Huntingdonshire";
  p.registration = Registration::kResidentialNursing;
  p.specialisms = {Specialism::kMentalHealth, Specialism::kDementia};
  p.rating = CqcRating::kGood;
  p.registered_beds = 42;
  p.trusted_assessor = true;
  return p;
}

Bed SampleBed(const std::string& provider_id) {
  Bed b;
  b.id = NewUuidV7();
  b.provider_id = provider_id;
  b.room = "12";
  b.category = BedCategory::kNursingDementia;
  b.contract = ContractType::kBlock;
  b.tier = BlockTier::kT2;
  b.weekly_rate_pence = 95'000;
  b.features.en_suite = true;
  b.features.hoist = true;
  b.features.single_sex_unit = SexPreference::kFemale;
  b.flexibility_clause = true;
  b.status = BedStatus::kVacant;
  b.status_since = "2026-11-01";
  return b;
}

Referral SampleReferral() {
  Referral r;
  r.id = NewUuidV7();
  r.nhs_number = "9434765919";
  r.name = "Ann Example";
  r.date_of_birth = "1941-03-02";
  r.gender = Gender::kFemale;
  r.pathway = Pathway::kP1;
  r.category.reset();
  r.needs = {Need::kHoist, Need::kDoubleUp};
  r.homecare.calls_per_day = 4;
  r.homecare.minutes_per_call = 30;
  r.homecare.bands = {TimeBand::kMorning, TimeBand::kLunch, TimeBand::kTea, TimeBand::kBed};
  r.homecare.double_up = true;
  r.homecare.carer_gender = SexPreference::kFemale;
  r.max_distance_km = 25;
  r.funding = Funding::kChc;
  r.weekly_budget_pence = 95'000;
  r.discharge_ready_date = "2026-11-20";
  r.notes = "free text, with a comma";
  return r;
}

template <class T>
T CerealRoundTrip(const T& in) {
  std::stringstream ss;
  {
    cereal::BinaryOutputArchive out(ss);
    T copy = in;
    out(copy);
  }
  T back;
  cereal::BinaryInputArchive inp(ss);
  inp(back);
  return back;
}

TEST(EnumCodes, EveryEnumConvertsBothWays) {
  for (size_t i = 0; i < EnumCount<BedCategory>(); ++i) {
    auto c = static_cast<BedCategory>(i);
    auto back = FromString<BedCategory>(ToString(c));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, c);
  }
  EXPECT_EQ(ToString(Pathway::kCommunityCrisis), "community_crisis");
  EXPECT_EQ(*FromString<Funding>("self_funder"), Funding::kSelfFunder);
  auto bad = FromString<BedCategory>("penthouse");
  EXPECT_EQ(bad.status().code(), Code::kBadInput);
  EXPECT_NE(bad.status().message().find("bed category 'penthouse'"), std::string::npos);
  EXPECT_NE(bad.status().message().find("nursing_dementia"), std::string::npos);
}

TEST(EnumCodes, ListsAreSortedAndDeduplicated) {
  EXPECT_EQ(JoinCodes(std::vector<Need>{Need::kHoist, Need::kDementia, Need::kHoist}), "dementia,hoist");
  auto v = SplitCodes<Need>(" hoist ,dementia,,hoist");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (std::vector<Need>{Need::kDementia, Need::kHoist}));
  EXPECT_FALSE(SplitCodes<Need>("hoist,wings").ok());
}

TEST(Dates, IsoDatesAreCheckedAndConverted) {
  EXPECT_TRUE(IsIsoDate("2024-02-29"));
  EXPECT_FALSE(IsIsoDate("2023-02-29"));
  EXPECT_FALSE(IsIsoDate("2026-13-01"));
  EXPECT_FALSE(IsIsoDate("20/11/2026"));
  EXPECT_EQ(DaysFromIsoDate("1970-01-02"), 1);
  EXPECT_EQ(DaysFromIsoDate("2026-11-20") - DaysFromIsoDate("2026-11-01"), 19);
  EXPECT_EQ(IsoDateFromDays(DaysFromIsoDate("2028-02-29")), "2028-02-29");
}

TEST(StableIds, SameKeySameIdDifferentKeyDifferentId) {
  EXPECT_EQ(StableId("cqc-location", "1-1"), StableId("cqc-location", "1-1"));
  EXPECT_NE(StableId("cqc-location", "1-1"), StableId("cqc-location", "1-2"));
  EXPECT_TRUE(IsUuid(StableId("cqc-location", "1-1")));
}

// Ids take their random part from a per-thread buffer (ids.cc): still well formed, version 7, never
// repeated, and a forked child does not hand out the bytes its parent will.
TEST(UuidV7, BufferedRandomIdsAreWellFormedUniqueAndNotSharedWithAForkedChild) {
  std::set<std::string> seen;
  for (int i = 0; i < 3000; ++i) {  // several refills of the buffer
    const std::string id = NewUuidV7();
    ASSERT_TRUE(IsUuid(id)) << id;
    EXPECT_EQ(id[14], '7') << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
    EXPECT_TRUE(seen.insert(id).second) << id;
  }
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string id = NewUuidV7();
    const ssize_t wrote = write(pipe_fds[1], id.data(), id.size());
    _exit(wrote == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  const std::string parent = NewUuidV7();
  char buf[36];
  ASSERT_EQ(read(pipe_fds[0], buf, sizeof buf), static_cast<ssize_t>(sizeof buf));
  int status = 0;
  waitpid(child, &status, 0);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  EXPECT_EQ(status, 0);
  // The random part (after the millisecond stamp and the version digit) differs.
  EXPECT_NE(std::string(buf, sizeof buf).substr(15), parent.substr(15));
}

TEST(Cereal, RecordsRoundTrip) {
  Provider p = SampleProvider();
  Provider p2 = CerealRoundTrip(p);
  EXPECT_EQ(ToFields(p2), ToFields(p));
  EXPECT_EQ(p2.id, p.id);
  Referral r = SampleReferral();
  Referral r2 = CerealRoundTrip(r);
  EXPECT_EQ(ToFields(r2), ToFields(r));
  EXPECT_EQ(r2.homecare, r.homecare);
  Bed b = SampleBed(p.id);
  EXPECT_EQ(ToFields(CerealRoundTrip(b)), ToFields(b));
}

TEST_P(ModelTest, EveryRecordRoundTripsThroughTheStore) {
  auto store = CreateStore();
  ASSERT_NE(store, nullptr);
  Provider p = SampleProvider();
  Bed b = SampleBed(p.id);
  Referral r = SampleReferral();
  HomecareCapacity h;
  h.id = NewUuidV7();
  h.provider_id = p.id;
  h.zone = "Huntingdon";
  h.band = TimeBand::kTea;
  h.hours_per_week = 12.25;
  h.available_from = "2026-11-23";
  h.double_up = true;
  h.male_carers = false;
  h.contract = HomecareContract::kBlock;
  h.hourly_rate_pence = 1950;
  ProviderAdmissions a;
  a.provider_id = p.id;
  a.category = BedCategory::kNursing;
  a.id = AdmissionsId(p.id, a.category);
  a.status = AdmissionsStatus::kClosed;
  a.reason = ClosureReason::kOutbreak;
  a.since = "2026-11-18";
  Offer o;
  o.id = NewUuidV7();
  o.referral_id = r.id;
  o.provider_id = p.id;
  o.bed_id = b.id;
  o.status = OfferStatus::kDeclined;
  o.decline_reason = DeclineReason::kCannotMeetNeeds;
  Placement pl;
  pl.id = NewUuidV7();
  pl.referral_id = r.id;
  pl.provider_id = p.id;
  pl.bed_id = b.id;
  pl.start_date = "2026-11-21";
  pl.weekly_cost_pence = 95'000;
  Handback hb;
  hb.id = NewUuidV7();
  hb.placement_id = pl.id;
  hb.hours_per_week = 14;
  hb.reason = HandbackReason::kStaffing;

  ASSERT_TRUE(Save(*store, p).ok());
  ASSERT_TRUE(Save(*store, b).ok());
  ASSERT_TRUE(Save(*store, r).ok());
  ASSERT_TRUE(Save(*store, h).ok());
  ASSERT_TRUE(Save(*store, a).ok());
  ASSERT_TRUE(Save(*store, o).ok());
  ASSERT_TRUE(Save(*store, pl).ok());
  ASSERT_TRUE(Save(*store, hb).ok());
  store.reset();
  store = OpenStore();
  Db& db = store->db();

  auto p2 = LoadProvider(db, p.id);
  ASSERT_TRUE(p2.ok()) << p2.status().ToString();
  EXPECT_EQ(ToFields(*p2), ToFields(p));
  auto beds = LoadBeds(db);
  ASSERT_TRUE(beds.ok());
  ASSERT_EQ(beds->size(), 1u);
  EXPECT_EQ(ToFields(beds->front()), ToFields(b));
  auto r2 = LoadReferral(db, r.id);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(ToFields(*r2), ToFields(r));
  EXPECT_FALSE(r2->category.has_value());
  EXPECT_DOUBLE_EQ(r2->homecare.CarerHoursPerWeek(), 28.0);
  auto caps = LoadHomecareCapacity(db);
  ASSERT_TRUE(caps.ok());
  ASSERT_EQ(caps->size(), 1u);
  EXPECT_EQ(ToFields(caps->front()), ToFields(h));
  auto adm = LoadAdmissions(db);
  ASSERT_TRUE(adm.ok());
  ASSERT_EQ(adm->size(), 1u);
  EXPECT_EQ(ToFields(adm->front()), ToFields(a));
  auto offers = LoadOffersForReferral(db, r.id);
  ASSERT_TRUE(offers.ok());
  ASSERT_EQ(offers->size(), 1u);
  EXPECT_EQ(ToFields(offers->front()), ToFields(o));
  auto pls = LoadPlacements(db);
  ASSERT_TRUE(pls.ok());
  ASSERT_EQ(pls->size(), 1u);
  EXPECT_EQ(ToFields(pls->front()), ToFields(pl));
  auto hbs = LoadHandbacks(db);
  ASSERT_TRUE(hbs.ok());
  ASSERT_EQ(hbs->size(), 1u);
  EXPECT_EQ(ToFields(hbs->front()), ToFields(hb));
  // Every save went through the outbox.
  EXPECT_EQ(*db.QueryInt("SELECT count(*) FROM outbox"), 8);
  auto found = FindProviderByCqcId(db, "1-000000001");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, p.id);
  EXPECT_EQ(LoadReferral(db, "nope").status().code(), Code::kNotFound);
}

TEST_P(ModelTest, SaveChangesWritesOnlyWhatDiffers) {
  auto store = CreateStore();
  Provider p = SampleProvider();
  auto first = SaveChanges(*store, p);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, SaveOutcome::kCreated);
  auto again = SaveChanges(*store, p);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, SaveOutcome::kUnchanged);
  EXPECT_EQ(*store->db().QueryInt("SELECT count(*) FROM outbox"), 1);
  p.rating = CqcRating::kOutstanding;
  auto third = SaveChanges(*store, p);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(*third, SaveOutcome::kUpdated);
  auto clocks = store->db().QueryInt("SELECT count(*) FROM field_clock WHERE entity = 'provider'");
  EXPECT_EQ(*clocks, 1);  // only cqc_rating got its own clock
  EXPECT_EQ(LoadProvider(store->db(), p.id)->rating, CqcRating::kOutstanding);
  ASSERT_TRUE(Remove(*store, "provider", p.id).ok());
  EXPECT_EQ(*CountLive(store->db(), "provider"), 0);
  EXPECT_EQ(SaveChanges(*store, p).status().code(), Code::kConflict);
}

TEST_P(ModelTest, ConstraintsRefuseCodesOutsideTheModel) {
  auto store = CreateStore();
  Mutation m;
  m.entity = "bed";
  m.fields["category"] = std::string("penthouse");
  EXPECT_FALSE(store->Write(m).ok());
  EXPECT_EQ(*store->db().QueryInt("SELECT count(*) FROM bed"), 0);
  EXPECT_EQ(*store->db().QueryInt("SELECT count(*) FROM outbox"), 0);
  Bed b = SampleBed("p");
  b.id.clear();
  EXPECT_EQ(Save(*store, b).code(), Code::kBadInput);
}

INSTANTIATE_TEST_SUITE_P(Both, ModelTest, ::testing::Bool(), testing::EncryptionName);

}  // namespace
}  // namespace berth

// The importers against the real public data as it is, malformed input of every kind (refused clearly,
// store untouched), idempotent re-imports, and the capacity return and referral JSON formats.
#include "berth/core/importers.h"

#include <gtest/gtest.h>

#include "berth/core/csv.h"
#include "berth/core/nhs_number.h"
#include "berth/core/referral_json.h"
#include "berth/schema/repository.h"
#include "data_fixture.h"

namespace berth::core {
namespace {

using berth::testing::AssetData;
using berth::testing::Counts;
using berth::testing::ExpectVerified;
using berth::testing::Geo;
using berth::testing::NewStore;
using berth::testing::TempDir;

std::string CqcFile() {
  auto data = ReadInput(AssetData("care_directory_2016_sample.csv"));
  EXPECT_TRUE(data.ok());
  return data.ok() ? *data : "";
}

const char* kCqcHeader =
    "Name,Also known as,Address,Postcode,Phone number,Service's website (if available),Service types,"
    "Date of latest check,Specialisms/services,Provider name,Local authority,Region,Location URL,"
    "CQC Location ID (for office use only),CQC Provider ID (for office use only)";

// Two Huntingdonshire homes and one agency, as a council would download them (with header).
std::string SmallCqc(bool header = true) {
  std::string s = header ? std::string(kCqcHeader) + "\n" : "";
  s += "Example Lodge,,\"1 High Street, Huntingdon\",PE29 1AA,01480000001,,Nursing homes|Residential homes,"
       "01/02/2015 - 00:00,Dementia|Caring for adults over 65 yrs,Example Care Ltd,Cambridgeshire,East,"
       "https://www.cqc.org.uk/location/1-900000001,1-900000001,1-800000001\n";
  s += "Meadow House,,\"2 Mill Road,\nSt Ives\",PE27 5AA,,,Residential homes,03/04/2015 - 00:00,"
       "Caring for adults over 65 yrs,Meadow Ltd,Cambridgeshire,East,https://x,1-900000002,1-800000002\n";
  s += "Fen Home Care,,3 Market Place,PE13 1AB,,,Homecare agencies,05/06/2015 - 00:00,Personal care|Dementia,"
       "Fen Ltd,Cambridgeshire,East,https://x,1-900000003,1-800000003\n";
  return s;
}

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override { store = NewStore(tmp); }
  // Imports `text` expecting kBadInput that names `line_fragment`, and proves nothing changed.
  template <class Fn>
  void ExpectRefused(Fn&& import, const std::string& fragment) {
    const auto before = Counts(*store);
    Result<ImportReport> r = import();
    ASSERT_FALSE(r.ok()) << "accepted input that should be refused (" << fragment << ")";
    EXPECT_EQ(r.status().code(), Code::kBadInput) << r.status().ToString();
    EXPECT_EQ(ExitCode(r.status().code()), 2);
    EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
    EXPECT_EQ(Counts(*store), before);
    ExpectVerified(*store);
  }
  TempDir tmp;
  std::unique_ptr<Store> store;
};

TEST_F(ImportTest, TheRealCqcDirectoryImportsCambridgeshireAndPeterborough) {
  const std::string csv = CqcFile();
  auto r = ImportCqcDirectory(*store, Geo(), csv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows, 7000);
  EXPECT_EQ(r->rejected, 0);
  EXPECT_EQ(r->created + r->skipped, 7000);
  EXPECT_EQ(r->created, *CountLive(store->db(), "provider"));
  // Every care home and agency of the sample is in; clinics, dentists and GPs are skipped with a reason.
  auto homes = store->db().QueryInt("SELECT count(*) FROM provider WHERE kind = 'care_home'");
  auto agencies = store->db().QueryInt("SELECT count(*) FROM provider WHERE kind = 'homecare_agency'");
  EXPECT_GT(*homes, 4000);
  EXPECT_GT(*agencies, 900);
  EXPECT_NE(r->Text().find("not a care home or homecare agency"), std::string::npos);

  auto cambs = store->db().QueryInt("SELECT count(*) FROM provider WHERE local_authority = 'Cambridgeshire'");
  auto pboro = store->db().QueryInt("SELECT count(*) FROM provider WHERE local_authority = 'Peterborough'");
  EXPECT_GT(*cambs, 20);
  EXPECT_GT(*pboro, 5);
  EXPECT_LT(*cambs, 51);  // 51 Cambridgeshire rows in the file, some of them clinics
  // Placed, and given their district.
  auto placed = store->db().QueryInt("SELECT count(*) FROM provider WHERE latitude IS NOT NULL");
  EXPECT_GT(*placed, *homes + *agencies - 50);
  auto districts = store->db().QueryInt(
      "SELECT count(DISTINCT district) FROM provider WHERE local_authority = 'Cambridgeshire'");
  EXPECT_EQ(*districts, 5);
  auto clair =
      FindProviderByCqcId(store->db(), "1-106969315");  // Clair Francis Retirement Home, Peterborough
  ASSERT_TRUE(clair.ok() && clair->has_value());
  EXPECT_EQ((*clair)->name, "Clair Francis Retirement Home");
  EXPECT_EQ((*clair)->postcode, "PE1 2UT");
  EXPECT_EQ((*clair)->registration, Registration::kResidential);
  EXPECT_TRUE(Contains((*clair)->specialisms, Specialism::kDementia));
  EXPECT_EQ((*clair)->last_inspection, "2015-08-05");
  EXPECT_EQ((*clair)->district, "Peterborough");
  ExpectVerified(*store);
}

TEST_F(ImportTest, ReimportingTheSameDirectoryChangesNothing) {
  const std::string csv = CqcFile();
  CqcImportOptions cambs{"Cambridgeshire", ""};
  auto first = ImportCqcDirectory(*store, Geo(), csv, cambs);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_GT(first->created, 20);
  EXPECT_EQ(first->skipped, 7000 - first->created);
  const auto before = Counts(*store);
  auto second = ImportCqcDirectory(*store, Geo(), csv, cambs);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->created, 0);
  EXPECT_EQ(second->updated, 0);
  EXPECT_EQ(second->unchanged, first->created);
  EXPECT_EQ(Counts(*store), before);  // not even an outbox or audit entry
}

TEST_F(ImportTest, LaterExtractsWithHeaderBedsAndRatingUpdateInPlace) {
  ASSERT_TRUE(ImportCqcDirectory(*store, Geo(), SmallCqc(false)).ok());
  // A later extract: header row, columns reordered, bed counts and ratings, one home renamed.
  std::string later =
      "CQC Location ID (for office use only),Name,Postcode,Service types,Local authority,Region,"
      "Care homes beds,Location Latest Overall Rating,Extra column\n"
      "1-900000001,Example Lodge Nursing Home,PE29 1AA,Nursing homes|Residential homes,Cambridgeshire,"
      "East,42,Requires improvement,x\n"
      "1-900000002,Meadow House,PE27 5AA,Residential homes,Cambridgeshire,East,18,Good,y\n";
  auto r = ImportCqcDirectory(*store, Geo(), later);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->created, 0);
  EXPECT_EQ(r->updated, 2);
  EXPECT_EQ(*CountLive(store->db(), "provider"), 3);
  auto p = FindProviderByCqcId(store->db(), "1-900000001");
  EXPECT_EQ((*p)->name, "Example Lodge Nursing Home");
  EXPECT_EQ((*p)->registered_beds, 42);
  EXPECT_EQ((*p)->rating, CqcRating::kRequiresImprovement);
  // Re-importing the older extract (no beds, no rating) keeps what the later one said.
  auto again = ImportCqcDirectory(*store, Geo(), SmallCqc(true));
  ASSERT_TRUE(again.ok());
  p = FindProviderByCqcId(store->db(), "1-900000001");
  EXPECT_EQ((*p)->registered_beds, 42);
  EXPECT_EQ((*p)->rating, CqcRating::kRequiresImprovement);
  EXPECT_EQ((*p)->name, "Example Lodge");
  auto meadow = FindProviderByCqcId(store->db(), "1-900000002");
  EXPECT_EQ((*meadow)->address, "2 Mill Road,\nSt Ives");  // a quoted newline survives
}

TEST_F(ImportTest, FiltersByLocalAuthorityAndRegion) {
  const std::string csv = CqcFile();
  auto r = ImportCqcDirectory(*store, Geo(), csv, {"", "North East"});
  ASSERT_TRUE(r.ok());
  auto outside = store->db().QueryInt("SELECT count(*) FROM provider WHERE region <> 'North East'");
  EXPECT_EQ(*outside, 0);
  EXPECT_GT(r->created, 100);
}

TEST_F(ImportTest, MalformedCqcFilesAreRefusedWholeAndNameTheLine) {
  ASSERT_TRUE(ImportCqcDirectory(*store, Geo(), SmallCqc()).ok());
  const std::string good = SmallCqc(false);
  // Wrong column count on line 2.
  std::string short_row = good;
  short_row.insert(short_row.find("Meadow House"), "Broken,row,with,too,few,columns\n");
  ExpectRefused([&] { return ImportCqcDirectory(*store, Geo(), short_row); }, "line 2: has 6 columns");
  // Duplicate location id.
  ExpectRefused([&] { return ImportCqcDirectory(*store, Geo(), good + good.substr(0, good.find('\n') + 1)); },
                "duplicate CQC location id 1-900000001 (first on line 1)");
  // Not a location id.
  std::string bad_id = good;
  bad_id.replace(bad_id.find(",1-900000003,"), 13, ",XYZ,");
  ExpectRefused([&] { return ImportCqcDirectory(*store, Geo(), bad_id); }, "is not a CQC location id");
  // A good row beside one with no name.
  ExpectRefused(
      [&] {
        return ImportCqcDirectory(*store, Geo(),
                                  "CQC Location ID,Name,Postcode,Service types,Local authority\n"
                                  "1-900000001,A,PE29 1AA,Nursing homes,Cambridgeshire\n"
                                  "1-900000009,,PE29 1AA,Nursing homes,Cambridgeshire\n");
      },
      "line 3: no name");
  // Binary junk, an unterminated quote.
  ExpectRefused([&] { return ImportCqcDirectory(*store, Geo(), std::string("\x89PNG\r\n\x1a\n\0\0\0", 11)); },
                "line 1: not UTF-8 text (byte 0x89)");
  // The good rows span four lines (one address holds a newline), so the bad one starts on line 5.
  ExpectRefused([&] { return ImportCqcDirectory(*store, Geo(), good + "\"unterminated,1-2\n"); },
                "line 5: a quoted field is never closed");
}

TEST_F(ImportTest, EveryShippedDataFileIsImportedOrRefusedCleanly) {
  // The geography files are not CQC directories or capacity returns: each importer must refuse them
  // with a clear message and leave the store as it was; the CQC file imports into every importer that
  // takes it and is refused by those that do not.
  for (const char* f : {"postcode_outcodes.csv", "uk_local_authorities.csv", "hospitals_england_2014.csv",
                        "care_directory_2016_sample.csv", "README.md"}) {
    auto data = ReadInput(AssetData(f));
    ASSERT_TRUE(data.ok()) << f;
    SCOPED_TRACE(f);
    if (std::string(f).rfind("care_directory", 0) != 0) {
      ExpectRefused([&] { return ImportCqcDirectory(*store, Geo(), *data); }, "line ");
    }
    ExpectRefused([&] { return ImportBedReturn(*store, *data); }, "line 1: unknown column");
    ExpectRefused([&] { return ImportHomecareReturn(*store, *data); }, "line 1: unknown column");
    ExpectRefused([&] { return ImportReferrals(*store, Geo(), *data); }, "line 1: not valid JSON");
  }
}

const char* kBedHeader =
    "cqc_location_id,room,category,contract,block_tier,weekly_rate,features,single_sex_unit,flexibility_"
    "clause,"
    "status,status_since\n";

TEST_F(ImportTest, BedReturnsImportUpdateAndAreIdempotent) {
  ASSERT_TRUE(ImportCqcDirectory(*store, Geo(), SmallCqc()).ok());
  const std::string beds =
      std::string(kBedHeader) +
      "1-900000001,1,nursing,block,T1,\"£1,020.00\",en_suite|hoist,,yes,vacant,2026-11-01\n"
      "1-900000001,2,nursing_dementia,block,T2,1150,,female,no,occupied,2025-03-04\n"
      "1-900000001,3,residential,spot,,780.5,ground_floor,,,unavailable,2026-11-10\n"
      "1-900000002,A,residential_dementia,framework,,820,,,,vacant,\n";
  auto r = ImportBedReturn(*store, beds, "2026-11-22");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->created, 4);
  auto loaded = LoadBeds(store->db());
  ASSERT_EQ(loaded->size(), 4u);
  std::map<std::string, Bed> by_room;
  for (const auto& b : *loaded) by_room[b.room] = b;
  auto all = [&](size_t i) -> const Bed& {
    return by_room.at(std::vector<std::string>{"1", "2", "3", "A"}.at(i));
  };
  const Bed& b1 = all(0);
  EXPECT_EQ(b1.room, "1");
  EXPECT_EQ(b1.weekly_rate_pence, 102000);
  EXPECT_TRUE(b1.features.en_suite && b1.features.hoist && !b1.features.bariatric);
  EXPECT_TRUE(b1.flexibility_clause);
  EXPECT_EQ(b1.status_since, "2026-11-01");
  EXPECT_EQ(all(1).features.single_sex_unit, SexPreference::kFemale);
  EXPECT_EQ(all(2).weekly_rate_pence, 78050);
  EXPECT_EQ(all(3).status_since, "2026-11-22");  // blank: the day of the import
  const auto before = Counts(*store);
  auto again = ImportBedReturn(*store, beds, "2026-11-23");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, 4);
  EXPECT_EQ(Counts(*store), before);
  // Next week's return: bed 1 taken.
  std::string next = beds;
  next.replace(next.find("yes,vacant,2026-11-01"), 21, "yes,occupied,2026-11-20");
  auto third = ImportBedReturn(*store, next, "2026-11-29");
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->updated, 1);
  EXPECT_EQ(LoadBed(store->db(), b1.id)->status, BedStatus::kOccupied);
}

TEST_F(ImportTest, MalformedBedReturnsAreRefused) {
  ASSERT_TRUE(ImportCqcDirectory(*store, Geo(), SmallCqc()).ok());
  const std::string h = kBedHeader;
  const std::string ok_row = "1-900000001,1,nursing,block,T1,1020,,,,vacant,2026-11-01\n";
  ExpectRefused(
      [&] { return ImportBedReturn(*store, h + ok_row + "1-900000001,2,penthouse,block,T1,1,,,,vacant,\n"); },
      "line 3: unknown bed category 'penthouse'");
  ExpectRefused([&] { return ImportBedReturn(*store, h + "1-900000001,2,nursing,block,T1,1020\n"); },
                "line 2: has 6 columns, the header has 11");
  ExpectRefused([&] { return ImportBedReturn(*store, h + ok_row + ok_row); }, "line 3: duplicate bed");
  ExpectRefused(
      [&] {
        return ImportBedReturn(*store, h + "1-900000001,2,nursing,block,T1,1020,,,,vacant,2026-02-30\n");
      },
      "line 2: status_since");
  ExpectRefused([&] { return ImportBedReturn(*store, h + "1-999,2,nursing,block,T1,1020,,,,vacant,\n"); },
                "no provider with CQC location id");
  ExpectRefused(
      [&] { return ImportBedReturn(*store, h + "1-900000003,2,nursing,block,T1,1020,,,,vacant,\n"); },
      "is not a care home");
  ExpectRefused(
      [&] { return ImportBedReturn(*store, h + "1-900000001,2,nursing,block,T1,lots,,,,vacant,\n"); },
      "weekly_rate");
  ExpectRefused(
      [&] { return ImportBedReturn(*store, h + "1-900000001,2,nursing,block,T1,1020,jacuzzi,,,vacant,\n"); },
      "unknown feature 'jacuzzi'");
  ExpectRefused([&] { return ImportBedReturn(*store, h + "1-900000001,2,nursing,block,T1,1020,,,,held,\n"); },
                "status 'held'");
  ExpectRefused([&] { return ImportBedReturn(*store, "room,category\n"); }, "line 1: the header has no");
  ExpectRefused([&] { return ImportBedReturn(*store, h + std::string("1-900000001,\xff\xfe,nursing")); },
                "not UTF-8");
  EXPECT_EQ(*CountLive(store->db(), "bed"), 0);
}

const char* kHomecareHeader =
    "cqc_location_id,zone,band,hours_per_week,available_from,double_up,carer_genders,contract,hourly_rate\n";

TEST_F(ImportTest, HomecareReturnsImportAndAreIdempotent) {
  ASSERT_TRUE(ImportCqcDirectory(*store, Geo(), SmallCqc()).ok());
  const std::string csv = std::string(kHomecareHeader) +
                          "1-900000003,Fenland,morning,20,2026-11-23,yes,female|male,dps,19.50\n"
                          "1-900000003,Fenland,bed,12.5,,no,female,block,18.50\n";
  auto r = ImportHomecareReturn(*store, csv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->created, 2);
  auto caps = LoadHomecareCapacity(store->db());
  ASSERT_EQ(caps->size(), 2u);
  const HomecareCapacity& bed = caps->at(0).band == TimeBand::kBed ? caps->at(0) : caps->at(1);
  EXPECT_DOUBLE_EQ(bed.hours_per_week, 12.5);
  EXPECT_TRUE(bed.female_carers);
  EXPECT_FALSE(bed.male_carers);
  EXPECT_EQ(bed.contract, HomecareContract::kBlock);
  EXPECT_EQ(bed.hourly_rate_pence, 1850);
  const auto before = Counts(*store);
  ASSERT_TRUE(ImportHomecareReturn(*store, csv).ok());
  EXPECT_EQ(Counts(*store), before);
  const std::string h = kHomecareHeader;
  ExpectRefused(
      [&] { return ImportHomecareReturn(*store, h + "1-900000003,Fenland,elevenses,5,,no,,dps,19\n"); },
      "line 2: unknown time band 'elevenses'");
  ExpectRefused([&] { return ImportHomecareReturn(*store, h + "1-900000003,Fenland,tea,-5,,no,,dps,19\n"); },
                "hours_per_week");
  ExpectRefused(
      [&] { return ImportHomecareReturn(*store, csv + "1-900000003,Fenland,morning,1,,no,,dps,19\n"); },
      "line 4: duplicate");
  ExpectRefused(
      [&] { return ImportHomecareReturn(*store, h + "1-900000003,Fenland,tea,5,,perhaps,,dps,19\n"); },
      "double_up");
  ExpectRefused(
      [&] { return ImportHomecareReturn(*store, h + "1-900000003,Fenland,tea,5,someday,no,,dps,19\n"); },
      "available_from");
  ExpectRefused(
      [&] { return ImportHomecareReturn(*store, "cqc_location_id,zone,band,hours,contract,hourly_rate\n"); },
      "unknown column 'hours'");
}

const char* kAnn =
    R"({"nhs_number":"9434765919","name":"Ann Example","date_of_birth":"1941-03-02","gender":"female",
"pathway":"P3","category":"nursing_dementia","needs":["hoist"],"postcode":"PE29 6NT",
"preferred_postcode":"PE27 5AA","max_distance_km":25,"discharge_ready_date":"2026-11-20",
"funding":"la","weekly_budget":950,"infection_status":"negative","notes":"free text"})";

TEST_F(ImportTest, TheIssuesReferralExamplesAreAccepted) {
  std::vector<std::string> ids;
  auto r = ImportReferrals(*store, Geo(), kAnn, "2026-11-22", &ids);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(ids.size(), 1u);
  auto ann = LoadReferral(store->db(), ids[0]);
  ASSERT_TRUE(ann.ok());
  EXPECT_EQ(ann->nhs_number, "9434765919");
  EXPECT_EQ(ann->category, BedCategory::kNursingDementia);
  EXPECT_EQ(ann->needs, std::vector<Need>{Need::kHoist});
  EXPECT_EQ(ann->location_kind, LocationKind::kHospital);
  EXPECT_EQ(ann->hospital_code, Geo().HospitalAt("PE29 6NT")->code);
  EXPECT_EQ(ann->weekly_budget_pence, 95000);
  EXPECT_DOUBLE_EQ(ann->max_distance_km, 25);
  EXPECT_EQ(ann->status, ReferralStatus::kNew);
  EXPECT_EQ(ann->created_date, "2026-11-22");

  const std::string p1 = R"([{"nhs_number":"943 476 5870","name":"Bob Example","date_of_birth":"1938-07-14",
    "pathway":"P1","postcode":"CB2 0QQ","discharge_ready_date":"2026-11-21",
    "homecare":{"calls_per_day":4,"minutes_per_call":30,"bands":["morning","lunch","tea","bed"],
                "double_up":true,"carer_gender":"female"}}])";
  ids.clear();
  auto r2 = ImportReferrals(*store, Geo(), p1, "2026-11-22", &ids);
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  auto bob = LoadReferral(store->db(), ids.at(0));
  EXPECT_EQ(bob->homecare.calls_per_day, 4);
  EXPECT_EQ(bob->homecare.bands.size(), 4u);
  EXPECT_TRUE(bob->homecare.double_up);
  EXPECT_EQ(bob->homecare.carer_gender, SexPreference::kFemale);
  EXPECT_EQ(bob->hospital_code, "RGT01");
  EXPECT_DOUBLE_EQ(bob->homecare.CarerHoursPerWeek(), 28);

  // The JSON written back has the same keys, and the summary has the keys `referral list --json` promises.
  auto j = ReferralToJson(*ann);
  EXPECT_EQ(j["nhs_number"], "9434765919");
  EXPECT_EQ(j["category"], "nursing_dementia");
  EXPECT_EQ(j["weekly_budget"], 950.0);
  auto s = ReferralSummaryJson(*ann, "2026-11-22");
  for (const char* k : {"id", "name", "pathway", "category", "status", "discharge_ready_date"})
    EXPECT_TRUE(s.contains(k)) << k;
  EXPECT_EQ(s["days_past_discharge_ready"], 2);
}

TEST_F(ImportTest, MalformedReferralsAreRefusedWithoutEchoingPersonalData) {
  ASSERT_TRUE(ImportReferrals(*store, Geo(), kAnn, "2026-11-22").ok());
  auto with = [](std::string key, std::string value) {
    std::string s = kAnn;
    const size_t at = s.find("\"" + key + "\":");
    const size_t start = at + key.size() + 3;
    const size_t end = s.find_first_of(",}", s[start] == '"' ? s.find('"', start + 1) : start);
    s.replace(start, end - start, value);
    return s;
  };
  const std::string other_nhs = with("nhs_number", "\"9434765870\"");
  // Bad NHS number: named, but not echoed.
  ExpectRefused(
      [&] { return ImportReferrals(*store, Geo(), with("nhs_number", "\"9434765918\""), "2026-11-22"); },
      "line 1: referral 1: \"nhs_number\": is not a valid NHS number");
  auto r = ImportReferrals(*store, Geo(), with("nhs_number", "\"9434765918\""), "2026-11-22");
  EXPECT_EQ(r.status().message().find("9434765918"), std::string::npos);
  ExpectRefused(
      [&] { return ImportReferrals(*store, Geo(), with("category", "\"penthouse\""), "2026-11-22"); },
      "line 2: referral 1: \"category\": unknown bed category 'penthouse'");
  ExpectRefused(
      [&] { return ImportReferrals(*store, Geo(), with("date_of_birth", "\"1941-02-30\""), "2026-11-22"); },
      "\"date_of_birth\": is not a date");
  ExpectRefused(
      [&] { return ImportReferrals(*store, Geo(), with("discharge_ready_date", "\"soon\""), "2026-11-22"); },
      "line 3: referral 1: \"discharge_ready_date\": 'soon' is not a date");
  ExpectRefused(
      [&] {
        return ImportReferrals(*store, Geo(), "{\"nhs_numbr\":\"9434765870\"," + other_nhs.substr(1),
                               "2026-11-22");
      },
      "\"nhs_numbr\": unknown key");
  ExpectRefused(
      [&] { return ImportReferrals(*store, Geo(), with("max_distance_km", "\"far\""), "2026-11-22"); },
      "\"max_distance_km\": must be a number");
  ExpectRefused([&] { return ImportReferrals(*store, Geo(), with("pathway", "\"P1\""), "2026-11-22"); },
                "\"homecare\": is required for pathway P1");
  // Duplicates: the same person already has an open referral; the same id twice in one file.
  ExpectRefused([&] { return ImportReferrals(*store, Geo(), kAnn, "2026-11-22"); },
                "already has an open referral");
  const std::string twice = "[" + with("nhs_number", "\"9434765870\"").insert(1, "\"id\":\"r-1\",") + "," +
                            with("nhs_number", "\"4010232137\"").insert(1, "\"id\":\"r-1\",") + "]";
  ExpectRefused([&] { return ImportReferrals(*store, Geo(), twice, "2026-11-22"); }, "duplicate id r-1");
  // Not JSON at all, or binary junk.
  ExpectRefused(
      [&] { return ImportReferrals(*store, Geo(), "{\n\"name\": \"Ann\",\n oops }", "2026-11-22"); },
      "line 3: not valid JSON");
  ExpectRefused([&] { return ImportReferrals(*store, Geo(), std::string("\0\1\2", 3), "2026-11-22"); },
                "binary data");
  ExpectRefused([&] { return ImportReferrals(*store, Geo(), "[]", "2026-11-22"); }, "no referrals");
  EXPECT_EQ(*CountLive(store->db(), "referral"), 1);
}

TEST(Parsing, PoundsAndDates) {
  EXPECT_EQ(*ParsePounds("950"), 95000);
  EXPECT_EQ(*ParsePounds("950.5"), 95050);
  EXPECT_EQ(*ParsePounds("£1,020.99"), 102099);
  EXPECT_FALSE(ParsePounds("-5").ok());
  EXPECT_FALSE(ParsePounds("1.234").ok());
  EXPECT_FALSE(ParsePounds("").ok());
  EXPECT_FALSE(ParsePounds("12.").ok());
  EXPECT_EQ(*ParseFlexibleDate("16/11/2015 - 00:00"), "2015-11-16");
  EXPECT_EQ(*ParseFlexibleDate("2015-11-16"), "2015-11-16");
  EXPECT_FALSE(ParseFlexibleDate("31/11/2015").ok());
  EXPECT_FALSE(ParseFlexibleDate("16/11/2015 junk").ok());
}

}  // namespace
}  // namespace berth::core

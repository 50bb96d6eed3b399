// CQC data in the shapes CQC and councils publish it: the API's location records (JSON and CSV), councils'
// own lists keyed by a CQC id with exact coordinates, every rating CQC uses, warnings (not refusals) for
// values Berth does not know in optional fields, and the match saying which position it measured from.
// Fixtures are written by hand, a few rows each, with the awkward values real files carry.
#include <gtest/gtest.h>

#include "berth/core/importers.h"
#include "berth/core/match.h"
#include "berth/core/supply_index.h"
#include "berth/schema/repository.h"
#include "data_fixture.h"

namespace berth::core {
namespace {

using berth::testing::Counts;
using berth::testing::ExpectVerified;
using berth::testing::Geo;
using berth::testing::NewStore;
using berth::testing::TempDir;

// Three locations as the CQC API returns them: one "Inspected but not rated", one carrying a service type
// Berth has never seen beside a known one, one homecare agency with no coordinates.
const char* kApiJson = R"({"locations": [
  {"locationId": "1-111000001", "providerId": "1-222000001", "name": "Willow Court",
   "postalAddressLine1": "1 River Lane", "postalAddressTownCity": "Huntingdon", "postalCode": "PE29 3AA",
   "onspdLatitude": 52.3311, "onspdLongitude": -0.1822, "numberOfBeds": 40,
   "localAuthority": "Cambridgeshire", "region": "East",
   "gacServiceTypes": [{"name": "Nursing homes", "description": "Care home service with nursing"}],
   "specialisms": [{"name": "Dementia"}, {"name": "Caring for adults over 65 yrs"}],
   "currentRatings": {"overall": {"rating": "Inspected but not rated"}},
   "lastInspection": {"date": "2024-03-01"}},
  {"locationId": "1-111000002", "providerId": "1-222000002", "name": "Elm House",
   "postalCode": "PE27 5AA", "onspdLatitude": "52.3240", "onspdLongitude": "-0.0741", "numberOfBeds": "25",
   "localAuthority": "Cambridgeshire", "region": "East",
   "gacServiceTypes": [{"name": "Care home service without nursing"}, {"name": "Floating support pods"}],
   "currentRatings": {"overall": {"rating": "Good"}}},
  {"locationId": "1-111000003", "name": "Fen Home Care", "postalCode": "PE13 1AB",
   "localAuthority": "Cambridgeshire", "region": "East",
   "gacServiceTypes": [{"name": "Domiciliary care service"}],
   "currentRatings": {"overall": {"rating": "Insufficient evidence to rate"}}}
]})";

class CqcFormats : public ::testing::Test {
 protected:
  void SetUp() override { store = NewStore(tmp); }
  Provider Load(const std::string& cqc_id) {
    auto p = FindProviderByCqcId(store->db(), cqc_id);
    EXPECT_TRUE(p.ok() && p->has_value()) << cqc_id;
    return p.ok() && p->has_value() ? **p : Provider{};
  }
  TempDir tmp;
  std::unique_ptr<Store> store;
};

TEST_F(CqcFormats, AnApiExtractWithRatingsThatAreNotRatingsAndAnUnknownServiceTypeImportsWithOneWarning) {
  auto r = ImportCqcDirectory(*store, Geo(), kApiJson);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, "CQC API location records (JSON)");
  EXPECT_EQ(r->created, 3);
  EXPECT_EQ(r->rejected, 0);
  EXPECT_EQ(r->warned, 1);  // only Elm House, for the service type Berth does not know
  for (const auto& l : r->lines) {
    if (l.key.rfind("1-111000002", 0) == 0) {
      ASSERT_EQ(l.warnings.size(), 1u);
      EXPECT_NE(l.warnings[0].find("'Floating support pods' is not one Berth knows"), std::string::npos);
    } else {
      EXPECT_TRUE(l.warnings.empty()) << l.key << ": " << l.warnings.front();
    }
  }
  EXPECT_NE(r->Text().find("format: CQC API location records (JSON)"), std::string::npos) << r->Text();

  const Provider willow = Load("1-111000001");
  EXPECT_EQ(willow.rating, CqcRating::kInspectedButNotRated);
  EXPECT_EQ(RatingWords(willow.rating), "Inspected but not rated");
  EXPECT_EQ(willow.registration, Registration::kNursing);
  EXPECT_EQ(willow.registered_beds, 40);
  EXPECT_EQ(willow.last_inspection, "2024-03-01");
  EXPECT_EQ(willow.address, "1 River Lane, Huntingdon");
  EXPECT_EQ(willow.position, PositionSource::kExact);
  EXPECT_DOUBLE_EQ(*willow.latitude, 52.3311);
  EXPECT_DOUBLE_EQ(*willow.longitude, -0.1822);
  EXPECT_EQ(willow.district, "Huntingdonshire");

  const Provider elm = Load("1-111000002");  // coordinates and beds given as strings
  EXPECT_EQ(elm.registration, Registration::kResidential);
  EXPECT_EQ(elm.registered_beds, 25);
  EXPECT_EQ(elm.position, PositionSource::kExact);
  EXPECT_EQ(elm.rating, CqcRating::kGood);

  const Provider fen = Load("1-111000003");
  EXPECT_EQ(fen.kind, ProviderKind::kHomecareAgency);
  EXPECT_EQ(fen.rating, CqcRating::kInsufficientEvidence);
  EXPECT_EQ(fen.position, PositionSource::kOutcode);  // no coordinates: the postcode district's centre
  ExpectVerified(*store);

  auto again = ImportCqcDirectory(*store, Geo(), kApiJson);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->unchanged, 3);
}

TEST_F(CqcFormats, ACsvFlatteningOfTheApiIsRecognisedByItsColumnNames) {
  const std::string csv =
      "locationId,providerId,name,postalCode,numberOfBeds,onspdLatitude,onspdLongitude,gacServiceTypes,"
      "specialisms,currentRatings.overall.rating,localAuthority,region\n"
      "1-111000004,1-222000004,Oak Lodge,PE29 6NT,31,52.3301,-0.1901,Care home service with nursing|Care "
      "home "
      "service without nursing,Dementia|Whole population,Requires improvement,Cambridgeshire,East\n";
  auto r = ImportCqcDirectory(*store, Geo(), csv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, "CQC API location records (CSV)");
  EXPECT_EQ(r->warned, 0);  // "Whole population" is a CQC specialism Berth knows and does not use
  const Provider oak = Load("1-111000004");
  EXPECT_EQ(oak.registration, Registration::kResidentialNursing);
  EXPECT_EQ(oak.rating, CqcRating::kRequiresImprovement);
  EXPECT_EQ(oak.position, PositionSource::kExact);
  EXPECT_EQ(oak.specialisms, std::vector<Specialism>{Specialism::kDementia});
}

TEST_F(CqcFormats, ACouncilListWithCqcIdsAndCoordinatesImportsWithExactPositions) {
  // A council's open-data list: its own column names and order, longitude before latitude, no council
  // column, and a type in the council's words.
  const std::string csv =
      "name,cqc_id,type,address,postcode,beds,lon,lat\n"
      "Riverside Care Home,1-333000001,Nursing home,\"4 Quay St, Wisbech\",PE13 1AB,28,0.1590,52.6660\n"
      "Hill View,1-333000002,Residential home,5 Hill Rd,PE29 3AA,12,-0.1830,52.3300\n";
  auto r = ImportCqcDirectory(*store, Geo(), csv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->format, "a list of care homes keyed by CQC location id");
  EXPECT_EQ(r->created, 2);
  Provider river = Load("1-333000001");
  EXPECT_EQ(river.position, PositionSource::kExact);
  EXPECT_DOUBLE_EQ(*river.latitude, 52.6660);
  EXPECT_DOUBLE_EQ(*river.longitude, 0.1590);
  EXPECT_EQ(river.registration, Registration::kNursing);
  EXPECT_EQ(river.registered_beds, 28);
  EXPECT_EQ(river.local_authority, "Cambridgeshire");  // from where it is: Fenland, in Cambridgeshire
  EXPECT_EQ(river.district, "Fenland");
  EXPECT_EQ(Load("1-333000002").registration, Registration::kResidential);

  // The same homes in a later directory without coordinates keep their exact positions.
  const std::string directory =
      "CQC Location ID,Name,Postcode,Service types,Local authority\n"
      "1-333000001,Riverside Care Home,PE13 1AB,Nursing homes,Cambridgeshire\n";
  ASSERT_TRUE(ImportCqcDirectory(*store, Geo(), directory).ok());
  river = Load("1-333000001");
  EXPECT_EQ(river.position, PositionSource::kExact);
  EXPECT_DOUBLE_EQ(*river.latitude, 52.6660);
}

TEST_F(CqcFormats, AListWithoutACqcIdColumnSaysSoAndWritesNothing) {
  const auto before = Counts(*store);
  auto r = ImportCqcDirectory(*store, Geo(),
                              "name,type,address,postcode,lon,lat\n"
                              "Riverside Care Home,Nursing home,4 Quay St,PE13 1AB,0.1590,52.6660\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kBadInput);
  EXPECT_NE(r.status().message().find("has no CQC location id column"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(Counts(*store), before);
}

TEST_F(CqcFormats, UnknownOptionalValuesImportTheRowWithoutThemAndWarn) {
  const std::string csv =
      "CQC Location ID,Name,Postcode,Service types,Local authority,Latest rating,Beds,Date of latest check,"
      "Latitude,Longitude\n"
      "1-444000001,Ash House,PE29 3AA,Nursing homes,Cambridgeshire,Superb,about forty,31/02/2015,91.5,0.1\n";
  auto r = ImportCqcDirectory(*store, Geo(), csv);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->created, 1);
  EXPECT_EQ(r->warned, 1);
  ASSERT_EQ(r->lines.size(), 1u);
  const auto& w = r->lines[0].warnings;
  ASSERT_EQ(w.size(), 4u);
  EXPECT_NE(w[0].find("date of latest check '31/02/2015' is not a date"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find("bed count 'about forty'"), std::string::npos) << w[1];
  EXPECT_NE(w[2].find("rating 'Superb' is not one CQC uses"), std::string::npos) << w[2];
  EXPECT_NE(w[3].find("is not a place in the UK"), std::string::npos) << w[3];
  const Provider ash = Load("1-444000001");
  EXPECT_EQ(ash.rating, CqcRating::kUnrated);
  EXPECT_EQ(ash.registered_beds, 0);
  EXPECT_EQ(ash.last_inspection, "");
  EXPECT_EQ(ash.position, PositionSource::kOutcode);
}

TEST_F(CqcFormats, ABrokenRecordInAnApiExtractRefusesTheWholeFile) {
  const auto before = Counts(*store);
  auto r = ImportCqcDirectory(*store, Geo(),
                              R"([{"locationId": "1-555000001", "name": "Good Row", "postalCode": "PE29 3AA",
                                   "gacServiceTypes": [{"name": "Nursing homes"}]},
                                  {"locationId": "RXY12", "name": "Not A CQC Id", "postalCode": "PE29 3AA",
                                   "gacServiceTypes": [{"name": "Nursing homes"}]}])");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2: 'RXY12' is not a CQC location id"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(Counts(*store), before);
  auto bad_json = ImportCqcDirectory(*store, Geo(), "[{\"locationId\": ");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_EQ(bad_json.status().code(), Code::kBadInput);
  EXPECT_EQ(Counts(*store), before);
}

TEST_F(CqcFormats, TheMatchSaysWhetherADistanceIsFromTheHomesOwnPositionOrItsDistrictCentre) {
  ASSERT_TRUE(ImportCqcDirectory(*store, Geo(), kApiJson).ok());
  auto ix = SupplyIndex::Build(store->db(), &Geo());
  ASSERT_TRUE(ix.ok()) << ix.status().ToString();
  int exact = 0, district = 0;
  for (uint32_t i = 0; i < ix->providers().size(); ++i) {
    Candidate c;
    c.provider = i;
    c.distance_km = 2.34;
    const std::string words = DistanceWords(*ix, c);
    if (ix->providers()[i].position == PositionSource::kExact) {
      ++exact;
      EXPECT_EQ(words, "2.3 km from the preferred place (the home's own position)");
    } else {
      ++district;
      EXPECT_EQ(words, "2.3 km from the preferred place (its postcode district's centre)");
    }
  }
  EXPECT_EQ(exact, 2);
  EXPECT_EQ(district, 1);
}

}  // namespace
}  // namespace berth::core

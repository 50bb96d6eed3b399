// Geography without a network and the CSV reader the importers share.
#include <gtest/gtest.h>

#include "berth/core/csv.h"
#include "berth/core/geo.h"
#include "data_fixture.h"

namespace berth::core {
namespace {

using berth::testing::AssetData;
using berth::testing::Geo;

TEST(Postcodes, NormaliseAndOutwardCode) {
  EXPECT_EQ(NormalisePostcode("pe29 6nt"), "PE29 6NT");
  EXPECT_EQ(NormalisePostcode("CB20QQ"), "CB2 0QQ");
  EXPECT_EQ(NormalisePostcode(" SW1A 1AA "), "SW1A 1AA");
  EXPECT_EQ(NormalisePostcode("PE29"), "PE29");
  EXPECT_EQ(NormalisePostcode("not a postcode"), "");
  EXPECT_EQ(NormalisePostcode("12345"), "");
  EXPECT_EQ(OutwardCode("PE3 9GZ"), "PE3");
  EXPECT_EQ(OutwardCode("M33 7HF"), "M33");
}

TEST(Distance, GreatCircleKilometres) {
  // London (Charing Cross) to Cambridge (Great St Mary's): 79.6 km as the crow flies.
  EXPECT_NEAR(DistanceKm({51.5074, -0.1278}, {52.2053, 0.1218}), 79.6, 0.5);
  EXPECT_DOUBLE_EQ(DistanceKm({52.0, 0.0}, {52.0, 0.0}), 0.0);
  // One degree of latitude is 111.2 km on the mean-radius sphere.
  EXPECT_NEAR(DistanceKm({52.0, 0.0}, {53.0, 0.0}), 111.2, 0.1);
}

TEST(Geography, PlacesPostcodesHospitalsAndDistricts) {
  const Geography& g = Geo();
  EXPECT_GT(g.outcode_count(), 2900u);
  auto pe29 = g.Locate("PE29 6NT");
  ASSERT_TRUE(pe29.has_value());
  EXPECT_NEAR(pe29->lat, 52.33, 0.05);
  EXPECT_FALSE(g.Locate("ZZ99 9ZZ").has_value());

  const Hospital* addenbrookes = g.FindHospital("RGT01");
  ASSERT_NE(addenbrookes, nullptr);
  EXPECT_EQ(addenbrookes->name, "Addenbrooke's");
  EXPECT_EQ(addenbrookes->postcode, "CB2 0QQ");
  const Hospital* hinch = g.HospitalAt("PE29 6NT");
  ASSERT_NE(hinch, nullptr);
  EXPECT_EQ(hinch->name, "Hinchingbrooke Hospital");
  const Hospital* pcity = g.HospitalAt("pe3 9gz");
  ASSERT_NE(pcity, nullptr);
  EXPECT_EQ(pcity->name, "Peterborough City Hospital");
  // Addenbrooke's to Hinchingbrooke: 29.3 km as the crow flies.
  EXPECT_NEAR(DistanceKm(addenbrookes->where, hinch->where), 29.3, 0.5);

  const LocalAuthority* cambs = g.FindAuthority("Cambridgeshire");
  ASSERT_NE(cambs, nullptr);
  std::set<std::string> districts;
  for (const auto* d : g.DistrictsOf(*cambs)) districts.insert(d->name);
  EXPECT_EQ(districts, (std::set<std::string>{"Cambridge", "East Cambridgeshire", "Fenland",
                                              "Huntingdonshire", "South Cambridgeshire"}));
  EXPECT_EQ(g.DistrictFor("Cambridgeshire", g.Locate("PE29 6NT")), "Huntingdonshire");
  EXPECT_EQ(g.DistrictFor("Cambridgeshire", g.Locate("PE13 1AA")), "Fenland");
  EXPECT_EQ(g.DistrictFor("Cambridgeshire", g.Locate("CB7 4AA")), "East Cambridgeshire");
  EXPECT_EQ(g.DistrictFor("Peterborough", g.Locate("PE3 9GZ")), "Peterborough");
  EXPECT_TRUE(g.DistrictsOf(*g.FindAuthority("Peterborough")).empty());
}

TEST(Geography, LoadsItsFilesFromAnyDirectory) {
  // A copy of the shipped files in a folder of their own loads exactly as the default geography does.
  berth::testing::TempDir dir;
  for (const char* f : {"postcode_outcodes.csv", "uk_local_authorities.csv", "hospitals_england_2014.csv"})
    berth::testing::WriteFileBytes(dir.Sub(f), berth::testing::ReadFileBytes(AssetData(f)));
  auto g = Geography::Load(dir.path());
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->outcode_count(), Geo().outcode_count());
  EXPECT_EQ(g->hospitals().size(), Geo().hospitals().size());
  EXPECT_GT(g->authorities().size(), 400u);
}

TEST(Geography, MissingFilesAreAClearError) {
  auto g = Geography::Load("/nonexistent/berth-assets");
  EXPECT_EQ(g.status().code(), Code::kNotFound);
  EXPECT_NE(g.status().message().find("postcode_outcodes.csv"), std::string::npos);
}

std::vector<std::vector<std::string>> ReadAll(std::string_view text) {
  CsvReader r(text);
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> f;
  while (true) {
    auto next = r.Next(&f);
    EXPECT_TRUE(next.ok()) << next.status().ToString();
    if (!next.ok() || !*next) break;
    out.push_back(f);
  }
  return out;
}

TEST(Csv, QuotedFieldsWithCommasQuotesAndNewlines) {
  auto rows = ReadAll("a,\"b, c\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",,x\n\nlast");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b, c", "say \"hi\""}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"multi\nline", "", "x"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"last"}));
}

TEST(Csv, ReportsTheLineOfEachRecord) {
  CsvReader r("h\n\"two\nlines\"\nthird\n");
  std::vector<std::string> f;
  ASSERT_TRUE(*r.Next(&f));
  EXPECT_EQ(r.line(), 1);
  ASSERT_TRUE(*r.Next(&f));
  EXPECT_EQ(r.line(), 2);
  ASSERT_TRUE(*r.Next(&f));
  EXPECT_EQ(r.line(), 4);
  EXPECT_FALSE(*r.Next(&f));
}

TEST(Csv, MalformedQuotingIsRefusedWithItsLine) {
  CsvReader a("ok\n\"never closed,\nmore\n");
  std::vector<std::string> f;
  ASSERT_TRUE(*a.Next(&f));
  auto bad = a.Next(&f);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos);
  CsvReader b("x,\"quoted\"junk\n");
  EXPECT_FALSE(b.Next(&f).ok());
  CsvReader c("x,in\"side\n");
  EXPECT_FALSE(c.Next(&f).ok());
}

TEST(Csv, BinaryAndInvalidUtf8AreNotText) {
  EXPECT_TRUE(CheckText("plain, £ and é\n").ok());
  auto nul = CheckText(std::string("a\nb\0c", 5));
  EXPECT_EQ(nul.code(), Code::kBadInput);
  EXPECT_NE(nul.message().find("line 2"), std::string::npos);
  EXPECT_FALSE(CheckText("\xff\xfe").ok());
  EXPECT_FALSE(CheckText("ok \xc3").ok());       // truncated sequence
  EXPECT_FALSE(CheckText("\xed\xa0\x80").ok());  // a surrogate
  EXPECT_FALSE(CheckText("\xc0\xaf").ok());      // overlong
}

}  // namespace
}  // namespace berth::core

// A CSV file dropped on the window (or its path typed) is imported on the capacity board with the same
// importer and the same row report as `berth import`; a file that cannot be read, or a bad row, imports
// nothing.
#include <gtest/gtest.h>

#include <fstream>

#include "berth/schema/repository.h"
#include "window_harness.h"

namespace berth::ui {
namespace {

class ImportWindow : public uitest::WindowHarness {
 protected:
  void SetUp() override {
    WindowHarness::SetUp();
    // The fixture's homecare agency, with the CQC location id its return names.
    auto providers = LoadProviders(store().db());
    ASSERT_TRUE(providers.ok());
    for (Provider p : *providers) {
      if (p.kind != ProviderKind::kHomecareAgency) continue;
      p.cqc_location_id = "1-900000003";
      ASSERT_TRUE(Save(store(), p).ok());
    }
  }
  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = tmp_.Sub(name);
    std::ofstream(path) << text;
    return path;
  }
  int64_t Hours() { return Count("SELECT count(*) FROM homecare_capacity WHERE zone = 'Fenland'"); }
  static constexpr const char* kHeader =
      "cqc_location_id,zone,band,hours_per_week,available_from,double_up,carer_genders,contract,hourly_"
      "rate\n";
};

TEST_F(ImportWindow, ADroppedHomecareReturnIsImportedWithTheCliRowReport) {
  const std::string path =
      WriteFile("hours.csv", std::string(kHeader) +
                                 "1-900000003,Fenland,morning,20,,yes,female|male,dps,19.50\n"
                                 "1-900000003,Fenland,bed,12.5,,no,female,block,18.50\n");
  shell_->DropFiles({path});
  ui_.Frame(*shell_);
  EXPECT_EQ(shell_->current_panel(), PanelId::kCapacity);
  EXPECT_EQ(shell_->workspace().import_path, path);
  EXPECT_EQ(Hours(), 0);  // nothing is imported until the broker says what the file is

  const auto [outbox, audit] = Written();
  Send(cmd::ImportFile{.path = path, .what = "homecare"});
  EXPECT_FALSE(Refused()) << Message();
  EXPECT_EQ(Hours(), 2);
  EXPECT_GT(Written().first, outbox);
  EXPECT_GT(Written().second, audit);
  const std::string& report = shell_->workspace().import_report;
  EXPECT_EQ(report.substr(0, report.find('\n')),
            "homecare return: 2 rows read: 2 created, 0 updated, 0 unchanged, 0 skipped, 0 rejected")
      << report;
  EXPECT_NE(report.find("  line 2: created"), std::string::npos) << report;
  // The board has the new hours.
  int fenland = 0;
  for (const HomecareRowView& r : shell_->workspace().capacity.homecare_rows) fenland += r.zone == "Fenland";
  EXPECT_EQ(fenland, 2);
}

TEST_F(ImportWindow, AFileThatCannotBeReadOrHasABadRowImportsNothing) {
  ExpectRefused(cmd::ImportFile{.path = tmp_.Sub("missing.csv"), .what = "homecare"}, "missing.csv");
  const std::string bad = WriteFile("bad.csv", std::string(kHeader) +
                                                   "1-900000003,Fenland,morning,20,,yes,,dps,19\n"
                                                   "1-900000003,Fenland,elevenses,5,,no,,dps,19\n");
  ExpectRefused(cmd::ImportFile{.path = bad, .what = "homecare"}, "elevenses");
  ExpectRefused(cmd::ImportFile{.path = bad, .what = "spreadsheet"}, "import what");
  EXPECT_EQ(Hours(), 0);
}

}  // namespace
}  // namespace berth::ui

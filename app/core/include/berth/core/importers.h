// Importers for the data brokers receive from outside Berth: the CQC care directory, providers' bed and
// homecare capacity returns (formats in README.md, "Capacity return formats"), and referrals as JSON.
//
// Every import is one transaction, all or nothing. The whole input is checked first; if any row is
// malformed (wrong column count, unknown code, bad date or number, duplicate key, binary junk) the import
// is refused with kBadInput naming each bad line and the problem, and the store is not touched. Rows that
// are well formed but out of scope (a dentist in the CQC directory, a council outside --la) are skipped
// and reported, not refused. Re-importing the same file changes nothing: rows are keyed (CQC location id;
// provider + room; provider + zone + band) and only fields that differ are written.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "berth/core/bulk.h"
#include "berth/core/geo.h"
#include "berth/schema/model.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth::core {

enum class RowOutcome { kCreated, kUpdated, kUnchanged, kSkipped, kRejected };
std::string_view RowOutcomeName(RowOutcome o);

struct ImportLine {
  int64_t line = 0;  // 1-based line in the input where the row starts (JSON: the referral's index)
  std::string key;   // CQC location id, room, zone/band: never personal data
  RowOutcome outcome = RowOutcome::kCreated;
  std::string reason;
  // Values Berth did not know in optional fields: the row was imported without them.
  std::vector<std::string> warnings;
};

struct ImportReport {
  std::string what;    // "CQC directory", "bed return", ...
  std::string format;  // the layout detected, e.g. "CQC API location records (JSON)"; "" when fixed
  int64_t rows = 0;    // data rows read
  int64_t created = 0, updated = 0, unchanged = 0, skipped = 0, rejected = 0;
  int64_t warned = 0;              // rows imported with at least one warning
  std::vector<ImportLine> lines;   // every row's outcome, in input order
  std::vector<std::string> notes;  // file-level remarks (header found, ignored columns)
  // CQC imports: care homes and homecare agencies imported (created, updated or unchanged) per council.
  std::map<std::string, std::pair<int64_t, int64_t>> by_authority;

  void Add(ImportLine l);
  // A one-line summary plus the rows created, updated and rejected (and skipped ones when verbose,
  // otherwise skipped rows grouped by reason).
  std::string Text(bool verbose = false) const;
};

// CQC data in any of the shapes CQC and councils publish it (README.md, "CQC data Berth reads"): the care
// directory (the 2016 layout without a header, or with a header and bed/rating columns), the CQC API's
// location records (JSON as the API returns them, or CSV flattenings of them), and plain lists of care
// homes with a header naming a CQC location id column. Headers are matched by name, ignoring case and
// punctuation; the layout found is named in ImportReport::format. A value Berth does not know in an
// optional field (rating, service type, specialism, bed count, date, position) imports the row without it
// and a warning; a broken row (bad or missing id, no name, duplicate id, bad CSV) refuses the file.
// Positions: the file's latitude/longitude when it has them, else the postcode district's centre
// (Provider::position says which).
struct CqcImportOptions {
  std::string local_authority;  // only rows whose local authority matches (case-insensitive), if set
  std::string region;           // only rows whose region matches, if set
  WritePath write_path = WritePath::kBatch;  // berth/core/bulk.h
};

Result<ImportReport> ImportCqcDirectory(Store& store, const Geography& geo, std::string_view csv,
                                        const CqcImportOptions& options = {});
Result<ImportReport> ImportBedReturn(Store& store, std::string_view csv,
                                     const std::string& today = TodayIsoDate());
Result<ImportReport> ImportHomecareReturn(Store& store, std::string_view csv);

// One JSON referral object, an array of them, or {"referrals": [...]} (see README.md, "Referral JSON").
Result<ImportReport> ImportReferrals(Store& store, const Geography& geo, std::string_view json,
                                     const std::string& today = TodayIsoDate(),
                                     std::vector<std::string>* ids = nullptr);

// Parses pounds ("950", "950.5", "£1,020.00") into pence; kBadInput for anything else or negatives.
Result<int64_t> ParsePounds(std::string_view text);
// "16/11/2015 - 00:00", "16/11/2015" or "2015-11-16" -> "2015-11-16"; kBadInput otherwise.
Result<std::string> ParseFlexibleDate(std::string_view text);

}  // namespace berth::core

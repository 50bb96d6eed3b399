// `berth demo`: a believable brokerage store built from real public data plus synthetic capacity and
// fictional people, deterministic for a given seed and date.
//
//  county  : the real CQC rows for Cambridgeshire and Peterborough; synthetic beds (a block contract with
//            the category mix of a real one: nursing 42%, nursing dementia 7%, residential 34%,
//            residential dementia 16%; block, framework and spot beds; some voids; a couple of homes
//            closed to admissions); homecare hours by zone (district) and time band; a queue of fictional
//            referrals from Addenbrooke's, Hinchingbrooke and Peterborough City hospitals, discharge-ready
//            dates around today, and a couple of hand backs.
//  region  : the same for every real row in the East of England.
//  england : all 7,000 real rows, then synthetic homes and agencies across England up to about 15,000
//            care homes, 450,000 beds and 10,000 homecare agencies, and 1,000 referrals in the queue (the
//            queue bench_match measures).
// People are fictional: names from common-name lists, NHS numbers from the 999 test range (valid
// modulus-11 check digits, never issued to real patients). Real homes keep their real (absent) ratings;
// only synthetic homes get synthetic ratings.
#pragma once

#include <cstdint>
#include <string>

#include "berth/core/bulk.h"
#include "berth/core/geo.h"
#include "berth/schema/model.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth::core {

enum class DemoScale { kCounty, kRegion, kEngland };
Result<DemoScale> ParseDemoScale(std::string_view text);

struct DemoOptions {
  uint64_t seed = 1;
  DemoScale scale = DemoScale::kCounty;
  std::string today = TodayIsoDate();
  std::string cqc_csv_path;                  // default: AssetsDir()/data/care_directory_2016_sample.csv
  WritePath write_path = WritePath::kBatch;  // berth/core/bulk.h
};

struct DemoSummary {
  int64_t care_homes = 0, agencies = 0, real_providers = 0, synthetic_providers = 0;
  int64_t beds = 0, block_beds = 0, voids = 0, capacity_rows = 0;
  double homecare_hours = 0;
  int64_t referrals = 0, placements = 0, offers = 0, handbacks = 0, closed_homes = 0;
  int64_t block_by_category[4] = {0, 0, 0,
                                  0};  // residential, residential dementia, nursing, nursing dementia
  std::string Text() const;
};

// Fills an empty store (kConflict if it already holds providers or referrals), in one transaction (one
// batch on the default write path).
Result<DemoSummary> BuildDemo(Store& store, const Geography& geo, const DemoOptions& options);

// A valid NHS number in the 999 test range from a random 6-digit body (retrying past check digit 10).
std::string TestRangeNhsNumber(uint64_t random);

}  // namespace berth::core

// When a placement takes its bed, or its homecare hours: the one definition of "a live placement", used by
// the device (app/core's workflow and supply index), the sync client and the hub's claim arbitration
// (sync/PROTOCOL.md section 7). It lives in schema/ because the hub may not depend on app/.
//
// A placement takes its bed (or its hours) on every day from `start_date` to `end_date`, both inclusive:
// `end_date` is the last day of care, so the next placement may start the day after. An empty start means
// "since always", an empty end "open-ended". A deleted placement takes nothing, and neither does an ended
// or handed-back placement without an end date (it ended on a day nobody recorded). Otherwise the status
// does not matter: a placement handed back with notice keeps its bed until its last day of care, and a
// planned one takes it from its first. Dates are ISO 'YYYY-MM-DD', so text order is date order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth {

// Whether a placement with this status and end date takes any day at all (deleted rows take none).
bool PlacementTakesDays(std::string_view status, std::string_view end_date);

// Whether two day ranges share a day; '' bounds are unbounded.
bool DayRangesOverlap(std::string_view start_a, std::string_view end_a, std::string_view start_b,
                      std::string_view end_b);

// Whether the range [start, end] contains `day` ('' day: the beginning of time).
bool RangeCoversDay(std::string_view start, std::string_view end, std::string_view day);

// An SQL condition on a `placement` row (unqualified column names) that is true when it takes some day of
// [from, to]. `from_param` and `to_param` are the caller's parameter markers (e.g. "?2"); bind '' for an
// unbounded side. Portable SQL (the hub's PostgreSQL storage can use it too).
std::string PlacementTakesSql(std::string_view from_param, std::string_view to_param);

// Homecare hours a placement takes on a capacity row for the days it covers.
struct HoursSpan {
  std::string start;  // '' since always
  std::string end;    // '' open-ended
  double hours = 0;
};

// The most hours the spans take together on any one day of [from, to] ('' bounds unbounded). Capacity is
// enough for a new package when this plus the package's hours stays within the row's hours per week.
double PeakHours(const std::vector<HoursSpan>& spans, std::string_view from, std::string_view to);

}  // namespace berth

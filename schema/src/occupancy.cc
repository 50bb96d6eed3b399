// Whether a placement takes a bed on given days (occupancy.h): the one rule the store, the hub and the
// matcher use to decide a double booking.

#include "berth/schema/occupancy.h"

#include <algorithm>

namespace berth {

bool PlacementTakesDays(std::string_view status, std::string_view end_date) {
  if (!end_date.empty()) return true;
  return status != "ended" && status != "handed_back";
}

bool DayRangesOverlap(std::string_view start_a, std::string_view end_a, std::string_view start_b,
                      std::string_view end_b) {
  // They share a day unless one ends before the other starts.
  if (!end_a.empty() && !start_b.empty() && end_a < start_b) return false;
  if (!end_b.empty() && !start_a.empty() && end_b < start_a) return false;
  return true;
}

bool RangeCoversDay(std::string_view start, std::string_view end, std::string_view day) {
  const bool started = start.empty() || (!day.empty() && start <= day);
  const bool not_ended = end.empty() || day.empty() || end >= day;
  return started && not_ended;
}

std::string PlacementTakesSql(std::string_view from_param, std::string_view to_param) {
  const std::string from(from_param), to(to_param);
  return "(deleted = 0 AND (end_date <> '' OR (status <> 'ended' AND status <> 'handed_back'))"
         " AND (end_date = '' OR " +
         from + " = '' OR end_date >= " + from + ") AND (start_date = '' OR " + to +
         " = '' OR start_date <= " + to + "))";
}

double PeakHours(const std::vector<HoursSpan>& spans, std::string_view from, std::string_view to) {
  // Usage only rises on a span's first day, so the peak over [from, to] is found on `from` or on one of
  // those first days inside the range.
  std::vector<std::string_view> days = {from};
  for (const HoursSpan& s : spans) {
    if (s.start.empty()) continue;
    if (!from.empty() && s.start < from) continue;
    if (!to.empty() && s.start > to) continue;
    days.push_back(s.start);
  }
  double peak = 0;
  for (std::string_view d : days) {
    double used = 0;
    for (const HoursSpan& s : spans) {
      if (RangeCoversDay(s.start, s.end, d)) used += s.hours;
    }
    peak = std::max(peak, used);
  }
  return peak;
}

}  // namespace berth

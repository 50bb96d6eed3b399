// An independent re-evaluation of the hard rules (over budget is one only with the hard ceiling set), written
// from the raw records (not the supply index and not berth_core's rule code), for the property and acceptance
// tests: given a candidate the matcher proposed, which rule (if any) does it break?
#pragma once

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "berth/core/geo.h"
#include "berth/schema/model.h"
#include "berth/schema/occupancy.h"

namespace berth::testing {

struct Supply {
  std::map<std::string, Provider> providers;
  std::map<std::string, Bed> beds;
  std::map<std::string, HomecareCapacity> capacity;
  std::vector<ProviderAdmissions> admissions;
  std::vector<Placement> placements;
};

inline int64_t Day(const std::string& iso) {
  return DaysFromIsoDate(std::string_view(iso).substr(0, 10));
}

inline std::optional<core::LatLong> PersonAt(const core::Geography& geo, const Referral& r) {
  std::optional<core::LatLong> at;
  if (!r.preferred_postcode.empty()) at = geo.Locate(r.preferred_postcode);
  if (!at && !r.postcode.empty()) at = geo.Locate(r.postcode);
  if (!at && !r.hospital_code.empty()) {
    if (const auto* h = geo.FindHospital(r.hospital_code)) at = h->where;
  }
  return at;
}

// "" when the bed passes every hard rule for the referral, else the broken rule's name.
inline std::string BedViolation(const Supply& s, const core::Geography& geo, const Referral& r,
                                const std::string& bed_id, const std::string& today,
                                const std::string& now_iso, int64_t fnc_pence, int64_t usual_pence,
                                bool hard_budget = false) {
  const auto bit = s.beds.find(bed_id);
  if (bit == s.beds.end()) return "no such bed";
  const Bed& b = bit->second;
  const Provider& p = s.providers.at(b.provider_id);
  if (!r.category) return "referral wants no bed";
  const BedCategory want = *r.category;
  const bool dementia_need = Contains(r.needs, Need::kDementia);
  const bool nursing_need = Contains(r.needs, Need::kNursing);
  bool fits = b.category == want;
  if (!fits && (want == BedCategory::kShortStay || want == BedCategory::kRespite) &&
      b.contract == ContractType::kBlock && b.flexibility_clause) {
    fits = (b.category == BedCategory::kResidential && !dementia_need && !nursing_need) ||
           (b.category == BedCategory::kResidentialDementia && dementia_need && !nursing_need) ||
           (b.category == BedCategory::kNursing && !dementia_need) ||
           (b.category == BedCategory::kNursingDementia && dementia_need);
  }
  if (!fits) return "category";
  const bool nursing_bed = b.category == BedCategory::kNursing || b.category == BedCategory::kNursingDementia;
  if (p.registration == Registration::kUnknown) return "registration";
  if (p.registration == Registration::kResidential && nursing_bed) return "registration";
  const bool dementia_bed =
      b.category == BedCategory::kResidentialDementia || b.category == BedCategory::kNursingDementia;
  if ((dementia_bed || dementia_need) && !Contains(p.specialisms, Specialism::kDementia)) return "specialism";
  if ((b.category == BedCategory::kLearningDisability || Contains(r.needs, Need::kLearningDisability)) &&
      !Contains(p.specialisms, Specialism::kLearningDisability))
    return "specialism";
  if ((b.category == BedCategory::kMentalHealth || Contains(r.needs, Need::kMentalHealth)) &&
      !Contains(p.specialisms, Specialism::kMentalHealth))
    return "specialism";
  if (b.category == BedCategory::kYoungPhysicalDisability &&
      !Contains(p.specialisms, Specialism::kPhysicalDisability) &&
      !Contains(p.specialisms, Specialism::kYoungerAdults))
    return "specialism";
  for (const auto& a : s.admissions) {
    if (a.provider_id == p.id && a.status == AdmissionsStatus::kClosed &&
        (!a.category || *a.category == b.category)) {
      return "admissions_closed";
    }
  }
  const bool infectious =
      r.infection_status == InfectionStatus::kPositive || r.infection_status == InfectionStatus::kContact;
  if (infectious && !b.features.en_suite) return "infection";
  if (Contains(r.needs, Need::kBariatric) && !b.features.bariatric) return "room_bariatric";
  if (Contains(r.needs, Need::kHoist) && !b.features.hoist) return "room_hoist";
  if (Contains(r.needs, Need::kGroundFloor) && !b.features.ground_floor) return "room_ground_floor";
  if (Contains(r.needs, Need::kEnSuite) && !b.features.en_suite) return "room_en_suite";
  if (b.features.single_sex_unit == SexPreference::kFemale && r.gender != Gender::kFemale)
    return "single_sex_unit";
  if (b.features.single_sex_unit == SexPreference::kMale && r.gender != Gender::kMale)
    return "single_sex_unit";
  const int64_t t = Day(today);
  const int64_t needed = IsIsoDate(r.discharge_ready_date) ? std::max(t, Day(r.discharge_ready_date)) : t;
  int64_t from = -1;
  if (b.status == BedStatus::kVacant) from = t;
  if (b.status == BedStatus::kHeld) {
    if (b.held_for_referral_id == r.id || (!b.held_until.empty() && b.held_until <= now_iso)) {
      from = t;
    } else if (!b.held_until.empty()) {
      from = std::max(t, Day(b.held_until));
    }
  }
  // Placements take the bed from their first to their last day (berth/schema/occupancy.h): it is free
  // from the day after the last day any of them takes, never while one is open-ended.
  bool placed = false, open_ended = false;
  int64_t free_from = 0;
  for (const auto& pl : s.placements) {
    if (pl.bed_id != b.id || !PlacementTakesDays(ToString(pl.status), pl.end_date)) continue;
    placed = true;
    if (pl.end_date.empty()) {
      open_ended = true;
    } else {
      free_from = std::max(free_from, Day(pl.end_date) + 1);
    }
  }
  if (b.status == BedStatus::kOccupied && placed && !open_ended &&
      (b.status_since.empty() || Day(b.status_since) < free_from)) {
    from = std::max(t, free_from);
  }
  if (placed && from >= 0) from = open_ended ? -1 : std::max(from, free_from);
  if (from < 0 || from > needed) return "not_available";
  const bool council_block = b.contract == ContractType::kBlock && r.funding != Funding::kSelfFunder;
  if (!council_block && r.funding != Funding::kChc && r.funding != Funding::kSelfFunder) {
    int64_t limit = r.weekly_budget_pence > 0 ? r.weekly_budget_pence : usual_pence;
    if (r.funding == Funding::kFnc && nursing_bed) limit += fnc_pence;
    if (hard_budget && b.weekly_rate_pence > limit) return "over_budget";
  }
  if (r.max_distance_km > 0) {
    const auto at = PersonAt(geo, r);
    if (at) {
      if (!p.latitude || !p.longitude) return "distance_unknown";
      const double km = core::DistanceKm(*at, core::LatLong{*p.latitude, *p.longitude});
      if (km > r.max_distance_km) return "too_far";
    }
  }
  return "";
}

// "" when the named capacity rows give the referral's homecare within the rules.
struct BandUse {
  std::string band;
  std::string capacity_id;
  double hours = 0;
};
inline std::string HomecareViolation(const Supply& s, const Referral& r, const std::string& provider_id,
                                     const std::string& zone, const std::vector<BandUse>& uses,
                                     const std::string& today, int64_t usual_hourly_pence,
                                     bool hard_budget = false) {
  if (r.homecare.empty()) return "referral wants no homecare";
  for (const auto& a : s.admissions) {
    if (a.provider_id == provider_id && a.status == AdmissionsStatus::kClosed && !a.category)
      return "admissions_closed";
  }
  if (uses.size() != r.homecare.bands.size()) return "band count";
  const double per_band = r.homecare.CarerHoursPerWeek() / static_cast<double>(r.homecare.bands.size());
  const int64_t t = Day(today);
  const int64_t needed = IsIsoDate(r.discharge_ready_date) ? std::max(t, Day(r.discharge_ready_date)) : t;
  int64_t cost = 0;
  bool all_block = true;
  for (TimeBand band : r.homecare.bands) {
    const BandUse* use = nullptr;
    for (const auto& u : uses) {
      if (u.band == ToString(band)) use = &u;
    }
    if (!use) return "band missing";
    const auto it = s.capacity.find(use->capacity_id);
    if (it == s.capacity.end()) return "no such capacity";
    const HomecareCapacity& c = it->second;
    if (c.provider_id != provider_id) return "other provider's capacity";
    if (c.zone != zone) return "zone";
    if (c.band != band) return "band";
    std::vector<HoursSpan> spans;
    for (const auto& pl : s.placements) {
      if (pl.homecare_capacity_id == c.id && PlacementTakesDays(ToString(pl.status), pl.end_date))
        spans.push_back({pl.start_date, pl.end_date, pl.hours_per_week});
    }
    const double allocated = PeakHours(spans, IsoDateFromDays(needed), "");
    if (c.hours_per_week - allocated + 1e-9 < per_band) return "band_hours";
    if (std::fabs(use->hours - per_band) > 1e-6) return "hours";
    if (r.homecare.double_up && !c.double_up) return "double_up";
    if (r.homecare.carer_gender == SexPreference::kFemale && !c.female_carers) return "carer_gender";
    if (r.homecare.carer_gender == SexPreference::kMale && !c.male_carers) return "carer_gender";
    if (!c.available_from.empty() && Day(c.available_from) > needed) return "homecare_start";
    cost += std::llround(per_band * static_cast<double>(c.hourly_rate_pence));
    all_block = all_block && c.contract == HomecareContract::kBlock;
  }
  if ((!all_block || r.funding == Funding::kSelfFunder) && r.funding != Funding::kChc &&
      r.funding != Funding::kSelfFunder) {
    const int64_t usual =
        std::llround(r.homecare.CarerHoursPerWeek() * static_cast<double>(usual_hourly_pence));
    const int64_t limit = r.weekly_budget_pence > 0 ? r.weekly_budget_pence : usual;
    if (hard_budget && cost > limit) return "over_budget";
  }
  return "";
}

}  // namespace berth::testing

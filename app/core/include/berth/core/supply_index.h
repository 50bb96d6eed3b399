// The in-memory index of supply that matching reads: providers (placed on a coarse lat/long grid), the
// beds that are or will become available, and homecare capacity by zone and band with the hours already
// allocated. Built once from the store, then kept current one changed record at a time (Refresh), so an
// edit costs a row load, not a rebuild.
//
// Time is part of the state: a placement takes its bed or hours for the days it covers (the rule of
// berth/schema/occupancy.h, applied here to day numbers), so a bed handed back with notice is supply from
// the day after its last day of care, and homecare hours are free day by day.
//
// What counts as bed supply (the "pool"): vacant, held, or unavailable beds, and occupied beds whose
// placements all end (a known day they are free from). Occupied beds with an open-ended placement, or
// occupied outside Berth, are not supply and are not kept. Every slot is plain data in contiguous
// vectors; ids are mapped to slot numbers.
//
// The index also keeps what each person's providers said and did, which matching needs: offers (declined
// ones exclude the provider or bed for that person) and hand backs (the handing-back provider is excluded,
// and the person is needed from the day after care ends).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "berth/core/geo.h"
#include "berth/schema/db.h"
#include "berth/schema/model.h"
#include "berth/schema/status.h"

namespace berth::core {

inline constexpr int32_t kNoDay = std::numeric_limits<int32_t>::max();
inline constexpr uint32_t kNoSlot = std::numeric_limits<uint32_t>::max();

struct ProviderSlot {
  std::string id;
  std::string name;
  ProviderKind kind = ProviderKind::kCareHome;
  bool located = false;
  LatLong where;
  PositionSource position = PositionSource::kNone;  // exact (from the import) or a district's centre
  Registration registration = Registration::kUnknown;
  uint32_t specialisms = 0;  // bit i: Specialism i
  CqcRating rating = CqcRating::kUnrated;
  bool closed_all = false;         // closed to every category
  uint32_t closed_mask = 0;        // bit i: closed to BedCategory i
  bool live = false;               // false once deleted (slots are never reused)
  std::vector<uint32_t> beds;      // pool bed slots
  std::vector<uint32_t> capacity;  // live homecare capacity slots
  int64_t cell = 0;

  bool Has(Specialism s) const { return (specialisms >> static_cast<unsigned>(s)) & 1u; }
  bool ClosedTo(BedCategory c) const {
    return closed_all || ((closed_mask >> static_cast<unsigned>(c)) & 1u);
  }
};

// The index's copy of a Bed (berth/schema/model.h): the provider as a slot number and dates as day numbers,
// so matching compares integers. Its fields mirror Bed's on purpose; Refresh keeps them equal.
struct BedSlot {
  std::string id;
  uint32_t provider = kNoSlot;
  std::string room;
  BedCategory category = BedCategory::kResidential;
  ContractType contract = ContractType::kSpot;
  BlockTier tier = BlockTier::kNone;
  int64_t weekly_rate_pence = 0;
  BedFeatures features;
  bool flexibility_clause = false;
  BedStatus status = BedStatus::kVacant;
  int32_t status_since_day = kNoDay;  // days since epoch; kNoDay when unknown
  std::string held_for;
  std::string held_until;  // ISO instant
  UnavailableReason unavailable_reason = UnavailableReason::kNone;
  bool has_placements = false;     // placements in Berth take (or took) it
  int32_t free_from_day = kNoDay;  // has_placements: the day after the last day they take (kNoDay: never,
                                   // an open-ended placement)
  bool live = false;               // in the pool
};

// Homecare hours one placement takes on a capacity row, for the days it covers.
struct HoursTaken {
  int32_t first_day = std::numeric_limits<int32_t>::min();  // min: since always
  int32_t last_day = kNoDay;                                // kNoDay: open-ended
  double hours = 0;
};

struct CapacitySlot {
  std::string id;
  uint32_t provider = kNoSlot;
  uint32_t zone = kNoSlot;
  TimeBand band = TimeBand::kMorning;
  double hours_per_week = 0;
  std::vector<HoursTaken> taken;        // the placements on this row
  int32_t available_from_day = kNoDay;  // kNoDay: from now
  bool double_up = false;
  bool female_carers = true;
  bool male_carers = true;
  HomecareContract contract = HomecareContract::kDps;
  int64_t hourly_rate_pence = 0;
  bool live = false;

  // The most hours the placements take on any one day from `day` on (what a new open-ended package
  // starting that day must fit beside), and the hours left for it.
  double TakenFrom(int32_t day) const;
  double RemainingFrom(int32_t day) const { return hours_per_week - TakenFrom(day); }
  // Hours left on every day, however far ahead or back.
  double Remaining() const { return RemainingFrom(std::numeric_limits<int32_t>::min()); }
};

// An offer of a person's package to a provider, and its answer.
struct OfferNote {
  std::string id;
  uint32_t provider = kNoSlot;
  std::string bed_id;  // an offer of one bed ('' the provider's any)
  OfferStatus status = OfferStatus::kPending;
  DeclineReason decline_reason = DeclineReason::kNone;
  std::string sent_at;
  std::string respond_by;
};

// A provider's hand back of a person's care.
struct HandbackNote {
  std::string id;
  uint32_t provider = kNoSlot;
  HandbackReason reason = HandbackReason::kNone;
  HandbackStatus status = HandbackStatus::kOpen;
  std::string notice_date;
  std::string end_date;  // the last day of care
};

struct PersonNotes {
  std::vector<OfferNote> offers;
  std::vector<HandbackNote> handbacks;
};

struct ZoneSlot {
  std::string name;
  std::optional<LatLong> centre;
  std::vector<uint32_t> providers;  // providers with live capacity here (may hold stale entries: check)
  int64_t live_rows = 0;            // a zone with no live capacity is nobody's zone
};

class SupplyIndex {
 public:
  // Reads every provider, admissions row, bed, capacity row and live placement. `geo` (may be null) places
  // zones (by council/district name or outward code) so a person's zone can be found.
  static Result<SupplyIndex> Build(Db& db, const Geography* geo);

  // Re-reads one row of `table` (provider, provider_admissions, bed, homecare_capacity, placement, offer,
  // handback) and updates the index; a row that is gone or tombstoned is removed. Other tables are ignored.
  Status Refresh(Db& db, std::string_view table, const std::string& id);

  // Applying records directly (what Refresh does after loading).
  void ApplyProvider(const Provider& p);
  void ApplyAdmissions(const ProviderAdmissions& a);
  void ApplyBed(const Bed& b);
  void ApplyCapacity(const HomecareCapacity& c);
  void ApplyPlacement(Db* db, const Placement& p);
  void ApplyOffer(const Offer& o);
  void ApplyHandback(const Handback& h);
  void RemoveRow(Db* db, std::string_view table, const std::string& id);

  // Providers whose grid cells come within `radius_km` of `where` (a superset: callers check distance).
  template <class F>
  void ForEachProviderNear(LatLong where, double radius_km, F&& f) const;
  // Placed providers within `radius_km` (great circle, exactly as DistanceKm decides) of `where` that have
  // pool beds (`beds`) or live capacity rows (`homecare`): f(provider slot). Reads only the grid and a
  // byte per provider until a provider qualifies, and computes the great-circle distance only for the
  // few providers near the edge of the circle.
  template <class F>
  void ForEachSupplierWithin(LatLong where, double radius_km, bool beds, bool homecare, F&& f) const;
  // The provider has live capacity rows (its `capacity` list is not empty), read without touching its slot.
  bool HasCapacity(uint32_t p) const { return (supply_[p] & kHasCapacity) != 0; }
  // Providers that cannot be placed on the map (always candidates; distance unknown).
  const std::vector<uint32_t>& unlocated() const { return unlocated_; }

  // The zone of a place: the zone whose centre is nearest (kNoSlot when no zone is placed).
  uint32_t NearestZone(LatLong where) const;
  uint32_t FindZone(const std::string& name) const;

  const std::vector<ProviderSlot>& providers() const { return providers_; }
  const std::vector<BedSlot>& beds() const { return beds_; }
  const std::vector<CapacitySlot>& capacity() const { return capacity_; }
  const std::vector<ZoneSlot>& zones() const { return zones_; }
  uint32_t FindProvider(const std::string& id) const;
  uint32_t FindBed(const std::string& id) const;
  uint32_t FindCapacity(const std::string& id) const;
  // Providers that have cared for this person before (placements not handed back).
  const std::vector<uint32_t>* PreviousProviders(const std::string& referral_id) const;
  // The person's offers and hand backs (nullptr when there are none).
  const PersonNotes* Notes(const std::string& referral_id) const;
  size_t pool_beds() const;

 private:
  struct PlacementRef {
    std::string bed_id;
    std::string capacity_id;
    std::string referral_id;
    uint32_t provider = kNoSlot;
    HoursTaken days;  // the days it takes (and its hours)
    bool takes = false;
    bool continuity = false;
  };
  struct GridEntry {
    uint32_t provider = kNoSlot;
    LatLong where;
    double cos_lat = 1;  // cos(where.lat), for the distance bounds
  };
  static constexpr uint8_t kHasBeds = 1, kHasCapacity = 2;
  uint32_t ProviderSlotFor(const std::string& id);
  void NoteSupply(uint32_t p);  // refreshes supply_[p] from the provider's bed and capacity lists
  uint32_t ZoneFor(const std::string& name);
  void Place(uint32_t p);
  void Unplace(uint32_t p);
  void RecomputeClosures(uint32_t p);
  void UnapplyPlacement(const std::string& id);
  void RecomputeTaken(const std::string& capacity_id);
  void RemoveNote(std::string_view table, const std::string& id);
  static int64_t CellOf(LatLong where);
  // Calls f(const GridEntry&) for every entry in the grid cells that cover the circle (a superset of it).
  template <class F>
  void ForEachGridEntryNear(LatLong where, double radius_km, F&& f) const;

  const Geography* geo_ = nullptr;
  std::vector<ProviderSlot> providers_;
  std::vector<BedSlot> beds_;
  std::vector<CapacitySlot> capacity_;
  std::vector<ZoneSlot> zones_;
  std::unordered_map<std::string, uint32_t> provider_ids_, bed_ids_, capacity_ids_, zone_ids_;
  std::unordered_map<int64_t, std::vector<GridEntry>> grid_;
  std::vector<uint8_t> supply_;  // per provider slot: kHasBeds | kHasCapacity (lists not empty)
  std::vector<uint32_t> unlocated_;
  // provider slot -> its admissions rows (category or "" -> closed?)
  std::unordered_map<uint32_t, std::map<std::string, bool>> closures_;
  std::unordered_map<std::string, PlacementRef> placements_;
  // capacity row id -> the placements naming it, so a capacity row's hours taken come from its own
  // placements (not by scanning every placement: that made Build quadratic at England scale).
  std::unordered_map<std::string, std::vector<std::string>> capacity_placements_;
  std::unordered_map<std::string, std::vector<std::string>> bed_placements_;  // bed id -> placements
  std::unordered_map<std::string, std::vector<uint32_t>> previous_;           // referral id -> providers
  std::unordered_map<std::string, PersonNotes> notes_;       // referral id -> offers, hand backs
  std::unordered_map<std::string, std::string> note_owner_;  // offer / hand back id -> referral
};

// --- template ---
inline constexpr double kCellDegrees = 0.25;

template <class F>
void SupplyIndex::ForEachGridEntryNear(LatLong where, double radius_km, F&& f) const {
  // 1 degree of latitude is ~111 km; a degree of longitude shrinks with cos(lat) (>= 0.5 in England).
  const double dlat = radius_km / 111.0 + kCellDegrees;
  const double dlon = radius_km / (111.0 * 0.5) + kCellDegrees;
  const auto lat0 = static_cast<int64_t>(std::floor((where.lat - dlat) / kCellDegrees));
  const auto lat1 = static_cast<int64_t>(std::floor((where.lat + dlat) / kCellDegrees));
  const auto lon0 = static_cast<int64_t>(std::floor((where.lon - dlon) / kCellDegrees));
  const auto lon1 = static_cast<int64_t>(std::floor((where.lon + dlon) / kCellDegrees));
  for (int64_t a = lat0; a <= lat1; ++a) {
    for (int64_t o = lon0; o <= lon1; ++o) {
      auto it = grid_.find(a * 100000 + o);
      if (it == grid_.end()) continue;
      for (const GridEntry& e : it->second) f(e);
    }
  }
}

template <class F>
void SupplyIndex::ForEachProviderNear(LatLong where, double radius_km, F&& f) const {
  ForEachGridEntryNear(where, radius_km, [&](const GridEntry& e) { f(e.provider); });
}

template <class F>
void SupplyIndex::ForEachSupplierWithin(LatLong where, double radius_km, bool beds, bool homecare,
                                        F&& f) const {
  const uint8_t wanted = (beds ? kHasBeds : 0) | (homecare ? kHasCapacity : 0);
  if (wanted == 0) return;
  // Haversine: distance <= r exactly when h = sin^2(dlat/2) + cos(lat1) cos(lat2) sin^2(dlon/2) <=
  // sin^2(r/2R). sin t lies in [t - t^3/6, t] for t >= 0, which bounds h from both sides without a sine; only
  // a provider whose bounds straddle the limit (within a relative 1e-6) needs DistanceKm itself.
  constexpr double kPi = 3.14159265358979323846, kRad = kPi / 180.0, kEarthRadiusKm = 6371.0088;
  const double half_angle = std::min(radius_km / (2 * kEarthRadiusKm), kPi / 2);
  const double limit = std::sin(half_angle) * std::sin(half_angle);
  const double cos_here = std::cos(where.lat * kRad);
  ForEachGridEntryNear(where, radius_km, [&](const GridEntry& e) {
    if ((supply_[e.provider] & wanted) == 0) return;
    const double x = std::abs(e.where.lat - where.lat) * kRad / 2;
    const double y = std::abs(e.where.lon - where.lon) * kRad / 2;
    const double cc = cos_here * e.cos_lat;
    const double lx = std::max(0.0, x - x * x * x / 6), ly = std::max(0.0, y - y * y * y / 6);
    if (lx * lx + cc * ly * ly > limit * (1 + 1e-6)) return;  // surely beyond
    if (x * x + cc * y * y < limit * (1 - 1e-6) || DistanceKm(where, e.where) <= radius_km) f(e.provider);
  });
}

}  // namespace berth::core

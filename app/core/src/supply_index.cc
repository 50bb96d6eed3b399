// The supply index (supply_index.h): beds, homecare capacity and placements loaded once from the store
// and indexed by day, so the matcher and the plan answer in milliseconds.

#include "berth/core/supply_index.h"

#include <algorithm>
#include <cmath>

#include "berth/schema/occupancy.h"
#include "berth/schema/repository.h"

namespace berth::core {
namespace {

int32_t DayOf(const std::string& iso) {
  if (iso.size() < 10) return kNoDay;
  const std::string_view date(iso.data(), 10);
  if (!IsIsoDate(date)) return kNoDay;
  return static_cast<int32_t>(DaysFromIsoDate(date));
}

// Placements are loaded with a narrow query: the index needs only these columns, and the repository
// has no single-row placement load.
Result<std::vector<Placement>> QueryPlacements(Db& db, const std::string* id) {
  BERTH_ASSIGN_OR_RETURN(
      Statement q,
      db.Prepare(
          std::string("SELECT id, referral_id, provider_id, kind, bed_id, homecare_capacity_id,"
                      " hours_per_week, end_date, status, start_date FROM placement WHERE deleted = 0") +
          (id ? " AND id = ?" : "")));
  if (id) q.Bind(1, *id);
  std::vector<Placement> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    Placement p;
    p.id = q.Text(0);
    p.referral_id = q.Text(1);
    p.provider_id = q.Text(2);
    BERTH_ASSIGN_OR_RETURN(p.kind, FromString<PlacementKind>(q.Text(3)));
    p.bed_id = q.Text(4);
    p.homecare_capacity_id = q.Text(5);
    p.hours_per_week = q.Real(6);
    p.end_date = q.Text(7);
    BERTH_ASSIGN_OR_RETURN(p.status, FromString<PlacementStatus>(q.Text(8)));
    p.start_date = q.Text(9);
    out.push_back(std::move(p));
  }
  return out;
}

Result<std::vector<ProviderAdmissions>> QueryAdmission(Db& db, const std::string& id) {
  BERTH_ASSIGN_OR_RETURN(Statement q,
                         db.Prepare("SELECT provider_id, category, status FROM provider_admissions"
                                    " WHERE deleted = 0 AND id = ?"));
  q.Bind(1, id);
  std::vector<ProviderAdmissions> out;
  BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
  if (row) {
    ProviderAdmissions a;
    a.id = id;
    a.provider_id = q.Text(0);
    if (!q.Text(1).empty()) {
      BERTH_ASSIGN_OR_RETURN(BedCategory c, FromString<BedCategory>(q.Text(1)));
      a.category = c;
    }
    BERTH_ASSIGN_OR_RETURN(a.status, FromString<AdmissionsStatus>(q.Text(2)));
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

double CapacitySlot::TakenFrom(int32_t day) const {
  // Usage rises only on a placement's first day: the peak from `day` on is on `day` or on one of those.
  auto used_on = [&](int32_t d) {
    double sum = 0;
    for (const HoursTaken& t : taken) {
      if (t.first_day <= d && t.last_day >= d) sum += t.hours;
    }
    return sum;
  };
  double peak = used_on(day);
  for (const HoursTaken& t : taken) {
    if (t.first_day > day) peak = std::max(peak, used_on(t.first_day));
  }
  return peak;
}

int64_t SupplyIndex::CellOf(LatLong where) {
  const auto a = static_cast<int64_t>(std::floor(where.lat / kCellDegrees));
  const auto o = static_cast<int64_t>(std::floor(where.lon / kCellDegrees));
  return a * 100000 + o;
}

Result<SupplyIndex> SupplyIndex::Build(Db& db, const Geography* geo) {
  SupplyIndex ix;
  ix.geo_ = geo;
  BERTH_ASSIGN_OR_RETURN(auto providers, LoadProviders(db));
  ix.providers_.reserve(providers.size());
  for (const auto& p : providers) ix.ApplyProvider(p);
  BERTH_ASSIGN_OR_RETURN(auto admissions, LoadAdmissions(db));
  for (const auto& a : admissions) ix.ApplyAdmissions(a);
  // Placements first: they give occupied beds their vacancy dates and capacity rows their allocations.
  BERTH_ASSIGN_OR_RETURN(auto placements, QueryPlacements(db, nullptr));
  for (const auto& p : placements) ix.ApplyPlacement(nullptr, p);
  BERTH_ASSIGN_OR_RETURN(auto beds, LoadBeds(db));
  for (const auto& b : beds) ix.ApplyBed(b);
  BERTH_ASSIGN_OR_RETURN(auto capacity, LoadHomecareCapacity(db));
  for (const auto& c : capacity) ix.ApplyCapacity(c);
  BERTH_ASSIGN_OR_RETURN(auto offers, LoadOffers(db));
  for (const auto& o : offers) ix.ApplyOffer(o);
  BERTH_ASSIGN_OR_RETURN(auto handbacks, LoadHandbacks(db));
  for (const auto& h : handbacks) ix.ApplyHandback(h);
  return ix;
}

uint32_t SupplyIndex::ProviderSlotFor(const std::string& id) {
  auto [it, added] = provider_ids_.try_emplace(id, static_cast<uint32_t>(providers_.size()));
  if (added) {
    providers_.emplace_back();
    providers_.back().id = id;
    supply_.push_back(0);
  }
  return it->second;
}

void SupplyIndex::NoteSupply(uint32_t p) {
  const ProviderSlot& s = providers_[p];
  supply_[p] =
      static_cast<uint8_t>((s.beds.empty() ? 0 : kHasBeds) | (s.capacity.empty() ? 0 : kHasCapacity));
}

uint32_t SupplyIndex::ZoneFor(const std::string& name) {
  auto [it, added] = zone_ids_.try_emplace(name, static_cast<uint32_t>(zones_.size()));
  if (added) {
    ZoneSlot z;
    z.name = name;
    if (geo_) {
      if (const LocalAuthority* la = geo_->FindAuthority(name); la && la->centre) {
        z.centre = la->centre;
      } else {
        z.centre = geo_->Locate(name);
      }
    }
    zones_.push_back(std::move(z));
  }
  return it->second;
}

void SupplyIndex::Unplace(uint32_t p) {
  ProviderSlot& s = providers_[p];
  if (s.located) {
    auto it = grid_.find(s.cell);
    if (it != grid_.end()) {
      auto& v = it->second;
      v.erase(std::remove_if(v.begin(), v.end(), [p](const GridEntry& e) { return e.provider == p; }),
              v.end());
    }
  } else {
    unlocated_.erase(std::remove(unlocated_.begin(), unlocated_.end(), p), unlocated_.end());
  }
}

void SupplyIndex::Place(uint32_t p) {
  ProviderSlot& s = providers_[p];
  if (!s.live) return;
  if (s.located) {
    s.cell = CellOf(s.where);
    grid_[s.cell].push_back({p, s.where, std::cos(s.where.lat * M_PI / 180.0)});
  } else {
    unlocated_.push_back(p);
  }
}

void SupplyIndex::ApplyProvider(const Provider& r) {
  const uint32_t p = ProviderSlotFor(r.id);
  ProviderSlot& s = providers_[p];
  if (s.live) Unplace(p);
  s.name = r.name;
  s.kind = r.kind;
  s.located = r.latitude && r.longitude;
  s.where = s.located ? LatLong{*r.latitude, *r.longitude} : LatLong{};
  s.position = s.located ? r.position : PositionSource::kNone;
  s.registration = r.registration;
  s.specialisms = 0;
  for (Specialism sp : r.specialisms) s.specialisms |= 1u << static_cast<unsigned>(sp);
  s.rating = r.rating;
  s.live = true;
  Place(p);
}

void SupplyIndex::RecomputeClosures(uint32_t p) {
  ProviderSlot& s = providers_[p];
  s.closed_all = false;
  s.closed_mask = 0;
  for (const auto& [category, closed] : closures_[p]) {
    if (!closed) continue;
    if (category.empty()) {
      s.closed_all = true;
    } else if (auto c = FromString<BedCategory>(category); c.ok()) {
      s.closed_mask |= 1u << static_cast<unsigned>(*c);
    }
  }
}

void SupplyIndex::ApplyAdmissions(const ProviderAdmissions& a) {
  const uint32_t p = ProviderSlotFor(a.provider_id);
  closures_[p][a.category ? std::string(ToString(*a.category)) : std::string()] =
      a.status == AdmissionsStatus::kClosed;
  RecomputeClosures(p);
}

void SupplyIndex::ApplyBed(const Bed& b) {
  auto it = bed_ids_.find(b.id);
  // The day after the last day the bed's placements take it; never while one is open-ended.
  bool has_placements = false;
  int32_t free_from = std::numeric_limits<int32_t>::min();
  if (auto on = bed_placements_.find(b.id); on != bed_placements_.end()) {
    for (const auto& pid : on->second) {
      const PlacementRef& ref = placements_.at(pid);
      if (!ref.takes) continue;
      has_placements = true;
      free_from = ref.days.last_day == kNoDay ? kNoDay : std::max(free_from, ref.days.last_day + 1);
      if (free_from == kNoDay) break;
    }
  }
  if (!has_placements) free_from = kNoDay;
  const bool pool = b.status != BedStatus::kOccupied || (has_placements && free_from != kNoDay);
  if (it == bed_ids_.end()) {
    if (!pool) return;
    it = bed_ids_.emplace(b.id, static_cast<uint32_t>(beds_.size())).first;
    beds_.emplace_back();
  }
  const uint32_t slot = it->second;
  BedSlot& s = beds_[slot];
  const uint32_t provider = ProviderSlotFor(b.provider_id);
  if (s.live && s.provider != provider) {
    auto& v = providers_[s.provider].beds;
    v.erase(std::remove(v.begin(), v.end(), slot), v.end());
    NoteSupply(s.provider);
  }
  const bool was_live = s.live && s.provider == provider;
  s.id = b.id;
  s.provider = provider;
  s.room = b.room;
  s.category = b.category;
  s.contract = b.contract;
  s.tier = b.tier;
  s.weekly_rate_pence = b.weekly_rate_pence;
  s.features = b.features;
  s.flexibility_clause = b.flexibility_clause;
  s.status = b.status;
  s.status_since_day = DayOf(b.status_since);
  s.held_for = b.held_for_referral_id;
  s.held_until = b.held_until;
  s.unavailable_reason = b.unavailable_reason;
  s.has_placements = has_placements;
  s.free_from_day = free_from;
  s.live = pool;
  auto& list = providers_[provider].beds;
  if (pool && !was_live) list.push_back(slot);
  if (!pool && was_live) list.erase(std::remove(list.begin(), list.end(), slot), list.end());
  NoteSupply(provider);
}

void SupplyIndex::ApplyCapacity(const HomecareCapacity& c) {
  auto [it, added] = capacity_ids_.try_emplace(c.id, static_cast<uint32_t>(capacity_.size()));
  if (added) capacity_.emplace_back();
  const uint32_t slot = it->second;
  CapacitySlot& s = capacity_[slot];
  const uint32_t provider = ProviderSlotFor(c.provider_id);
  if (s.live && s.provider != provider) {
    auto& v = providers_[s.provider].capacity;
    v.erase(std::remove(v.begin(), v.end(), slot), v.end());
    NoteSupply(s.provider);
  }
  const bool was_live = s.live && s.provider == provider;
  if (s.live) --zones_[s.zone].live_rows;
  s.id = c.id;
  s.provider = provider;
  s.zone = ZoneFor(c.zone);
  ++zones_[s.zone].live_rows;
  s.band = c.band;
  s.hours_per_week = c.hours_per_week;
  s.available_from_day = c.available_from.empty() ? kNoDay : DayOf(c.available_from);
  s.double_up = c.double_up;
  s.female_carers = c.female_carers;
  s.male_carers = c.male_carers;
  s.contract = c.contract;
  s.hourly_rate_pence = c.hourly_rate_pence;
  s.live = true;
  if (!was_live) providers_[provider].capacity.push_back(slot);
  NoteSupply(provider);
  auto& zp = zones_[s.zone].providers;
  if (std::find(zp.begin(), zp.end(), provider) == zp.end()) zp.push_back(provider);
  RecomputeTaken(c.id);
}

// A capacity row's hours taken come from the placements that name it.
void SupplyIndex::RecomputeTaken(const std::string& capacity_id) {
  auto c = capacity_ids_.find(capacity_id);
  if (c == capacity_ids_.end()) return;
  CapacitySlot& s = capacity_[c->second];
  s.taken.clear();
  if (auto named = capacity_placements_.find(capacity_id); named != capacity_placements_.end()) {
    for (const auto& id : named->second) s.taken.push_back(placements_.at(id).days);
  }
}

void SupplyIndex::UnapplyPlacement(const std::string& id) {
  auto it = placements_.find(id);
  if (it == placements_.end()) return;
  const PlacementRef old = it->second;
  placements_.erase(it);
  auto drop = [&id](std::unordered_map<std::string, std::vector<std::string>>& by, const std::string& key) {
    auto named = by.find(key);
    if (named == by.end()) return;
    auto& v = named->second;
    v.erase(std::remove(v.begin(), v.end(), id), v.end());
    if (v.empty()) by.erase(named);
  };
  if (!old.capacity_id.empty()) {
    drop(capacity_placements_, old.capacity_id);
    RecomputeTaken(old.capacity_id);
  }
  if (!old.bed_id.empty()) drop(bed_placements_, old.bed_id);
  if (old.continuity) {
    auto& v = previous_[old.referral_id];
    auto pos = std::find(v.begin(), v.end(), old.provider);
    if (pos != v.end()) v.erase(pos);
  }
}

void SupplyIndex::ApplyPlacement(Db* db, const Placement& p) {
  UnapplyPlacement(p.id);
  PlacementRef ref;
  ref.bed_id = p.bed_id;
  ref.capacity_id = p.homecare_capacity_id;
  ref.referral_id = p.referral_id;
  ref.provider = p.provider_id.empty() ? kNoSlot : ProviderSlotFor(p.provider_id);
  ref.days.hours = p.hours_per_week;
  ref.days.first_day = p.start_date.empty() ? std::numeric_limits<int32_t>::min() : DayOf(p.start_date);
  ref.days.last_day = p.end_date.empty() ? kNoDay : DayOf(p.end_date);
  ref.takes = PlacementTakesDays(ToString(p.status), p.end_date);
  ref.continuity =
      ref.provider != kNoSlot && !p.referral_id.empty() && p.status != PlacementStatus::kHandedBack;
  if (ref.takes && !ref.capacity_id.empty()) capacity_placements_[ref.capacity_id].push_back(p.id);
  if (ref.takes && !ref.bed_id.empty()) bed_placements_[ref.bed_id].push_back(p.id);
  if (ref.continuity) previous_[ref.referral_id].push_back(ref.provider);
  const std::string bed = ref.bed_id, cap = ref.capacity_id;
  placements_[p.id] = std::move(ref);
  if (!cap.empty()) RecomputeTaken(cap);
  // The bed's pool membership may change with the days its placements take.
  if (db && !bed.empty()) (void)Refresh(*db, "bed", bed);
}

// ApplyOffer and ApplyHandback are alike in shape: each keeps one kind of note on its referral, and the
// two kinds have different fields.
void SupplyIndex::ApplyOffer(const Offer& o) {
  RemoveNote("offer", o.id);
  OfferNote n;
  n.id = o.id;
  n.provider = o.provider_id.empty() ? kNoSlot : ProviderSlotFor(o.provider_id);
  n.bed_id = o.bed_id;
  n.status = o.status;
  n.decline_reason = o.decline_reason;
  n.sent_at = o.sent_at;
  n.respond_by = o.respond_by;
  notes_[o.referral_id].offers.push_back(std::move(n));
  note_owner_["offer/" + o.id] = o.referral_id;
}

void SupplyIndex::ApplyHandback(const Handback& h) {
  RemoveNote("handback", h.id);
  HandbackNote n;
  n.id = h.id;
  n.provider = h.provider_id.empty() ? kNoSlot : ProviderSlotFor(h.provider_id);
  n.reason = h.reason;
  n.status = h.status;
  n.notice_date = h.notice_date;
  n.end_date = h.end_date;
  notes_[h.referral_id].handbacks.push_back(std::move(n));
  note_owner_["handback/" + h.id] = h.referral_id;
}

void SupplyIndex::RemoveNote(std::string_view table, const std::string& id) {
  auto owner = note_owner_.find(std::string(table) + "/" + id);
  if (owner == note_owner_.end()) return;
  auto it = notes_.find(owner->second);
  if (it != notes_.end()) {
    if (table == "offer") {
      std::erase_if(it->second.offers, [&id](const OfferNote& n) { return n.id == id; });
    } else {
      std::erase_if(it->second.handbacks, [&id](const HandbackNote& n) { return n.id == id; });
    }
  }
  note_owner_.erase(owner);
}

void SupplyIndex::RemoveRow(Db* db, std::string_view table, const std::string& id) {
  if (table == "provider") {
    auto it = provider_ids_.find(id);
    if (it == provider_ids_.end()) return;
    ProviderSlot& s = providers_[it->second];
    if (s.live) Unplace(it->second);
    s.live = false;
  } else if (table == "provider_admissions") {
    // The admissions id is provider_id + '/' + category; re-derive the provider from it.
    const auto slash = id.rfind('/');
    const std::string provider = slash == std::string::npos ? id : id.substr(0, slash);
    std::string category = slash == std::string::npos ? "" : id.substr(slash + 1);
    if (category == "all") category.clear();
    auto it = provider_ids_.find(provider);
    if (it == provider_ids_.end()) return;
    closures_[it->second].erase(category);
    RecomputeClosures(it->second);
  } else if (table == "bed") {
    auto it = bed_ids_.find(id);
    if (it == bed_ids_.end()) return;
    BedSlot& s = beds_[it->second];
    if (s.live) {
      auto& v = providers_[s.provider].beds;
      v.erase(std::remove(v.begin(), v.end(), it->second), v.end());
      NoteSupply(s.provider);
    }
    s.live = false;
  } else if (table == "homecare_capacity") {
    auto it = capacity_ids_.find(id);
    if (it == capacity_ids_.end()) return;
    CapacitySlot& s = capacity_[it->second];
    if (s.live) {
      --zones_[s.zone].live_rows;
      auto& v = providers_[s.provider].capacity;
      v.erase(std::remove(v.begin(), v.end(), it->second), v.end());
      NoteSupply(s.provider);
    }
    s.live = false;
  } else if (table == "placement") {
    auto it = placements_.find(id);
    const std::string bed = it == placements_.end() ? "" : it->second.bed_id;
    UnapplyPlacement(id);
    if (db && !bed.empty()) (void)Refresh(*db, "bed", bed);
  } else if (table == "offer" || table == "handback") {
    RemoveNote(table, id);
  }
}

Status SupplyIndex::Refresh(Db& db, std::string_view table, const std::string& id) {
  auto gone = [&](const Status& st) -> Status {
    if (st.code() != Code::kNotFound) return st;
    RemoveRow(&db, table, id);
    return Status::Ok();
  };
  if (table == "provider") {
    auto r = LoadProvider(db, id);
    if (!r.ok()) return gone(r.status());
    ApplyProvider(*r);
  } else if (table == "bed") {
    auto r = LoadBed(db, id);
    if (!r.ok()) return gone(r.status());
    ApplyBed(*r);
  } else if (table == "homecare_capacity") {
    auto r = LoadHomecareCapacityRow(db, id);
    if (!r.ok()) return gone(r.status());
    ApplyCapacity(*r);
  } else if (table == "provider_admissions") {
    BERTH_ASSIGN_OR_RETURN(auto rows, QueryAdmission(db, id));
    if (rows.empty()) return gone(NotFound("gone"));
    ApplyAdmissions(rows.front());
  } else if (table == "placement") {
    BERTH_ASSIGN_OR_RETURN(auto rows, QueryPlacements(db, &id));
    if (rows.empty()) return gone(NotFound("gone"));
    ApplyPlacement(&db, rows.front());
  } else if (table == "offer") {
    auto r = LoadOffer(db, id);
    if (!r.ok()) return gone(r.status());
    ApplyOffer(*r);
  } else if (table == "handback") {
    auto r = LoadHandbacks(db);
    if (!r.ok()) return r.status();
    bool found = false;
    for (const Handback& h : *r) {
      if (h.id != id) continue;
      ApplyHandback(h);
      found = true;
    }
    if (!found) return gone(NotFound("gone"));
  }
  return Status::Ok();
}

uint32_t SupplyIndex::NearestZone(LatLong where) const {
  uint32_t best = kNoSlot;
  double best_km = 0;
  for (uint32_t z = 0; z < zones_.size(); ++z) {
    if (!zones_[z].centre || zones_[z].live_rows <= 0) continue;
    const double km = DistanceKm(where, *zones_[z].centre);
    if (best == kNoSlot || km < best_km || (km == best_km && zones_[z].name < zones_[best].name)) {
      best = z;
      best_km = km;
    }
  }
  return best;
}

uint32_t SupplyIndex::FindZone(const std::string& name) const {
  auto it = zone_ids_.find(name);
  return it == zone_ids_.end() ? kNoSlot : it->second;
}
uint32_t SupplyIndex::FindProvider(const std::string& id) const {
  auto it = provider_ids_.find(id);
  return it == provider_ids_.end() ? kNoSlot : it->second;
}
uint32_t SupplyIndex::FindBed(const std::string& id) const {
  auto it = bed_ids_.find(id);
  return it == bed_ids_.end() ? kNoSlot : it->second;
}
uint32_t SupplyIndex::FindCapacity(const std::string& id) const {
  auto it = capacity_ids_.find(id);
  return it == capacity_ids_.end() ? kNoSlot : it->second;
}
const std::vector<uint32_t>* SupplyIndex::PreviousProviders(const std::string& referral_id) const {
  auto it = previous_.find(referral_id);
  return it == previous_.end() ? nullptr : &it->second;
}
const PersonNotes* SupplyIndex::Notes(const std::string& referral_id) const {
  auto it = notes_.find(referral_id);
  return it == notes_.end() ? nullptr : &it->second;
}
size_t SupplyIndex::pool_beds() const {
  size_t n = 0;
  for (const auto& b : beds_) n += b.live ? 1 : 0;
  return n;
}

}  // namespace berth::core

// The view models (berth/views/view_model.h): what each panel shows and the CLI prints, read from the store
// and core (off the window's UI thread), with no ImGui.

#include "berth/views/view_model.h"

#include "berth/schema/settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <unordered_map>

#include "berth/core/csv.h"
#include "berth/core/match.h"
#include "berth/core/referrals.h"
#include "berth/core/reports.h"
#include "berth/core/workflow.h"
#include "berth/schema/repository.h"
#include "berth/schema/text.h"
#include "berth/sync/client.h"

namespace berth::views {

namespace {

std::string Outcode(const std::string& postcode) {
  const auto space = postcode.find(' ');
  if (space != std::string::npos) return postcode.substr(0, space);
  // Unspaced postcodes: the inward code is always the last three characters.
  return postcode.size() > 3 ? postcode.substr(0, postcode.size() - 3) : postcode;
}

bool DomainTablesExist(Store& store) {
  auto n = store.db().QueryInt("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='referral'");
  return n.ok() && *n > 0;
}

}  // namespace

bool IsOpen(ReferralStatus s) {
  return core::IsOpen(s);
}

void SortByUrgency(std::vector<QueueRow>& rows) {
  // The one queue order (app/core referrals.h); every row shares today, so days past orders as the date.
  auto key = [](const QueueRow& r) {
    core::QueueKey k;
    k.hand_back = r.priority == Priority::kHandBack;
    k.needed_day = -r.days_past;
    k.urgent = r.priority == Priority::kUrgent;
    k.id = r.id;
    return k;
  };
  std::stable_sort(rows.begin(), rows.end(),
                   [&](const QueueRow& a, const QueueRow& b) { return core::QueueBefore(key(a), key(b)); });
}

QueueSearch::QueueSearch(std::string_view text) : name_(AsciiLower(text)) {
  for (char c : text) {
    if (c == ' ') continue;
    needle_ += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    digits_ = digits_ && std::isdigit(static_cast<unsigned char>(c));
  }
}

bool QueueSearch::Matches(const QueueRow& r) const {
  if (needle_.empty()) return true;
  return digits_ ? r.nhs_number.compare(0, needle_.size(), needle_) == 0
                 : r.search_key.find(name_) != std::string::npos;
}

std::vector<int> FilterQueue(const QueueData& data, const QueueFilter& f) {
  const QueueSearch search(f.search);
  std::vector<int> out;
  out.reserve(data.rows.size());
  for (size_t i = 0; i < data.rows.size(); ++i) {
    const QueueRow& r = data.rows[i];
    if (f.status < 0 ? !IsOpen(r.status) : static_cast<int>(r.status) != f.status) continue;
    if (f.pathway >= 0 && static_cast<int>(r.pathway) != f.pathway) continue;
    if (!f.area.empty() && r.area != f.area) continue;
    if (!f.hospital.empty() && r.hospital != f.hospital) continue;
    if (!f.broker.empty() && (f.broker == "(unassigned)" ? !r.broker.empty() : r.broker != f.broker))
      continue;
    if (!search.Matches(r)) continue;
    out.push_back(static_cast<int>(i));
  }
  return out;
}

QueueFacets Facets(const QueueData& data) {
  std::set<std::string> areas, hospitals, brokers;
  for (const auto& r : data.rows) {
    if (!r.area.empty()) areas.insert(r.area);
    hospitals.insert(r.hospital);
    if (!r.broker.empty()) brokers.insert(r.broker);
  }
  return {
      {areas.begin(), areas.end()}, {hospitals.begin(), hospitals.end()}, {brokers.begin(), brokers.end()}};
}

std::string HospitalName(const std::string& code) {
  return core::HospitalName(code);
}

Result<QueueData> LoadQueue(Store& store) {
  QueueData data;
  data.today = TodayIsoDate();
  if (!DomainTablesExist(store)) return data;
  BERTH_ASSIGN_OR_RETURN(std::vector<core::QueueEntry> queue,
                         core::LoadQueue(store.db(), data.today, /*include_closed=*/true));
  data.available = true;
  data.rows.reserve(queue.size());
  for (core::QueueEntry& e : queue) {
    Referral& r = e.referral;
    QueueRow row;
    row.id = std::move(r.id);
    row.name = std::move(r.name);
    row.nhs_number = std::move(r.nhs_number);
    row.pathway = r.pathway;
    row.category = r.category ? std::string(ToString(*r.category)) : "";
    row.status = r.status;
    row.priority = r.priority;
    row.hospital = r.location_kind == LocationKind::kHospital ? HospitalName(r.hospital_code) : "Community";
    row.area = Outcode(r.postcode);
    row.broker = std::move(r.assigned_broker);
    row.discharge_ready_date = std::move(r.discharge_ready_date);
    row.care_ends = std::move(e.care_ends);
    row.needed_from = std::move(e.needed_from);
    row.days_past = e.days_past;
    row.search_key = AsciiLower(row.name) + " " + row.nhs_number;
    data.rows.push_back(std::move(row));
  }
  // Reminders carry no text here: the board shows that one is due, the case log what it says.
  BERTH_ASSIGN_OR_RETURN(auto due, core::DueReminders(store.db(), core::WorkflowTime::Now().now_iso));
  for (const core::DueReminder& d : due) data.due_reminders.emplace(d.referral_id, d.due_at);
  return data;
}

Result<CapacityData> LoadCapacity(Store& store) {
  CapacityData data;
  if (!DomainTablesExist(store)) return data;
  Db& db = store.db();
  BERTH_ASSIGN_OR_RETURN(std::vector<Provider> providers, LoadProviders(db));
  BERTH_ASSIGN_OR_RETURN(std::vector<Bed> beds, LoadBeds(db));
  BERTH_ASSIGN_OR_RETURN(std::vector<ProviderAdmissions> admissions, LoadAdmissions(db));
  BERTH_ASSIGN_OR_RETURN(std::vector<HomecareCapacity> homecare, LoadHomecareCapacity(db));
  // Names of people beds are held for: one query, not one per bed.
  std::unordered_map<std::string, std::string> held_names;
  {
    BERTH_ASSIGN_OR_RETURN(Statement st, db.Prepare("SELECT r.id, r.name FROM referral r JOIN bed b ON "
                                                    "b.held_for_referral_id = r.id WHERE b.status='held'"));
    for (;;) {
      BERTH_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      held_names[st.Text(0)] = st.Text(1);
    }
  }
  data.available = true;
  std::unordered_map<std::string, size_t> home_index;
  for (const Provider& p : providers) {
    if (p.kind == ProviderKind::kHomecareAgency) {
      ++data.agencies;
      continue;
    }
    HomeView h;
    h.id = p.id;
    h.name = p.name;
    h.district = p.district.empty() ? p.local_authority : p.district;
    h.postcode = p.postcode;
    h.registration = p.registration;
    h.rating = p.rating;
    home_index[p.id] = data.homes.size();
    data.homes.push_back(std::move(h));
  }
  for (const ProviderAdmissions& a : admissions) {
    if (a.status != AdmissionsStatus::kClosed) continue;
    auto it = home_index.find(a.provider_id);
    if (it == home_index.end()) continue;
    HomeView& h = data.homes[it->second];
    h.closed = true;
    std::string note = std::string(ToString(a.reason));
    if (note.empty()) note = "closed";
    if (!a.since.empty()) note += " since " + a.since;
    note += a.category ? " (" + std::string(ToString(*a.category)) + ")" : " (all categories)";
    h.closed_note += (h.closed_note.empty() ? "" : "; ") + note;
  }
  for (const Bed& b : beds) {
    auto it = home_index.find(b.provider_id);
    if (it == home_index.end()) continue;
    HomeView& h = data.homes[it->second];
    BedView v;
    v.id = b.id;
    v.room = b.room;
    v.category = b.category;
    v.contract = b.contract;
    v.tier = b.tier;
    v.weekly_rate_pence = b.weekly_rate_pence;
    v.status = b.status;
    v.status_since = b.status_since;
    v.held_for_referral_id = b.held_for_referral_id;
    v.held_until = b.held_until;
    v.unavailable_reason = b.unavailable_reason;
    if (b.status == BedStatus::kHeld) {
      auto n = held_names.find(b.held_for_referral_id);
      if (n != held_names.end()) v.held_for = n->second;
    }
    ++h.by_status[static_cast<size_t>(b.status)];
    h.beds.push_back(std::move(v));
  }
  // Rooms in the order a broker reads them: "2" before "10".
  for (HomeView& h : data.homes) {
    std::sort(h.beds.begin(), h.beds.end(), [](const BedView& a, const BedView& b) {
      if (a.room.size() != b.room.size() && !a.room.empty() && !b.room.empty() &&
          std::isdigit(static_cast<unsigned char>(a.room[0])) &&
          std::isdigit(static_cast<unsigned char>(b.room[0]))) {
        return a.room.size() < b.room.size();
      }
      return a.room < b.room;
    });
  }
  // Homes without beds recorded are not on the capacity board (nothing to show or edit).
  std::erase_if(data.homes, [](const HomeView& h) { return h.beds.empty(); });
  std::sort(data.homes.begin(), data.homes.end(), [](const HomeView& a, const HomeView& b) {
    return a.district != b.district ? a.district < b.district : a.name < b.name;
  });
  std::map<std::string, DistrictView> districts;
  for (const HomeView& h : data.homes) {
    DistrictView& d = districts[h.district];
    d.name = h.district;
    ++d.homes;
    d.closed_homes += h.closed ? 1 : 0;
    for (size_t i = 0; i < 4; ++i) d.by_status[i] += h.by_status[i];
  }
  for (auto& [name, d] : districts) data.districts.push_back(d);
  std::map<std::string, std::array<HomecareCell, 5>> zones;
  for (const HomecareCapacity& c : homecare) {
    HomecareCell& cell = zones[c.zone][static_cast<size_t>(c.band)];
    cell.hours += c.hours_per_week;
    if (c.double_up) cell.double_up_hours += c.hours_per_week;
  }
  for (auto& [zone, cells] : zones) {
    data.zones.push_back(zone);
    data.zone_hours.push_back(cells);
  }
  std::unordered_map<std::string, std::string> agency_names;
  for (const Provider& p : providers) {
    if (p.kind == ProviderKind::kHomecareAgency) agency_names[p.id] = p.name;
  }
  for (const HomecareCapacity& c : homecare) {
    data.homecare_rows.push_back(
        HomecareRowView{c.id, agency_names[c.provider_id], c.zone, c.band, c.hours_per_week, c.double_up});
  }
  std::sort(data.homecare_rows.begin(), data.homecare_rows.end(), [](const auto& a, const auto& b) {
    return std::tie(a.agency, a.zone, a.band, a.id) < std::tie(b.agency, b.zone, b.band, b.id);
  });
  return data;
}

Result<VoidsData> LoadVoids(Store& store) {
  VoidsData data;
  data.today = TodayIsoDate();
  if (!DomainTablesExist(store)) return data;
  Db& db = store.db();
  BERTH_ASSIGN_OR_RETURN(std::vector<Provider> providers, LoadProviders(db));
  BERTH_ASSIGN_OR_RETURN(std::vector<Bed> beds, LoadBeds(db));
  data.available = true;
  std::unordered_map<std::string, const Provider*> by_id;
  for (const Provider& p : providers) by_id[p.id] = &p;
  const int64_t today = DaysFromIsoDate(data.today);
  // The chart's weeks: the 12 weeks ending with the current one (weeks start on Monday; day 0 = Thursday).
  const int64_t this_monday = today - ((today + 3) % 7);
  const int64_t first_monday = this_monday - 7 * 11;
  data.void_cost_by_week.assign(12, 0.0);
  for (int w = 0; w < 12; ++w) data.week_labels.push_back(IsoDateFromDays(first_monday + 7 * w).substr(5));
  std::map<std::string, HomeUtilisation> util;
  for (const Bed& b : beds) {
    if (b.contract != ContractType::kBlock) continue;
    auto p = by_id.find(b.provider_id);
    const std::string home = p == by_id.end() ? b.provider_id : p->second->name;
    HomeUtilisation& u = util[b.provider_id];
    u.home = home;
    if (p != by_id.end()) u.district = p->second->district;
    ++u.block_beds;
    u.block_occupied += b.status == BedStatus::kOccupied ? 1 : 0;
    if (b.status != BedStatus::kVacant) continue;
    VoidBed v;
    v.home = home;
    v.room = b.room;
    v.category = std::string(ToString(b.category));
    v.since = b.status_since;
    const int64_t since = IsIsoDate(b.status_since) ? DaysFromIsoDate(b.status_since) : today;
    v.days = std::max<int64_t>(0, today - since);
    v.cost_pence = core::VoidCostPence(b.weekly_rate_pence, v.days);
    data.total_void_cost_pence += v.cost_pence;
    data.daily_void_cost_pence += core::VoidCostPence(b.weekly_rate_pence, 1);
    for (int w = 0; w < 12; ++w) {
      const int64_t start = std::max(since, first_monday + 7 * w);
      const int64_t end = std::min(today, first_monday + 7 * w + 7);  // exclusive
      if (end > start)
        data.void_cost_by_week[w] += static_cast<double>((end - start) * b.weekly_rate_pence) / 700.0;
    }
    data.voids.push_back(std::move(v));
  }
  std::sort(data.voids.begin(), data.voids.end(), [](const VoidBed& a, const VoidBed& b) {
    return a.days != b.days ? a.days > b.days : a.home < b.home;
  });
  for (auto& [id, u] : util) data.utilisation.push_back(u);
  std::sort(data.utilisation.begin(), data.utilisation.end(),
            [](const HomeUtilisation& a, const HomeUtilisation& b) {
              return a.utilisation() != b.utilisation() ? a.utilisation() < b.utilisation() : a.home < b.home;
            });
  BERTH_ASSIGN_OR_RETURN(Statement st,
                         db.Prepare("SELECT p.start_date, r.discharge_ready_date FROM placement p "
                                    "JOIN referral r ON r.id = p.referral_id "
                                    "WHERE p.deleted = 0 AND r.deleted = 0"));
  for (;;) {
    BERTH_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    const std::string start = st.Text(0), ready = st.Text(1);
    if (!IsIsoDate(start) || !IsIsoDate(ready)) continue;
    const int d = static_cast<int>(std::max<int64_t>(0, DaysFromIsoDate(start) - DaysFromIsoDate(ready)));
    data.days_to_source.push_back(d);
    const size_t bucket = d == 0 ? 0 : d <= 2 ? 1 : d <= 6 ? 2 : d <= 13 ? 3 : d <= 27 ? 4 : 5;
    ++data.source_histogram[bucket];
  }
  return data;
}

std::string VoidsCsv(const VoidsData& data) {
  std::string out = "home,room,category,vacant_since,days_vacant,void_cost_gbp\n";
  for (const VoidBed& v : data.voids) {
    out += core::CsvCell(v.home) + "," + core::CsvCell(v.room) + "," + v.category + "," + v.since + "," +
           std::to_string(v.days) + "," + core::FormatPoundsPlain(v.cost_pence) + "\n";
  }
  return out;
}

std::string UtilisationCsv(const VoidsData& data) {
  std::string out = "home,district,block_beds,block_occupied,utilisation_percent\n";
  for (const HomeUtilisation& u : data.utilisation) {
    out += core::CsvCell(u.home) + "," + core::CsvCell(u.district) + "," + std::to_string(u.block_beds) +
           "," + std::to_string(u.block_occupied) + "," +
           std::to_string(static_cast<int>(u.utilisation() * 100 + 0.5)) + "\n";
  }
  return out;
}

Result<ReferralDetail> LoadReferralDetail(Store& store, const std::string& id) {
  ReferralDetail d;
  BERTH_ASSIGN_OR_RETURN(d.referral, LoadReferral(store.db(), id));
  BERTH_RETURN_IF_ERROR(store.AuditView("referral", id));
  BERTH_ASSIGN_OR_RETURN(d.history, store.AuditTrail("referral", id));
  BERTH_ASSIGN_OR_RETURN(d.log, core::CaseLog(store, id));
  d.loaded = true;
  return d;
}

Result<CaseData> LoadCase(Store& store, const std::string& referral_id) {
  CaseData d;
  Db& db = store.db();
  BERTH_ASSIGN_OR_RETURN(Referral r, LoadReferral(db, referral_id));
  d.referral_id = r.id;
  d.referral_name = r.name;
  d.status = r.status;
  BERTH_ASSIGN_OR_RETURN(auto placements, LoadPlacementsOfReferral(db, r.id));
  for (const Placement& p : placements) {
    d.placed_live =
        d.placed_live || p.status == PlacementStatus::kPlanned || p.status == PlacementStatus::kActive;
  }
  const std::string now = core::WorkflowTime::Now().now_iso;
  BERTH_ASSIGN_OR_RETURN(auto offers, LoadOffersForReferral(db, r.id));
  for (const Offer& o : offers) {
    OfferView v;
    v.id = o.id;
    auto p = LoadProvider(db, o.provider_id);
    v.provider_name = p.ok() ? p->name : o.provider_id;
    if (!o.bed_id.empty()) {
      auto b = LoadBed(db, o.bed_id);
      if (b.ok()) v.room = b->room;
    }
    v.status = core::OfferStatusAt(o.status, o.respond_by, now);
    v.decline_reason = std::string(ToString(o.decline_reason));
    v.respond_by = o.respond_by;
    d.offers.push_back(std::move(v));
  }
  BERTH_ASSIGN_OR_RETURN(d.log, core::CaseLog(store, r.id));
  BERTH_ASSIGN_OR_RETURN(auto notes, LoadNotes(db, r.id));
  for (ReferralNote& n : notes) {
    if (n.kind == NoteKind::kReminder && n.done_at.empty()) d.reminders.push_back(std::move(n));
  }
  std::sort(d.reminders.begin(), d.reminders.end(),
            [](const ReferralNote& a, const ReferralNote& b) { return a.due_at < b.due_at; });
  d.loaded = true;
  return d;
}

std::string SettingsData::Get(const std::string& key, const std::string& fallback) const {
  for (const auto& [k, v] : values) {
    if (k == key) return v;
  }
  return fallback;
}

const std::vector<EditableSetting>& EditableSettings() {
  static const std::vector<EditableSetting> kSpecs = {
      {"ui.theme", "Theme", "light", "light, dark or high contrast"},
      {"ui.font_scale", "Font size", "1.0", "relative to the default size"},
      {"ui.reduced_motion", "Reduced motion", "off", "no blinking cursor"},
      {"ui.auto_lock_minutes", "Auto-lock after (minutes idle)", "10",
       "keys are wiped and the screen cleared"},
      {"sync.interval_minutes", "Sync with the hub every (minutes)", "5",
       "1 to 240; sooner when the network comes back"},
  };
  return kSpecs;
}

Result<SettingsData> LoadSettings(Store& store) {
  SettingsData d;
  for (const EditableSetting& s : EditableSettings()) {
    // Through the schema: a value outside its range (from an older build, say) reads as the default.
    BERTH_ASSIGN_OR_RETURN(std::string v, SettingValue(store, s.key));
    d.values.emplace_back(s.key, std::move(v));
  }
  BERTH_ASSIGN_OR_RETURN(core::MatchSettings match, core::LoadMatchSettings(store));
  d.match = core::DescribeSettings(match);
  d.loaded = true;
  return d;
}

Result<SyncData> LoadSync(Store& store) {
  SyncData d;
  BERTH_ASSIGN_OR_RETURN(sync::SyncStatus st, sync::GetSyncStatus(store));
  d.loaded = true;
  d.enrolled = st.enrolled;
  d.hub_url = st.hub_url;
  d.role = st.role;
  d.scope = st.scope;
  d.pending = st.pending;
  BERTH_ASSIGN_OR_RETURN(std::vector<sync::ConflictRecord> records, sync::ListConflicts(store));
  std::unordered_map<std::string, std::string> names;
  for (const sync::ConflictRecord& c : records) {
    ConflictView v;
    v.id = c.id;
    const int64_t secs = c.created_ms / 1000;
    v.when = IsoDateFromDays(secs / 86400) + " " +
             fmt::format("{:02}:{:02}", secs % 86400 / 3600, secs % 3600 / 60);
    v.claim = c.claim;
    v.reason = c.reason.empty() ? c.reason_code : c.reason;
    v.referral_id = c.referral_id;
    v.bed_id = c.bed_id;
    v.resolved = c.resolved;
    if (!c.referral_id.empty()) {
      auto it = names.find(c.referral_id);
      if (it == names.end()) {
        auto r = LoadReferral(store.db(), c.referral_id);
        it = names.emplace(c.referral_id, r.ok() ? r->name : std::string()).first;
      }
      v.referral_name = it->second;
    }
    d.conflicts.push_back(std::move(v));
  }
  std::reverse(d.conflicts.begin(), d.conflicts.end());
  return d;
}

std::string Pounds(int64_t pence) {
  return core::FormatWholePounds(pence);
}

}  // namespace berth::views

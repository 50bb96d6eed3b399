// The view models (berth_views, app/views): plain data the window's panels draw from and the CLI prints,
// one model for both (no ImGui here: the layering test checks it). The window builds them on the store's
// worker thread (LoadXxx) and hands them to the UI thread whole; panels never read the store. Tests build
// these structs directly or load them from a fixture store, so panel logic is testable without a window.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "berth/core/case_log.h"
#include "berth/core/commissioning.h"
#include "berth/core/scoring.h"
#include "berth/schema/model.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth::views {

// --- the queue (huddle board) --------------------------------------------------------------------------
struct QueueRow {
  std::string id;
  std::string name;
  std::string nhs_number;  // 10 digits
  Pathway pathway = Pathway::kP3;
  std::string category;  // code, '' for homecare
  ReferralStatus status = ReferralStatus::kNew;
  Priority priority = Priority::kRoutine;
  std::string hospital;  // the hospital's name, or "Community"
  std::string area;      // postcode district (the outward code), e.g. "PE29"
  std::string broker;    // assigned broker, '' when unassigned
  std::string discharge_ready_date;
  std::string care_ends;    // a hand back: the last day of the care handed back
  std::string needed_from;  // the DRD, or for a hand back the day after care ends
  int64_t days_past = 0;    // days since needed_from (negative: not yet)
  std::string search_key;   // lower-case name + NHS digits, for type-to-search
};

struct QueueData {
  bool available = false;  // false until the store has the domain tables
  int version = 0;         // bumped by the shell on every load, so panels know to re-filter
  std::string today;
  std::vector<QueueRow> rows;  // sorted by urgency (SortByUrgency)
  // Chase reminders that have fallen due and are not done: referral id -> the earliest one's due time.
  std::map<std::string, std::string> due_reminders;
};

// The queue order of app/core (referrals.h, QueueBefore): hand backs first by the day care ends, then the
// longest wait past the date needed, then urgent before routine, then id. LoadQueue already returns rows in
// this order; the same order as `berth report queue` and the plan.
void SortByUrgency(std::vector<QueueRow>& rows);
bool IsOpen(ReferralStatus s);  // app/core's rule

struct QueueFilter {
  std::string search;    // name substring or NHS number prefix (spaces ignored), case-insensitive
  int pathway = -1;      // Pathway index, -1 all
  int status = -1;       // ReferralStatus index, -1 open ones (new..accepted)
  std::string area;      // '' all
  std::string hospital;  // '' all
  std::string broker;    // '' all; "(unassigned)" for none
  bool operator==(const QueueFilter&) const = default;
};

// Type-to-search: digits (spaces ignored) match the start of the NHS number; anything else matches part of
// the name, ignoring case.
class QueueSearch {
 public:
  explicit QueueSearch(std::string_view text);
  bool empty() const { return needle_.empty(); }
  bool Matches(const QueueRow& row) const;

 private:
  std::string needle_;  // lower case, spaces removed (for NHS numbers)
  std::string name_;    // lower case, as typed
  bool digits_ = true;
};

// Indices into data.rows that pass the filter, in urgency order.
std::vector<int> FilterQueue(const QueueData& data, const QueueFilter& filter);

// Distinct values of a column, sorted, for the filter menus.
struct QueueFacets {
  std::vector<std::string> areas, hospitals, brokers;
};
QueueFacets Facets(const QueueData& data);

// app/core's hospital names ("Addenbrooke's" for "RGT01", "Community" for '').
std::string HospitalName(const std::string& ods_code);

Result<QueueData> LoadQueue(Store& store);

// --- capacity --------------------------------------------------------------------------------------------
struct BedView {
  std::string id;
  std::string room;
  BedCategory category = BedCategory::kResidential;
  ContractType contract = ContractType::kSpot;
  BlockTier tier = BlockTier::kNone;
  int64_t weekly_rate_pence = 0;
  BedStatus status = BedStatus::kVacant;
  std::string status_since;
  std::string held_for_referral_id;
  std::string held_for;  // the referral's name (shown to brokers, who may see it)
  std::string held_until;
  UnavailableReason unavailable_reason = UnavailableReason::kNone;
};

struct HomeView {
  std::string id;
  std::string name;
  std::string district;
  std::string postcode;
  Registration registration = Registration::kUnknown;
  CqcRating rating = CqcRating::kUnrated;
  bool closed = false;             // closed to admissions (any category)
  std::string closed_note;         // "outbreak since 2026-11-18 (nursing)"
  std::array<int, 4> by_status{};  // vacant, held, occupied, unavailable
  std::vector<BedView> beds;
};

struct DistrictView {
  std::string name;
  std::array<int, 4> by_status{};
  int homes = 0;
  int closed_homes = 0;
};

struct HomecareCell {
  double hours = 0;
  double double_up_hours = 0;
};

// One agency's hours in one zone and band: the row the capacity board edits (core::SetHomecareHours).
struct HomecareRowView {
  std::string id;
  std::string agency;
  std::string zone;
  TimeBand band = TimeBand::kMorning;
  double hours = 0;
  bool double_up = false;
};

struct CapacityData {
  bool available = false;
  std::vector<HomeView> homes;                          // care homes with beds, by district then name
  std::vector<DistrictView> districts;                  // by name
  std::vector<std::string> zones;                       // homecare zones, sorted
  std::vector<std::array<HomecareCell, 5>> zone_hours;  // [zone][band]
  std::vector<HomecareRowView> homecare_rows;           // by agency, zone, band
  int agencies = 0;
};

Result<CapacityData> LoadCapacity(Store& store);

// --- voids and utilisation -------------------------------------------------------------------------------
struct VoidBed {
  std::string home;
  std::string room;
  std::string category;
  std::string since;
  int64_t days = 0;
  int64_t cost_pence = 0;  // core::VoidCostPence: days vacant x weekly rate / 7, to the penny
};

struct HomeUtilisation {
  std::string home;
  std::string district;
  int block_beds = 0;
  int block_occupied = 0;
  double utilisation() const {
    return block_beds == 0 ? 0.0 : static_cast<double>(block_occupied) / block_beds;
  }
};

// The commissioners' reports beside the voids (app/core's commissioning.h: the same figures as `berth
// report why-voids|unmet|spend|responses`, the last two over the 28 days to today). The window only shows
// them.
struct CommissioningData {
  bool available = false;
  core::WhyVoidsReport why_voids;
  core::UnmetReport unmet;
  core::SpendReport spend;  // empty when the geography (the council's area) could not be loaded
  core::ResponsesReport responses;
};

struct VoidsData {
  bool available = false;
  std::string today;
  std::vector<VoidBed> voids;  // longest first
  int64_t total_void_cost_pence = 0;
  int64_t daily_void_cost_pence = 0;     // what the current voids cost per day
  std::vector<std::string> week_labels;  // the last 12 weeks, oldest first, "w/c 2026-09-07"
  std::vector<double>
      void_cost_by_week;  // pounds, for the chart (from the current voids' vacant-since dates)
  std::vector<HomeUtilisation> utilisation;  // block beds by home, lowest utilisation first
  std::vector<int> days_to_source;           // per placement: start date - discharge-ready date
  std::array<int, 6> source_histogram{};     // 0, 1-2, 3-6, 7-13, 14-27, 28+ days
  CommissioningData commissioning;           // from the matching adapter (MatchingAdapter::Commissioning)
};

Result<VoidsData> LoadVoids(Store& store);
// The three reports as CSV text (header row first), for export.
std::string VoidsCsv(const VoidsData& data);
std::string UtilisationCsv(const VoidsData& data);

// --- one referral, for the form -------------------------------------------------------------------------
struct ReferralDetail {
  bool loaded = false;
  Referral referral;
  std::vector<AuditEntry> history;
  std::vector<core::CaseEntry> log;  // the case log in words (core::CaseLog), for the form's history
};

// Loads the referral and its audit trail, and records the view in the audit log (it shows a person).
Result<ReferralDetail> LoadReferralDetail(Store& store, const std::string& id);

// --- matching (ranked options for one referral) and the huddle plan -------------------------------------
struct ScoreComponent {
  std::string name;         // "void first", "days waiting", ...
  double contribution = 0;  // weighted points added to the score
  double fraction = 0;      // 0..1, for the bar
  std::string detail;       // "block bed vacant 12 days"
};

struct MatchOption {
  std::string kind;  // "bed" or "homecare"
  std::string provider_id;
  std::string provider_name;
  std::string bed_id;  // for beds
  std::string room;
  std::string zone;  // for homecare
  std::string bands;
  std::string category;
  std::string contract;
  double distance_km = -1;  // negative: unknown
  int64_t weekly_cost_pence = 0;
  double score = 0;
  int fit = 0;              // 0-100, core::FitPercent: what the list shows
  std::string over_budget;  // "GBP 17.50 a week over the GBP 800.00 budget", '' within budget
  std::vector<ScoreComponent> components;
};

struct ExcludedOption {
  std::string provider_id;
  std::string provider_name;
  std::string bed_id;
  std::string reason_code;
  std::string reason;
};

// An offer of the person's package and where it stands (a pending offer past its deadline is "expired").
struct OfferView {
  std::string id;
  std::string provider_name;
  std::string room;  // an offer of one bed
  std::string status;
  std::string decline_reason;
  std::string respond_by;
};

struct MatchData {
  bool matched = false;  // true once the matching adapter has filled it in
  std::string referral_id;
  std::string referral_name;
  std::vector<MatchOption> options;  // best first
  std::vector<ExcludedOption> excluded;
  std::vector<OfferView> offers;         // in the order they were sent
  std::vector<std::string> near_misses;  // few or no options: the nearest misses, in words
};

struct PlanAllocation {
  std::string referral_id;
  std::string referral_name;
  MatchOption option;
  std::string reason;
};

struct PlanData {
  bool matched = false;
  int version = 0;  // bumped by the shell on every plan
  std::vector<PlanAllocation> allocations;
  struct Unplaced {
    std::string referral_id;
    std::string name;
    std::string reason;  // with the nearest misses, in words
  };
  std::vector<Unplaced> unplaced;
  std::string totals;
};

// --- one referral's case: its offers, its log, its open reminders (app/core case_log.h) -------------------
struct CaseData {
  bool loaded = false;
  std::string referral_id;
  std::string referral_name;
  ReferralStatus status = ReferralStatus::kNew;
  bool placed_live = false;             // has a planned or active placement (a hand back is possible)
  std::vector<OfferView> offers;        // in the order they were sent, with their deadlines and answers
  std::vector<core::CaseEntry> log;     // oldest first
  std::vector<ReferralNote> reminders;  // open reminders, earliest due first
};

// Reads the case of one referral; reading its log is audited (core::CaseLog).
Result<CaseData> LoadCase(Store& store, const std::string& referral_id);

// --- sync ----------------------------------------------------------------------------------------------
struct ConflictView {
  int64_t id = 0;      // the inbox's row (core::ResolveConflict)
  std::string when;    // 'YYYY-MM-DD HH:MM'
  std::string claim;   // bed_hold, bed_confirm, homecare_allocate...
  std::string reason;  // the hub's words
  std::string referral_id;
  std::string referral_name;  // '' when the referral is not on this device
  std::string bed_id;
  bool resolved = false;
};

struct SyncData {
  bool loaded = false;
  bool enrolled = false;
  std::string hub_url, role, scope;
  int64_t pending = 0;                  // outbox entries not yet acknowledged by the hub
  std::vector<ConflictView> conflicts;  // newest first
};

Result<SyncData> LoadSync(Store& store);

// --- settings --------------------------------------------------------------------------------------------
struct SettingsData {
  bool loaded = false;
  std::vector<std::pair<std::string, std::string>> values;  // key -> value, for the keys the UI edits
  std::vector<core::SettingInfo> match;  // the matcher's weights and limits (app/core owns them)
  std::string Get(const std::string& key, const std::string& fallback) const;
};

// The setting keys the UI reads and writes, with their defaults (see settings_panel.h).
struct EditableSetting {
  const char* key;
  const char* label;
  const char* fallback;
  const char* help;
};
const std::vector<EditableSetting>& EditableSettings();
Result<SettingsData> LoadSettings(Store& store);

// Money for people: "£1,234".
std::string Pounds(int64_t pence);

}  // namespace berth::views

// Berth's domain records: providers (care homes, homecare agencies), their admissions status, beds,
// homecare capacity, referrals (with their homecare pattern), offers, placements and hand backs.
//
// Each record mirrors one syncable table of schema/migrations/0002_domain.sql. Every record lists its
// columns once, in VisitFields(); the repository (repository.h) and cereal serialization are both built
// from that list, so a column added to the table and to VisitFields is stored, loaded and sent.
//
// Conventions: enumerations are lower-case text codes in the store (ToString / FromString below); dates
// are ISO 'YYYY-MM-DD' strings ('' when unknown); money is integer pence; homecare hours are hours per
// week. Personal data (name, NHS number, date of birth, notes) appears on Referral only.
//
// The model lives in schema/ (not app/) because the hub re-checks bed and homecare claims against the
// same tables and may not depend on app/.
#pragma once

#include <algorithm>
#include <array>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/schema/status.h"

namespace berth {

// --- enumerations ---------------------------------------------------------------------------------------
// Each enum's values are 0..N-1 in declaration order; EnumTraits<E>::kCodes holds their text codes in
// the same order. A code "" means "not given" where the table allows it.
template <class E>
struct EnumTraits;

#define BERTH_ENUM_CODES(E, label, ...)                 \
  template <>                                           \
  struct EnumTraits<E> {                                \
    static constexpr std::string_view kLabel = label;   \
    static constexpr std::array kCodes = {__VA_ARGS__}; \
  }

enum class ProviderKind : uint8_t { kCareHome, kHomecareAgency, kOther };
BERTH_ENUM_CODES(ProviderKind, "provider kind", "care_home", "homecare_agency", "other");

// What CQC registered the home for: personal care only (residential), nursing, or both.
enum class Registration : uint8_t { kUnknown, kResidential, kNursing, kResidentialNursing };
BERTH_ENUM_CODES(Registration, "registration", "", "residential", "nursing", "residential_nursing");

// Every overall rating CQC publishes. The last two are real CQC outcomes that are not ratings (a service
// inspected without a rating, or with too little evidence to rate): shown as such, scored as unrated.
enum class CqcRating : uint8_t {
  kUnrated,
  kOutstanding,
  kGood,
  kRequiresImprovement,
  kInadequate,
  kInspectedButNotRated,
  kInsufficientEvidence
};
BERTH_ENUM_CODES(CqcRating, "CQC rating", "", "outstanding", "good", "requires_improvement", "inadequate",
                 "inspected_but_not_rated", "insufficient_evidence");

// Where a provider's latitude/longitude came from: the import file's own coordinates (exact), or the
// centre of its postcode district (outcode), which places every home of a district on one point.
enum class PositionSource : uint8_t { kNone, kExact, kOutcode };
BERTH_ENUM_CODES(PositionSource, "position source", "", "exact", "outcode");

enum class Specialism : uint8_t {
  kDementia,
  kLearningDisability,
  kMentalHealth,
  kPhysicalDisability,
  kSensoryImpairment,
  kSubstanceMisuse,
  kEatingDisorder,
  kOlderPeople,    // "Caring for adults over 65 yrs"
  kYoungerAdults,  // "Caring for adults under 65 yrs"
  kChildren,
};
BERTH_ENUM_CODES(Specialism, "specialism", "dementia", "learning_disability", "mental_health",
                 "physical_disability", "sensory_impairment", "substance_misuse", "eating_disorder",
                 "older_people", "younger_adults", "children");

enum class BedCategory : uint8_t {
  kResidential,
  kResidentialDementia,
  kNursing,
  kNursingDementia,
  kLearningDisability,
  kMentalHealth,
  kYoungPhysicalDisability,
  kRespite,
  kShortStay,  // interim / step-down / D2A
};
BERTH_ENUM_CODES(BedCategory, "bed category", "residential", "residential_dementia", "nursing",
                 "nursing_dementia", "learning_disability", "mental_health", "young_physical_disability",
                 "respite", "short_stay");

enum class AdmissionsStatus : uint8_t { kOpen, kClosed };
BERTH_ENUM_CODES(AdmissionsStatus, "admissions status", "open", "closed");

enum class ClosureReason : uint8_t { kNone, kOutbreak, kQuality, kStaffing, kOther };
BERTH_ENUM_CODES(ClosureReason, "closure reason", "", "outbreak", "quality", "staffing", "other");

enum class ContractType : uint8_t { kBlock, kFramework, kSpot };
BERTH_ENUM_CODES(ContractType, "contract", "block", "framework", "spot");

enum class BlockTier : uint8_t { kNone, kT1, kT2, kT3 };
BERTH_ENUM_CODES(BlockTier, "block tier", "", "T1", "T2", "T3");

enum class BedStatus : uint8_t { kVacant, kHeld, kOccupied, kUnavailable };
BERTH_ENUM_CODES(BedStatus, "bed status", "vacant", "held", "occupied", "unavailable");

enum class UnavailableReason : uint8_t { kNone, kOutbreak, kMaintenance, kStaffing, kQuality, kOther };
BERTH_ENUM_CODES(UnavailableReason, "unavailable reason", "", "outbreak", "maintenance", "staffing",
                 "quality", "other");

// A sex restriction or preference: a single-sex unit, or the carer gender a person asks for.
enum class SexPreference : uint8_t { kAny, kFemale, kMale };
BERTH_ENUM_CODES(SexPreference, "sex preference", "", "female", "male");

enum class Gender : uint8_t { kUnknown, kFemale, kMale, kOther };
BERTH_ENUM_CODES(Gender, "gender", "", "female", "male", "other");

enum class TimeBand : uint8_t { kMorning, kLunch, kTea, kBed, kNight };
BERTH_ENUM_CODES(TimeBand, "time band", "morning", "lunch", "tea", "bed", "night");

// Block homecare ("cars" bought in advance), the Dynamic Purchasing System, or spot purchase.
enum class HomecareContract : uint8_t { kBlock, kDps, kSpot };
BERTH_ENUM_CODES(HomecareContract, "homecare contract", "block", "dps", "spot");

enum class LocationKind : uint8_t { kHospital, kCommunity };
BERTH_ENUM_CODES(LocationKind, "location", "hospital", "community");

// Discharge to Assess pathways, plus community referrals that reach brokers without a hospital.
enum class Pathway : uint8_t { kP1, kP2, kP3, kCommunityCrisis, kRespite };
BERTH_ENUM_CODES(Pathway, "pathway", "P1", "P2", "P3", "community_crisis", "respite");

enum class Need : uint8_t {
  kDementia,
  kNursing,
  kHoist,
  kDoubleUp,
  kBariatric,
  kBehaviourThatChallenges,
  kEnSuite,
  kGroundFloor,
  kEndOfLife,
  kLearningDisability,
  kMentalHealth,
  kPhysicalDisability,
  kOxygen,
  kPeg,  // tube feeding
  kCatheter,
  kDiabetes,
};
BERTH_ENUM_CODES(Need, "need", "dementia", "nursing", "hoist", "double_up", "bariatric",
                 "behaviour_that_challenges", "en_suite", "ground_floor", "end_of_life",
                 "learning_disability", "mental_health", "physical_disability", "oxygen", "peg", "catheter",
                 "diabetes");

enum class InfectionStatus : uint8_t { kUnknown, kNegative, kPositive, kContact };
BERTH_ENUM_CODES(InfectionStatus, "infection status", "unknown", "negative", "positive", "contact");

enum class Funding : uint8_t { kLa, kChc, kJoint, kFnc, kSelfFunder, kTopUp };
BERTH_ENUM_CODES(Funding, "funding", "la", "chc", "joint", "fnc", "self_funder", "top_up");

enum class Priority : uint8_t { kRoutine, kUrgent, kHandBack };
BERTH_ENUM_CODES(Priority, "priority", "routine", "urgent", "hand_back");

enum class ReferralStatus : uint8_t { kNew, kSourcing, kOffered, kAccepted, kPlaced, kCancelled };
BERTH_ENUM_CODES(ReferralStatus, "referral status", "new", "sourcing", "offered", "accepted", "placed",
                 "cancelled");

// Why a referral was closed without a placement.
enum class CancelReason : uint8_t {
  kNone,
  kDied,
  kReadmitted,
  kHomeWithoutSupport,  // went home with no new support (pathway 0)
  kSelfArranged,        // the person or family arranged care themselves
  kMovedOutOfArea,
  kDeclinedCare,  // the person declined the care offered
  kDuplicate,
  kOther
};
BERTH_ENUM_CODES(CancelReason, "cancel reason", "", "died", "readmitted", "home_without_support",
                 "self_arranged", "moved_out_of_area", "declined_care", "duplicate", "other");

// The NHS delayed transfer of care reason codes (the DToC return's A-I and O): why a person past their
// discharge-ready date is still in hospital.
enum class DelayReason : uint8_t {
  kNone,
  kAssessment,           // A: completion of assessment
  kPublicFunding,        // B: public funding
  kFurtherNhsCare,       // C: waiting further non-acute NHS care
  kResidentialHome,      // Di: care home placement, residential
  kNursingHome,          // Dii: care home placement, nursing
  kCarePackageAtHome,    // E: care package in own home
  kEquipment,            // F: community equipment or adaptations
  kPatientFamilyChoice,  // G: patient or family choice
  kDisputes,             // H: disputes
  kHousing,              // I: housing
  kOther                 // O: other
};
BERTH_ENUM_CODES(DelayReason, "delay reason", "", "a_assessment", "b_public_funding", "c_further_nhs_care",
                 "di_residential_home", "dii_nursing_home", "e_care_package_at_home",
                 "f_equipment_adaptations", "g_patient_family_choice", "h_disputes", "i_housing", "o_other");

enum class OfferStatus : uint8_t { kPending, kAccepted, kDeclined, kWithdrawn, kExpired };
BERTH_ENUM_CODES(OfferStatus, "offer status", "pending", "accepted", "declined", "withdrawn", "expired");

enum class DeclineReason : uint8_t {
  kNone,
  kNoCapacity,
  kCannotMeetNeeds,
  kNotCompatible,
  kInfection,
  kStaffing,
  kPrice,
  kOther
};
BERTH_ENUM_CODES(DeclineReason, "decline reason", "", "no_capacity", "cannot_meet_needs", "not_compatible",
                 "infection", "staffing", "price", "other");

// What a case-log entry is (ReferralNote).
enum class NoteKind : uint8_t { kNote, kCall, kReminder };
BERTH_ENUM_CODES(NoteKind, "note kind", "note", "call", "reminder");

enum class PlacementKind : uint8_t { kCareHome, kHomecare };
BERTH_ENUM_CODES(PlacementKind, "placement kind", "care_home", "homecare");

enum class PlacementStatus : uint8_t { kPlanned, kActive, kEnded, kHandedBack };
BERTH_ENUM_CODES(PlacementStatus, "placement status", "planned", "active", "ended", "handed_back");

enum class HandbackReason : uint8_t { kNone, kStaffing, kNeedsChanged, kUnsafe, kPrice, kOther };
BERTH_ENUM_CODES(HandbackReason, "hand back reason", "", "staffing", "needs_changed", "unsafe", "price",
                 "other");

enum class HandbackStatus : uint8_t { kOpen, kRebrokered, kWithdrawn };
BERTH_ENUM_CODES(HandbackStatus, "hand back status", "open", "rebrokered", "withdrawn");

#undef BERTH_ENUM_CODES

template <class E>
constexpr std::size_t EnumCount() {
  return EnumTraits<E>::kCodes.size();
}

template <class E>
std::string_view ToString(E value) {
  const auto i = static_cast<std::size_t>(value);
  return i < EnumCount<E>() ? std::string_view(EnumTraits<E>::kCodes[i]) : std::string_view("?");
}

// kBadInput naming the label and the accepted codes, e.g. "unknown bed category 'x' (expected one of ...)".
Status UnknownCode(std::string_view label, std::string_view text, const std::string& expected);

template <class E>
Result<E> FromString(std::string_view text) {
  for (std::size_t i = 0; i < EnumCount<E>(); ++i) {
    if (text == EnumTraits<E>::kCodes[i]) return static_cast<E>(i);
  }
  std::string expected;
  for (std::string_view code : EnumTraits<E>::kCodes) {
    if (code.empty()) continue;
    expected += (expected.empty() ? "" : ", ") + std::string(code);
  }
  return UnknownCode(EnumTraits<E>::kLabel, text, expected);
}

// Comma-separated codes, in enum order, without duplicates ("dementia,hoist").
template <class E>
std::string JoinCodes(const std::vector<E>& values) {
  std::array<bool, EnumCount<E>()> seen{};
  for (E v : values) {
    if (static_cast<std::size_t>(v) < seen.size()) seen[static_cast<std::size_t>(v)] = true;
  }
  std::string out;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (seen[i]) out += (out.empty() ? "" : ",") + std::string(EnumTraits<E>::kCodes[i]);
  }
  return out;
}

// The inverse of JoinCodes; also accepts spaces around codes and an empty string (no values).
template <class E>
Result<std::vector<E>> SplitCodes(std::string_view text) {
  std::vector<E> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (!part.empty()) {
      BERTH_ASSIGN_OR_RETURN(E v, FromString<E>(part));
      bool dup = false;
      for (E have : out) dup = dup || have == v;
      if (!dup) out.push_back(v);
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  std::sort(out.begin(), out.end());
  return out;
}

template <class E>
bool Contains(const std::vector<E>& values, E value) {
  for (E v : values) {
    if (v == value) return true;
  }
  return false;
}

// --- records ------------------------------------------------------------------------------------------
// VisitFields(v) calls v(column_name, member) for every column except id/hlc/origin/deleted, in table
// order; `id` is visited separately by the repository.

struct Provider {
  std::string id;
  std::string cqc_location_id;  // e.g. "1-1000210669"
  std::string cqc_provider_id;
  std::string name;
  std::string also_known_as;
  ProviderKind kind = ProviderKind::kCareHome;
  std::string operator_name;
  std::string address;
  std::string postcode;
  std::optional<double> latitude;  // unset when the postcode could not be placed
  std::optional<double> longitude;
  PositionSource position = PositionSource::kNone;  // unset position: kNone
  std::string local_authority;
  std::string district;
  std::string region;
  Registration registration = Registration::kUnknown;
  std::vector<Specialism> specialisms;
  std::string service_types;  // CQC's wording, '|'-separated, kept for display
  CqcRating rating = CqcRating::kUnrated;
  std::string last_inspection;
  int64_t registered_beds = 0;
  bool trusted_assessor = false;
  std::string phone;
  std::string website;
  std::string contact_name;
  std::string contact_email;

  static constexpr const char* kTable = "provider";
  template <class V>
  void VisitFields(V&& v) {
    v("cqc_location_id", cqc_location_id);
    v("cqc_provider_id", cqc_provider_id);
    v("name", name);
    v("also_known_as", also_known_as);
    v("kind", kind);
    v("operator_name", operator_name);
    v("address", address);
    v("postcode", postcode);
    v("latitude", latitude);
    v("longitude", longitude);
    v("local_authority", local_authority);
    v("district", district);
    v("region", region);
    v("registration", registration);
    v("specialisms", specialisms);
    v("service_types", service_types);
    v("cqc_rating", rating);
    v("last_inspection", last_inspection);
    v("registered_beds", registered_beds);
    v("trusted_assessor", trusted_assessor);
    v("phone", phone);
    v("website", website);
    v("contact_name", contact_name);
    v("contact_email", contact_email);
    v("position_source", position);  // migration 0010: after `deleted` in the table, last here
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(id);
    VisitFields([&ar](const char*, auto& member) { ar(member); });
  }
};

// Whether a provider takes admissions for one bed category (or for all: category unset). One record per
// (provider, category); its id is AdmissionsId(provider_id, category).
struct ProviderAdmissions {
  std::string id;
  std::string provider_id;
  std::optional<BedCategory> category;  // unset: every category
  AdmissionsStatus status = AdmissionsStatus::kOpen;
  ClosureReason reason = ClosureReason::kNone;
  std::string since;
  std::string note;

  static constexpr const char* kTable = "provider_admissions";
  template <class V>
  void VisitFields(V&& v) {
    v("provider_id", provider_id);
    v("category", category);
    v("status", status);
    v("reason", reason);
    v("since", since);
    v("note", note);
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(id);
    VisitFields([&ar](const char*, auto& member) { ar(member); });
  }
};

struct BedFeatures {
  bool en_suite = false;
  bool ground_floor = false;
  bool bariatric = false;
  bool hoist = false;
  SexPreference single_sex_unit = SexPreference::kAny;
  friend bool operator==(const BedFeatures&, const BedFeatures&) = default;
};

struct Bed {
  std::string id;
  std::string provider_id;
  std::string room;
  BedCategory category = BedCategory::kResidential;
  ContractType contract = ContractType::kSpot;
  BlockTier tier = BlockTier::kNone;
  int64_t weekly_rate_pence = 0;
  BedFeatures features;
  bool flexibility_clause = false;
  BedStatus status = BedStatus::kVacant;
  std::string status_since;          // the date the current status began (vacant since, occupied since...)
  std::string held_for_referral_id;  // status kHeld
  std::string held_until;            // status kHeld: ISO instant
  UnavailableReason unavailable_reason = UnavailableReason::kNone;

  static constexpr const char* kTable = "bed";
  template <class V>
  void VisitFields(V&& v) {
    v("provider_id", provider_id);
    v("room", room);
    v("category", category);
    v("contract", contract);
    v("block_tier", tier);
    v("weekly_rate_pence", weekly_rate_pence);
    v("en_suite", features.en_suite);
    v("ground_floor", features.ground_floor);
    v("bariatric", features.bariatric);
    v("hoist", features.hoist);
    v("single_sex_unit", features.single_sex_unit);
    v("flexibility_clause", flexibility_clause);
    v("status", status);
    v("status_since", status_since);
    v("held_for_referral_id", held_for_referral_id);
    v("held_until", held_until);
    v("unavailable_reason", unavailable_reason);
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(id);
    VisitFields([&ar](const char*, auto& member) { ar(member); });
  }
};

// Free homecare hours per week of one provider in one zone and time band, from a date.
struct HomecareCapacity {
  std::string id;
  std::string provider_id;
  std::string zone;
  TimeBand band = TimeBand::kMorning;
  double hours_per_week = 0;
  std::string available_from;
  bool double_up = false;  // can staff two-carer calls
  bool female_carers = true;
  bool male_carers = true;
  HomecareContract contract = HomecareContract::kDps;
  int64_t hourly_rate_pence = 0;

  static constexpr const char* kTable = "homecare_capacity";
  template <class V>
  void VisitFields(V&& v) {
    v("provider_id", provider_id);
    v("zone", zone);
    v("band", band);
    v("hours_per_week", hours_per_week);
    v("available_from", available_from);
    v("double_up", double_up);
    v("female_carers", female_carers);
    v("male_carers", male_carers);
    v("contract", contract);
    v("hourly_rate_pence", hourly_rate_pence);
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(id);
    VisitFields([&ar](const char*, auto& member) { ar(member); });
  }
};

// The homecare a P1 referral needs. calls_per_day == 0 means no homecare pattern.
struct HomecarePattern {
  int64_t calls_per_day = 0;
  int64_t minutes_per_call = 0;
  std::vector<TimeBand> bands;
  bool double_up = false;
  SexPreference carer_gender = SexPreference::kAny;

  bool empty() const { return calls_per_day == 0; }
  // Hours of care the person receives per week.
  double HoursPerWeek() const { return static_cast<double>(calls_per_day * minutes_per_call * 7) / 60.0; }
  // Carer hours the provider must staff (twice the care hours for double-up calls).
  double CarerHoursPerWeek() const { return HoursPerWeek() * (double_up ? 2.0 : 1.0); }
  friend bool operator==(const HomecarePattern&, const HomecarePattern&) = default;
};

struct Referral {
  std::string id;
  std::string nhs_number;  // 10 digits
  std::string name;
  std::string date_of_birth;
  Gender gender = Gender::kUnknown;
  LocationKind location_kind = LocationKind::kHospital;
  std::string hospital_code;  // ODS code of the hospital site, when in hospital
  std::string postcode;       // where the person is now
  std::string district;       // ... and its district: the referral's sync area (never "*")
  std::string preferred_postcode;
  double max_distance_km = 0;  // 0: no limit
  Pathway pathway = Pathway::kP3;
  std::optional<BedCategory> category;  // unset for homecare (P1)
  std::vector<Need> needs;
  HomecarePattern homecare;
  InfectionStatus infection_status = InfectionStatus::kUnknown;
  Funding funding = Funding::kLa;
  int64_t weekly_budget_pence = 0;
  std::string discharge_ready_date;
  Priority priority = Priority::kRoutine;
  ReferralStatus status = ReferralStatus::kNew;
  std::string assigned_broker;
  std::string notes;
  std::string created_date;
  CancelReason cancel_reason = CancelReason::kNone;  // status cancelled: why
  DelayReason delay_reason = DelayReason::kNone;     // past the DRD: why (NHS DToC code)

  static constexpr const char* kTable = "referral";
  template <class V>
  void VisitFields(V&& v) {
    v("nhs_number", nhs_number);
    v("name", name);
    v("date_of_birth", date_of_birth);
    v("gender", gender);
    v("location_kind", location_kind);
    v("hospital_code", hospital_code);
    v("postcode", postcode);
    v("preferred_postcode", preferred_postcode);
    v("max_distance_km", max_distance_km);
    v("pathway", pathway);
    v("category", category);
    v("needs", needs);
    v("homecare_calls_per_day", homecare.calls_per_day);
    v("homecare_minutes_per_call", homecare.minutes_per_call);
    v("homecare_bands", homecare.bands);
    v("homecare_double_up", homecare.double_up);
    v("homecare_carer_gender", homecare.carer_gender);
    v("infection_status", infection_status);
    v("funding", funding);
    v("weekly_budget_pence", weekly_budget_pence);
    v("discharge_ready_date", discharge_ready_date);
    v("priority", priority);
    v("status", status);
    v("assigned_broker", assigned_broker);
    v("notes", notes);
    v("created_date", created_date);
    v("cancel_reason", cancel_reason);
    v("delay_reason", delay_reason);
    v("district", district);  // 0008, after 0006's columns: visited in table order
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(id);
    VisitFields([&ar](const char*, auto& member) { ar(member); });
  }
};

struct Offer {
  std::string id;
  std::string referral_id;
  std::string provider_id;
  std::string bed_id;
  std::string homecare_capacity_id;
  std::string sent_at;
  std::string respond_by;
  OfferStatus status = OfferStatus::kPending;
  DeclineReason decline_reason = DeclineReason::kNone;
  int64_t weekly_cost_pence = 0;
  std::string note;
  std::string answered_at;  // accepted or declined: when (ISO instant); '' otherwise (migration 0011)

  static constexpr const char* kTable = "offer";
  template <class V>
  void VisitFields(V&& v) {
    v("referral_id", referral_id);
    v("provider_id", provider_id);
    v("bed_id", bed_id);
    v("homecare_capacity_id", homecare_capacity_id);
    v("sent_at", sent_at);
    v("respond_by", respond_by);
    v("status", status);
    v("decline_reason", decline_reason);
    v("weekly_cost_pence", weekly_cost_pence);
    v("note", note);
    v("answered_at", answered_at);  // 0011, at the end of the table
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(id);
    VisitFields([&ar](const char*, auto& member) { ar(member); });
  }
};

struct Placement {
  std::string id;
  std::string referral_id;
  std::string provider_id;
  PlacementKind kind = PlacementKind::kCareHome;
  std::string bed_id;
  std::string homecare_capacity_id;
  double hours_per_week = 0;
  std::string start_date;
  std::string end_date;  // the last day of care (inclusive); '' while open (occupancy.h)
  int64_t weekly_cost_pence = 0;
  Funding funding = Funding::kLa;
  PlacementStatus status = PlacementStatus::kActive;
  std::string override_reason;  // confirmed without an accepted offer: the broker's reason

  static constexpr const char* kTable = "placement";
  template <class V>
  void VisitFields(V&& v) {
    v("referral_id", referral_id);
    v("provider_id", provider_id);
    v("kind", kind);
    v("bed_id", bed_id);
    v("homecare_capacity_id", homecare_capacity_id);
    v("hours_per_week", hours_per_week);
    v("start_date", start_date);
    v("end_date", end_date);
    v("weekly_cost_pence", weekly_cost_pence);
    v("funding", funding);
    v("status", status);
    v("override_reason", override_reason);
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(id);
    VisitFields([&ar](const char*, auto& member) { ar(member); });
  }
};

struct Handback {
  std::string id;
  std::string placement_id;
  std::string referral_id;
  std::string provider_id;
  std::string notice_date;
  std::string end_date;
  double hours_per_week = 0;
  HandbackReason reason = HandbackReason::kNone;
  HandbackStatus status = HandbackStatus::kOpen;

  static constexpr const char* kTable = "handback";
  template <class V>
  void VisitFields(V&& v) {
    v("placement_id", placement_id);
    v("referral_id", referral_id);
    v("provider_id", provider_id);
    v("notice_date", notice_date);
    v("end_date", end_date);
    v("hours_per_week", hours_per_week);
    v("reason", reason);
    v("status", status);
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(id);
    VisitFields([&ar](const char*, auto& member) { ar(member); });
  }
};

// A change of a referral's discharge-ready date, kept as history.
struct ReferralDateChange {
  std::string id;
  std::string referral_id;
  std::string old_date;
  std::string new_date;
  std::string changed_by;
  std::string changed_at;  // ISO instant
  std::string note;

  static constexpr const char* kTable = "referral_date_change";
  template <class V>
  void VisitFields(V&& v) {
    v("referral_id", referral_id);
    v("old_date", old_date);
    v("new_date", new_date);
    v("changed_by", changed_by);
    v("changed_at", changed_at);
    v("note", note);
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(id);
    VisitFields([&ar](const char*, auto& member) { ar(member); });
  }
};

// One entry a broker or ward worker adds to a referral's case log (migration 0012): a note, a call, or a
// chase reminder that falls due at `due_at`. The text is personal data (sealed, scoped and audited like
// the referral's own fields).

struct ReferralNote {
  std::string id;
  std::string referral_id;
  NoteKind kind = NoteKind::kNote;
  std::string text;
  std::string written_by;
  std::string written_at;  // ISO instant
  std::string due_at;      // a reminder: when it falls due (ISO instant)
  std::string done_at;     // a reminder: when it was marked done ('' while open)

  static constexpr const char* kTable = "referral_note";
  template <class V>
  void VisitFields(V&& v) {
    v("referral_id", referral_id);
    v("kind", kind);
    v("text", text);
    v("written_by", written_by);
    v("written_at", written_at);
    v("due_at", due_at);
    v("done_at", done_at);
  }
  template <class Archive>
  void serialize(Archive& ar) {
    ar(id);
    VisitFields([&ar](const char*, auto& member) { ar(member); });
  }
};

// --- small domain helpers -----------------------------------------------------------------------------

// True for a real calendar date written 'YYYY-MM-DD'.
bool IsIsoDate(std::string_view text);
// Days since 1970-01-01 for a valid ISO date (the caller checks IsIsoDate first).
int64_t DaysFromIsoDate(std::string_view text);
std::string IsoDateFromDays(int64_t days);
// The UTC instant 'YYYY-MM-DDTHH:MM:SSZ' of a moment in milliseconds since 1970: the one formatter of
// instants the workflow, the case log and the hub share.
std::string IsoInstantOfMs(int64_t ms);
class Env;
// Today's date (UTC) on `env`'s clock (null: Env::Default()) as 'YYYY-MM-DD'.
std::string TodayIsoDate(Env* env = nullptr);

// The bed categories a registration allows: nursing homes may take every nursing and residential need.
bool RegistrationAllows(Registration registration, BedCategory category);

}  // namespace berth

// Reading and writing the domain records of model.h.
//
// Writes go through Store::Write, so every change is stamped, merged per field, put in the outbox and
// audited in one transaction (joining the caller's transaction if there is one: wrap a batch in
// store.db().Transaction to make it all-or-nothing). Loads read the tables directly and skip tombstones.
//
// Loading a referral is a view of personal data: callers that show one to a user must call
// Store::AuditView("referral", id) (the repository cannot know whether a load is shown to anyone).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/schema/model.h"
#include "berth/schema/mutation.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth {

using Fields = std::map<std::string, Value>;

// The column values of a record (everything but id/hlc/origin/deleted), as Store::Write takes them.
Fields ToFields(const Provider& r);
Fields ToFields(const ProviderAdmissions& r);
Fields ToFields(const Bed& r);
Fields ToFields(const HomecareCapacity& r);
Fields ToFields(const Referral& r);
Fields ToFields(const Offer& r);
Fields ToFields(const Placement& r);
Fields ToFields(const Handback& r);
Fields ToFields(const ReferralDateChange& r);
Fields ToFields(const ReferralNote& r);

// Writes every field of the record as one upsert. The record's id must be set (NewUuidV7() for new
// records, StableId() for reference data imported from elsewhere); kBadInput otherwise.
Status Save(Store& store, const Provider& r);
Status Save(Store& store, const ProviderAdmissions& r);
Status Save(Store& store, const Bed& r);
Status Save(Store& store, const HomecareCapacity& r);
Status Save(Store& store, const Referral& r);
Status Save(Store& store, const Offer& r);
Status Save(Store& store, const Placement& r);
Status Save(Store& store, const Handback& r);
Status Save(Store& store, const ReferralDateChange& r);
Status Save(Store& store, const ReferralNote& r);

// What SaveChanges did to a row.
enum class SaveOutcome { kCreated, kUpdated, kUnchanged };

// Writes only the fields that differ from the stored row (all of them for a new row, nothing when the
// row already holds these values), so re-importing the same data adds nothing to the outbox or audit.
// A tombstoned row is not revived (Store::Write cannot undelete): kConflict, and nothing is written.
Result<SaveOutcome> SaveChanges(Store& store, const Provider& r);
Result<SaveOutcome> SaveChanges(Store& store, const ProviderAdmissions& r);
Result<SaveOutcome> SaveChanges(Store& store, const Bed& r);
Result<SaveOutcome> SaveChanges(Store& store, const HomecareCapacity& r);
Result<SaveOutcome> SaveChanges(Store& store, const Referral& r);

// Tombstones a row of a domain table.
Status Remove(Store& store, std::string_view table, const std::string& id);

// --- loads (live rows only) ----------------------------------------------------------------------------
// Providers are ordered by name, beds by provider then room, capacity by provider, zone and band,
// referrals by discharge-ready date. Admissions rows are loaded apart (LoadAdmissions).

Result<std::vector<Provider>> LoadProviders(Db& db);
Result<Provider> LoadProvider(Db& db, const std::string& id);
Result<std::optional<Provider>> FindProviderByCqcId(Db& db, std::string_view cqc_location_id);
Result<std::vector<ProviderAdmissions>> LoadAdmissions(Db& db);
Result<std::vector<Bed>> LoadBeds(Db& db);
Result<std::vector<Bed>> LoadBedsOfProvider(Db& db, const std::string& provider_id);
Result<Bed> LoadBed(Db& db, const std::string& id);
Result<std::vector<HomecareCapacity>> LoadHomecareCapacity(Db& db);
Result<HomecareCapacity> LoadHomecareCapacityRow(Db& db, const std::string& id);
Result<std::vector<Referral>> LoadReferrals(Db& db);
Result<Referral> LoadReferral(Db& db, const std::string& id);
Result<std::vector<Offer>> LoadOffers(Db& db);
Result<std::vector<Offer>> LoadOffersForReferral(Db& db, const std::string& referral_id);
Result<Offer> LoadOffer(Db& db, const std::string& id);
Result<std::vector<Placement>> LoadPlacements(Db& db);
Result<Placement> LoadPlacement(Db& db, const std::string& id);
Result<std::vector<Placement>> LoadPlacementsOfBed(Db& db, const std::string& bed_id);
Result<std::vector<Placement>> LoadPlacementsOfReferral(Db& db, const std::string& referral_id);
Result<std::vector<Placement>> LoadPlacementsOfCapacity(Db& db, const std::string& capacity_id);
Result<std::vector<Handback>> LoadHandbacks(Db& db);
Result<std::vector<Handback>> LoadHandbacksOfReferral(Db& db, const std::string& referral_id);
// A referral's discharge-ready date changes, oldest first.
Result<std::vector<ReferralDateChange>> LoadDateChanges(Db& db, const std::string& referral_id);
// A referral's case-log entries, oldest first (callers that show them audit the view: app/core case_log.h).
Result<std::vector<ReferralNote>> LoadNotes(Db& db, const std::string& referral_id);
Result<ReferralNote> LoadNote(Db& db, const std::string& id);

// Live rows in a domain table (tombstones excluded).
Result<int64_t> CountLive(Db& db, std::string_view table);

// --- ids -----------------------------------------------------------------------------------------------
// A deterministic id for reference data that several devices may import independently (a CQC location),
// so that two devices importing the same directory converge on one row instead of two: a UUID (version 8,
// RFC 9562) made from BLAKE2b("berth:" + kind + ":" + key).
std::string StableId(std::string_view kind, std::string_view key);
// The id of a provider's admissions row for one category (or for all categories).
std::string AdmissionsId(const std::string& provider_id, std::optional<BedCategory> category);

}  // namespace berth

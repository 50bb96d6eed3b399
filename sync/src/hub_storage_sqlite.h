// SqliteHubStorage: the hub's state in its own encrypted berth::Store (sync/PROTOCOL.md sections 5-7 and
// 10), private to sync/src. MakeSqliteHubStorage (hub_storage.h) is its only way out. One file per job:
//   hub_storage_sqlite.cc              the store opened as a hub: its indexes, start-up migrations, state
//   hub_storage_sqlite_devices.cc      enrolment codes, devices, replay counters, couriers
//   hub_storage_sqlite_arbitration.cc  Push: each change decided by the claim rules, then logged
//   hub_storage_sqlite_scope.cc        areas: where a row belongs and which devices may see it
//   hub_storage_sqlite_change_log.cc   Pull and the purge of old tombstones
// Threads: every public method takes mu_, so one hub process serves one request at a time here.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "berth/sync/hub_storage.h"
#include "rows.h"

namespace berth::sync::internal {

// A change the hub refuses: a reason code from PROTOCOL.md section 7 and words for the broker.
struct Rejection {
  std::string code;
  std::string reason;
};

std::vector<std::string> SplitScope(const std::string& s);
std::string JoinScope(const std::vector<std::string>& v);
std::string HexOf(const Bytes& b);
// Rows that belong to one referral (named by their referral_id): they take its area (PROTOCOL.md
// section 6) and reach only the devices that may see it.
bool IsReferralChild(const std::string& entity);
bool IsSupply(const std::string& entity);
// A field of a row read with ReadRowValues as text ("" when absent).
std::string Str(const std::map<std::string, Value>& row, const std::string& key);

class SqliteHubStorage final : public HubStorage {
 public:
  explicit SqliteHubStorage(std::unique_ptr<Store> store);
  Result<KeyPairs> HubKeys() override;
  Status AddCode(const Bytes& code_id, const Bytes& verifier, const std::string& name,
                 const std::string& role, const std::string& scope, int64_t expires_ms) override;
  Result<Bytes> CodeVerifier(const Bytes& code_id, int64_t now_ms) override;
  Result<std::vector<CodeRecord>> ListCodes() override;
  Status CancelCode(const std::string& id_prefix) override;
  Result<DeviceRecord> EnrollDevice(const Bytes& code_id, const std::string& device_id, const Bytes& sign_pk,
                                    const Bytes& kx_pk, int64_t now_ms) override;
  Result<DeviceRecord> GetDevice(const std::string& device_id) override;
  Result<std::vector<DeviceRecord>> ListDevices() override;
  Status Revoke(const std::string& device_id) override;
  Status AdvanceCounter(const std::string& device_id, uint64_t counter, int64_t now_ms) override;
  Status SetCourierKey(const std::string& device_id, const Bytes& sign_pk, const Bytes& kx_pk,
                       int64_t now_ms) override;
  Result<CourierRecord> GetCourier(const std::string& device_id) override;
  Status AdvanceCourierCounter(const std::string& device_id, const Bytes& sign_pk, uint64_t counter) override;
  Result<PushResponse> Push(const DeviceRecord& device, const PushRequest& request, int64_t now_ms,
                            PushStats* stats) override;
  Result<PullResponse> Pull(const DeviceRecord& device, const PullRequest& request) override;
  Result<int64_t> PurgeTombstones(int64_t before_ms) override;

 private:
  // Rows a claim lost earlier in one push named, with the mutation that lost: later entries of the same
  // push that depend on them are lost with it.
  using Poisoned = std::map<std::pair<std::string, std::string>, std::string>;
  // A row as the hub holds it before a change: its change-log entry and its values (empty when new).
  struct PriorRow {
    bool logged = false;     // it has a change-log entry
    uint64_t seq = 0;        // that entry's number
    bool echo_free = false;  // last written by the same device, which had already pulled it
    std::string area;        // the area the log records for it
    std::map<std::string, Value> values;
  };

  // hub_storage_sqlite.cc
  Status UseHubIndexes();
  Status GiveWildcardRowsRealAreas();
  Result<Bytes> GetState(const std::string& key);
  Result<Bytes> GetStateOr(const std::string& key, Bytes fallback);
  Status PutState(const std::string& key, const Bytes& value);
  Db& db() { return store_->db(); }

  // hub_storage_sqlite_devices.cc
  Result<DeviceRecord> GetDeviceLocked(const std::string& device_id);

  // hub_storage_sqlite_arbitration.cc
  static std::vector<std::pair<std::string, std::string>> NamedRows(const Mutation& m);
  Status Arbitrate(const DeviceRecord& dev, const Mutation& m, int64_t now_ms, const std::string& iso_now,
                   uint64_t device_cursor, const Poisoned& poisoned, std::optional<Rejection>* rej);
  // The rules Arbitrate applies, in its order. Each returns the rejection, or nothing when the change passes.
  std::optional<Rejection> CheckWellFormed(const DeviceRecord& dev, const Mutation& m, int64_t now_ms);
  static std::optional<Rejection> CheckSetting(const DeviceRecord& dev, const Mutation& m);
  Result<PriorRow> ReadPrior(const DeviceRecord& dev, const Mutation& m);
  static std::optional<Rejection> LostWithEarlierClaim(const Mutation& m, const PriorRow& prior,
                                                       const Poisoned& poisoned);
  Result<std::optional<Rejection>> CheckArea(const DeviceRecord& dev, const Mutation& m,
                                             const PriorRow& prior,
                                             const std::map<std::string, Value>& merged, std::string* area);
  static std::optional<Rejection> CheckClaimName(const Mutation& m);
  Result<std::optional<Rejection>> CheckBedHold(const DeviceRecord& dev, const Mutation& m,
                                                const PriorRow& prior,
                                                const std::map<std::string, Value>& merged,
                                                const std::string& iso_now);
  Result<std::optional<Rejection>> CheckPlacementClaim(const Mutation& m,
                                                       const std::map<std::string, Value>& merged,
                                                       const std::string& iso_now);
  Result<std::optional<Rejection>> CheckOccupancy(const Mutation& m,
                                                  const std::map<std::string, Value>& now_row,
                                                  const std::string& iso_now);
  Status ApplyAndLog(const DeviceRecord& dev, const Mutation& m, const PriorRow& prior,
                     const std::map<std::string, Value>& merged, const std::string& area, int64_t now_ms,
                     const std::string& iso_now, uint64_t device_cursor, std::optional<Rejection>* rej);
  Status LogChange(const DeviceRecord& dev, const Mutation& m, bool logged, const std::string& area,
                   bool deleted, int64_t now_ms, bool echo_ok);
  Result<int64_t> PlacementsTakingBed(const std::string& bed_id, const std::string& except,
                                      const std::string& from, const std::string& to);
  Result<bool> CapacityOver(const std::string& cap, const std::string& from, const std::string& to);
  Result<std::string> FieldOrigin(const std::string& entity, const std::string& row_id,
                                  const std::string& field);

  // hub_storage_sqlite_scope.cc
  Result<std::string> StoredArea(const std::string& entity, const std::string& row_id);
  static std::string HomeArea(const DeviceRecord& d);
  Result<std::string> AreaFor(const DeviceRecord& dev, const std::string& entity,
                              const std::map<std::string, Value>& merged, const std::string& stored);
  static bool InScope(const DeviceRecord& d, const std::string& entity, const std::string& area);
  Result<bool> Visible(const DeviceRecord& d, const std::string& entity, const std::string& row_id);

  std::mutex mu_;
  // During one Push: the stored area of each parent row (provider, referral) looked up so far, kept
  // equal to hub_change as the batch rewrites those rows' entries.
  std::map<std::pair<std::string, std::string>, std::string> parent_areas_;
  std::unique_ptr<Store> store_;
  internal::Schema schema_;
  Status open_status_;  // why the store cannot serve as a hub, if it cannot
};

}  // namespace berth::sync::internal

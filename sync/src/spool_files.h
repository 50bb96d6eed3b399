// The spool beside a store (sync/PROTOCOL.md section 11): its clear state file, the courier key file, the
// sealed boxes, the two flock files, and the wipe of a revoked device. Everything here works without the
// store's key. Internal to berth_sync.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "berth/schema/env.h"
#include "berth/schema/status.h"
#include "berth/sync/crypto.h"

namespace berth::sync::internal {

std::string SpoolDir(const std::string& store_dir);
std::string SpoolPath(const std::string& store_dir, const std::string& file);
// Creates <store>/spool (mode 0700) if missing.
Status EnsureSpoolDir(const std::string& store_dir);

// A spooled push batch waiting for the courier.
struct SpoolOutBatch {
  std::string file;
  uint64_t after_seq = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  int64_t entries = 0;
};

// A box the courier brought back: the answer to a spooled batch, or a pull page.
struct SpoolInBox {
  std::string file;
  bool page = false;
  uint64_t first_seq = 0;  // answers
  uint64_t last_seq = 0;
  uint64_t from_cursor = 0;  // pages
  uint64_t next_cursor = 0;
};

// The clear state file: no personal data, nothing secret (the pinned hub keys are public).
struct SpoolState {
  std::string device_id;
  std::string hub_url;
  Bytes hub_sign_pk;
  Bytes hub_kx_pk;
  uint64_t counter = 0;          // the courier's last request counter
  uint64_t cursor = 0;           // where the courier's next pull starts
  uint64_t spooled_through = 0;  // the last outbox seq sealed into a batch
  uint64_t next_in = 1;          // the number of the next in- box
  std::vector<SpoolOutBatch> out;
  std::vector<SpoolInBox> in;
  bool snapshot_required = false;  // the courier does not pull until a live sync has taken the snapshot
  int64_t last_run_ms = 0;
  std::string last_result;

  int64_t out_entries() const;
};

// kNotFound when there is no state file; kBadInput when it is not one.
Result<SpoolState> ReadSpoolState(Env& env, const std::string& store_dir);
// Replaces the state file atomically (a crash leaves the old one or the new one).
Status WriteSpoolState(Env& env, const std::string& store_dir, const SpoolState& state);

std::string CourierKeyPath(const std::string& store_dir);
// kNotFound when there is none.
Result<KeyPairs> ReadCourierKey(Env& env, const std::string& store_dir);
Status WriteCourierKey(Env& env, const std::string& store_dir, const KeyPairs& keys);

// An exclusive flock on a file of the spool, released when the object goes. Locks taken through two
// SpoolLocks conflict even within one process (flock locks belong to the open file).
class SpoolLock {
 public:
  SpoolLock() = default;
  SpoolLock(SpoolLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  SpoolLock& operator=(SpoolLock&& other) noexcept;
  SpoolLock(const SpoolLock&) = delete;
  SpoolLock& operator=(const SpoolLock&) = delete;
  ~SpoolLock();

  // kConflict when another holder has it.
  static Result<SpoolLock> Try(const std::string& path);
  // Waits for it (checking every 20 ms of `env`'s sleep); kNetwork-free: kConflict only if *cancel turns
  // true first.
  static Result<SpoolLock> Wait(Env& env, const std::string& path, const std::atomic<bool>* cancel);
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// `lock`: held by whoever changes the spool. `live.lock`: held by an unlocked Berth on this laptop.
std::string SpoolLockPath(const std::string& store_dir);
std::string LiveLockPath(const std::string& store_dir);
// True when an unlocked Berth holds live.lock right now.
bool LiveSideRunning(const std::string& store_dir);

// A revoked device wipes itself: the store (Store::Wipe: its key file overwritten first) and the spool
// (the courier key overwritten first). Returns the kNotAuthorised status to report.
Status WipeRevokedDevice(const std::string& store_dir, Env* env = nullptr);

}  // namespace berth::sync::internal

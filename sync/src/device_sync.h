// What the spool (spool.cc) needs from a device's live sync machinery (client.cc): the device's keys and
// pins, its outbox read in push batches, and the very code that applies a push answer or a pull page in a
// live sync, so a spooled night is applied exactly as a live one. Internal to berth_sync.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "berth/schema/store.h"
#include "berth/sync/client.h"
#include "berth/sync/crypto.h"
#include "berth/sync/wire.h"

namespace berth::sync::internal {

class DeviceSync {
 public:
  // kNotFound when the store is not enrolled with a hub.
  static Result<std::unique_ptr<DeviceSync>> Open(Store& store);
  ~DeviceSync();
  DeviceSync(const DeviceSync&) = delete;
  DeviceSync& operator=(const DeviceSync&) = delete;

  const KeyPairs& keys() const;
  const PublicKeys& hub() const;
  const std::string& device_id() const;
  const std::string& hub_url() const;

  Result<uint64_t> Cursor();
  Result<uint64_t> AckedThrough();  // every outbox entry up to it is acknowledged by the hub
  Result<bool> SnapshotInProgress();
  // The next push batch (the live push's limits) of outbox entries after `after_seq`; empty at the end.
  Result<PushRequest> NextPushBatch(uint64_t after_seq);
  // The live push-answer code, for those of the answer's entries still in the outbox (the others were
  // handled by an earlier answer, so a repeated answer changes nothing).
  Status ApplySpoolAnswer(const PushResponse& response);
  // The live page apply (rows and cursor in one transaction).
  Status ApplyPage(const PullResponse& page);
  const SyncSummary& summary() const;

 private:
  struct Impl;
  explicit DeviceSync(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth::sync::internal

// The unlocked side of sync while locked (sync/PROTOCOL.md section 11): sealing the outbox into the spool,
// and applying what the courier brought back.
#include "berth/sync/spool.h"

#include <fmt/format.h>
#include <sodium.h>

#include "device_sync.h"
#include "spool_files.h"

namespace berth::sync {

namespace {

using internal::SpoolLock;
using internal::SpoolState;

Env& EnvOr(Env* env) {
  return env != nullptr ? *env : *Env::Default();
}

// The state to start from: the spool's, or a fresh one; either way naming this device and its hub.
Result<SpoolState> LoadState(Env& env, const std::string& dir, internal::DeviceSync& dev) {
  auto read = internal::ReadSpoolState(env, dir);
  if (!read.ok() && read.status().code() != Code::kNotFound && read.status().code() != Code::kBadInput) {
    return read.status();
  }
  // An unreadable state file is started afresh: the outbox is the truth, so nothing is lost.
  SpoolState s = read.ok() ? std::move(read).value() : SpoolState{};
  if (!read.ok()) {
    BERTH_ASSIGN_OR_RETURN(s.cursor, dev.Cursor());
  }
  s.device_id = dev.device_id();
  s.hub_url = dev.hub_url();
  s.hub_sign_pk = dev.hub().sign_pk;
  s.hub_kx_pk = dev.hub().kx_pk;
  return s;
}

Bytes RandomId() {
  Bytes id(16);
  randombytes_buf(id.data(), id.size());
  return id;
}

}  // namespace

Result<SpoolOutResult> SpoolOutbox(Store& store, Env* env_in) {
  Env& env = EnvOr(env_in);
  const std::string dir = store.dir();
  BERTH_ASSIGN_OR_RETURN(auto dev, internal::DeviceSync::Open(store));
  BERTH_RETURN_IF_ERROR(internal::EnsureSpoolDir(dir));
  SpoolOutResult result;
  auto lock = SpoolLock::Try(internal::SpoolLockPath(dir));
  if (!lock.ok()) {
    if (lock.status().code() != Code::kConflict) return lock.status();
    result.busy = true;
    return result;
  }
  BERTH_ASSIGN_OR_RETURN(SpoolState state, LoadState(env, dir, *dev));
  BERTH_ASSIGN_OR_RETURN(const uint64_t acked, dev->AckedThrough());
  // Batches the hub has acknowledged since go. So does every batch from one whose file is missing: the
  // chain of after_seq would break there, so those entries are sealed again below.
  std::vector<internal::SpoolOutBatch> keep;
  bool broken = false;
  for (const auto& b : state.out) {
    const std::string path = internal::SpoolPath(dir, b.file);
    if (b.last_seq > acked && !broken && env.FileExists(path)) {
      keep.push_back(b);
      continue;
    }
    broken = broken || b.last_seq > acked;
    BERTH_RETURN_IF_ERROR(env.RemoveFile(path));
  }
  state.out = std::move(keep);
  // Where the next batch starts: after the last batch still spooled; else after what the hub has (its
  // acknowledgement, or the batches a courier carried whose answers this store has not applied yet).
  uint64_t after = acked;
  if (!state.out.empty()) {
    after = state.out.back().last_seq;
  } else if (!broken) {
    after = std::max(acked, state.spooled_through);
  }
  state.spooled_through = after;
  BERTH_ASSIGN_OR_RETURN(const bool snapshot, dev->SnapshotInProgress());
  if (state.in.empty()) {
    BERTH_ASSIGN_OR_RETURN(state.cursor, dev->Cursor());
    state.snapshot_required = snapshot;
  }
  while (true) {
    BERTH_ASSIGN_OR_RETURN(PushRequest push, dev->NextPushBatch(after));
    if (push.entries.empty()) break;
    SpooledBatch batch;
    batch.batch_id = RandomId();
    batch.after_seq = after;
    batch.push = std::move(push);
    internal::SpoolOutBatch entry;
    entry.after_seq = after;
    entry.first_seq = batch.push.entries.front().seq;
    entry.last_seq = batch.push.entries.back().seq;
    entry.entries = static_cast<int64_t>(batch.push.entries.size());
    entry.file = fmt::format("out-{:020}.box", entry.last_seq);
    BERTH_ASSIGN_OR_RETURN(Bytes box, SealBox(dev->keys(), dev->hub().kx_pk, BoxPurpose::kSpooledPush,
                                              dev->device_id(), Compress(Encode(batch))));
    BERTH_RETURN_IF_ERROR(
        env.WriteFile(internal::SpoolPath(dir, entry.file),
                      std::string_view(reinterpret_cast<const char*>(box.data()), box.size())));
    state.out.push_back(entry);
    result.batches++;
    result.entries += entry.entries;
    after = entry.last_seq;
    state.spooled_through = after;
  }
  BERTH_RETURN_IF_ERROR(internal::WriteSpoolState(env, dir, state));
  return result;
}

Result<SpoolApplySummary> ApplySpool(Store& store, const ProgressFn& progress,
                                     const std::atomic<bool>* cancel, Env* env_in) {
  Env& env = EnvOr(env_in);
  const std::string dir = store.dir();
  SpoolApplySummary summary;
  if (!env.FileExists(internal::SpoolPath(dir, "state"))) return summary;
  auto opened = internal::DeviceSync::Open(store);
  if (!opened.ok() && opened.status().code() == Code::kNotFound) return summary;
  BERTH_ASSIGN_OR_RETURN(auto dev, std::move(opened));
  auto lock = SpoolLock::Wait(env, internal::SpoolLockPath(dir), cancel);
  if (!lock.ok()) {
    if (cancel != nullptr && cancel->load()) {
      summary.cancelled = true;
      return summary;
    }
    return lock.status();
  }
  BERTH_ASSIGN_OR_RETURN(SpoolState state, LoadState(env, dir, *dev));
  const int64_t conflicts_before = dev->summary().conflicts;
  size_t done = 0;
  for (; done < state.in.size(); ++done) {
    if (cancel != nullptr && cancel->load()) {
      summary.cancelled = true;
      break;
    }
    if (progress)
      progress(SyncProgress{"spool", static_cast<int64_t>(done), static_cast<int64_t>(state.in.size())});
    const internal::SpoolInBox& box = state.in[done];
    auto bytes = env.ReadFile(internal::SpoolPath(dir, box.file));
    if (!bytes.ok()) {
      if (bytes.status().code() == Code::kNotFound) continue;  // lost: a live sync fetches it again
      return bytes.status();
    }
    const Bytes sealed(bytes->begin(), bytes->end());
    const BoxPurpose purpose = box.page ? BoxPurpose::kPullPage : BoxPurpose::kPushAnswer;
    // Only what the pinned hub sealed to this device counts; the clear state is the courier's bookkeeping.
    auto plain = OpenBox(dev->keys(), dev->hub(), purpose, dev->device_id(), sealed);
    Result<Bytes> payload = plain.ok() ? Decompress(*plain) : Result<Bytes>(plain.status());
    if (!payload.ok()) {
      summary.refused++;
      continue;
    }
    if (!box.page) {
      auto answer = DecodeSpoolAnswer(*payload);
      if (!answer.ok()) {
        summary.refused++;
        continue;
      }
      const int64_t pushed_before = dev->summary().pushed, rejected_before = dev->summary().rejected;
      BERTH_RETURN_IF_ERROR(dev->ApplySpoolAnswer(answer->response));
      summary.acknowledged += dev->summary().pushed - pushed_before;
      summary.rejected += dev->summary().rejected - rejected_before;
      summary.answers++;
    } else {
      auto page = DecodeSpoolPage(*payload);
      if (!page.ok()) {
        summary.refused++;
        continue;
      }
      BERTH_ASSIGN_OR_RETURN(const uint64_t cursor, dev->Cursor());
      BERTH_ASSIGN_OR_RETURN(const bool snapshot, dev->SnapshotInProgress());
      if (snapshot || summary.gap || page->page.next_cursor <= cursor) {
        // Already applied (or older): nothing to do. In a snapshot, the live sync owns the cursor.
      } else if (page->from_cursor > cursor) {
        summary.gap = true;  // a page is missing before this one: the live sync fetches the rest
      } else {
        BERTH_RETURN_IF_ERROR(dev->ApplyPage(page->page));
        summary.pages++;
        summary.rows += static_cast<int64_t>(page->page.rows.size());
      }
    }
    summary.boxes++;
  }
  for (size_t i = 0; i < done; ++i)
    BERTH_RETURN_IF_ERROR(env.RemoveFile(internal::SpoolPath(dir, state.in[i].file)));
  state.in.erase(state.in.begin(), state.in.begin() + static_cast<std::ptrdiff_t>(done));
  if (state.in.empty()) {
    BERTH_ASSIGN_OR_RETURN(state.cursor, dev->Cursor());
    BERTH_ASSIGN_OR_RETURN(state.snapshot_required, dev->SnapshotInProgress());
  }
  // Spooled batches the answers settled need no courier any more.
  BERTH_ASSIGN_OR_RETURN(const uint64_t acked, dev->AckedThrough());
  std::vector<internal::SpoolOutBatch> keep;
  for (const auto& b : state.out) {
    if (b.last_seq <= acked) {
      BERTH_RETURN_IF_ERROR(env.RemoveFile(internal::SpoolPath(dir, b.file)));
    } else {
      keep.push_back(b);
    }
  }
  state.out = std::move(keep);
  BERTH_RETURN_IF_ERROR(internal::WriteSpoolState(env, dir, state));
  summary.conflicts = dev->summary().conflicts - conflicts_before;
  if (progress) progress(SyncProgress{"spool", static_cast<int64_t>(done), static_cast<int64_t>(done)});
  return summary;
}

Result<SpoolStatus> GetSpoolStatus(const std::string& store_dir, Env* env_in) {
  Env& env = EnvOr(env_in);
  SpoolStatus st;
  auto state = internal::ReadSpoolState(env, store_dir);
  if (!state.ok()) {
    if (state.status().code() == Code::kNotFound) return st;
    return state.status();
  }
  st.exists = true;
  st.courier_key = env.FileExists(internal::CourierKeyPath(store_dir));
  st.out_batches = static_cast<int64_t>(state->out.size());
  st.out_entries = state->out_entries();
  st.in_boxes = static_cast<int64_t>(state->in.size());
  st.last_run_ms = state->last_run_ms;
  st.last_result = state->last_result;
  return st;
}

struct LiveSyncMarker::Held {
  SpoolLock lock;
};

LiveSyncMarker::LiveSyncMarker(const std::string& store_dir) {
  if (!internal::EnsureSpoolDir(store_dir).ok()) return;
  auto lock = SpoolLock::Try(internal::LiveLockPath(store_dir));
  // Held elsewhere (another unlocked Berth on this laptop): that one already keeps the courier away.
  if (lock.ok()) held_ = std::make_unique<Held>(Held{std::move(lock).value()});
}

LiveSyncMarker::~LiveSyncMarker() = default;

}  // namespace berth::sync

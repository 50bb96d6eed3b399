// Background sync (auto_sync.h): syncs whenever online and on the nightly timer, reports progress to the
// window and hands the outbox to the courier while the store is locked.

#include "berth/sync/auto_sync.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <chrono>

namespace berth::sync {

namespace {

constexpr size_t kMaxEvents = 32;

float StepFraction(const SyncProgress& p) {
  if (p.phase == "spool")
    return p.pulled > 0 ? static_cast<float>(p.pushed) / static_cast<float>(p.pulled) : -1;
  if (p.phase == "ping" || p.phase == "courier key") return 0.05f;
  if (p.phase == "push" || p.phase == "upload") return 0.3f;
  if (p.phase == "pull") return 0.7f;
  return p.phase == "done" ? 1.0f : -1.0f;
}

std::string Describe(const SyncSummary& s) {
  std::string out = fmt::format("sent {}, received {} rows", s.pushed, s.pulled_rows);
  if (s.rejected > 0) out += fmt::format(", {} refused by the hub", s.rejected);
  if (s.conflicts > 0) out += fmt::format(", {} new conflicts", s.conflicts);
  return out;
}

}  // namespace

AutoSync::~AutoSync() {
  Stop();
}

void AutoSync::StartUnlocked(std::unique_ptr<Store> connection, const AutoSyncOptions& options) {
  Stop();
  store_dir_ = connection->dir();
  store_ = std::move(connection);
  options_ = options;
  env_ = options.env != nullptr ? options.env : Env::Default();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
    now_ = true;  // the first sync right after the unlock
    backoff_ms_ = 0;
    rng_ = randombytes_random() | 1u;
    status_ = AutoSyncStatus{};
    status_.phase = AutoSyncPhase::kWaiting;
    events_.clear();
  }
  cancel_ = false;
  thread_ = std::thread([this] { RunUnlocked(); });
}

void AutoSync::StartLocked(const std::string& store_dir, const AutoSyncOptions& options) {
  Stop();
  store_dir_ = store_dir;
  options_ = options;
  if (options_.courier.hub_url.empty()) options_.courier.hub_url = options.sync.hub_url;
  env_ = options.env != nullptr ? options.env : Env::Default();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
    now_ = true;
    backoff_ms_ = 0;
    rng_ = randombytes_random() | 1u;
    status_ = AutoSyncStatus{};
    status_.phase = AutoSyncPhase::kWaiting;
    status_.locked = true;
    events_.clear();
  }
  cancel_ = false;
  thread_ = std::thread([this] { RunLocked(); });
}

void AutoSync::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cancel_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (store_ != nullptr) {
    store_->Lock();
    store_.reset();
  }
  std::lock_guard<std::mutex> lock(mu_);
  status_.phase = AutoSyncPhase::kStopped;
  status_.step.clear();
  status_.fraction = -1;
}

bool AutoSync::running() const {
  return thread_.joinable();
}

void AutoSync::SyncNow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    now_ = true;
  }
  cv_.notify_all();
}

void AutoSync::Cancel() {
  cancel_ = true;
}

void AutoSync::SetInterval(int64_t interval_ms) {
  if (interval_ms <= 0) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    options_.interval_ms = interval_ms;
    backoff_ms_ = std::min(backoff_ms_, interval_ms);
    if (env_ != nullptr && status_.next_due_ms > env_->NowMs() + interval_ms) {
      status_.next_due_ms = env_->NowMs() + interval_ms;
    }
  }
  cv_.notify_all();
}

AutoSyncStatus AutoSync::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

std::vector<AutoSyncEvent> AutoSync::TakeEvents() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AutoSyncEvent> out;
  out.swap(events_);
  return out;
}

void AutoSync::Push(AutoSyncEvent e) {
  std::lock_guard<std::mutex> lock(mu_);
  if (events_.size() >= kMaxEvents) events_.erase(events_.begin());
  events_.push_back(std::move(e));
}

void AutoSync::Progress(const SyncProgress& p) {
  std::lock_guard<std::mutex> lock(mu_);
  status_.step = p.phase;
  status_.fraction = StepFraction(p);
}

bool AutoSync::WaitUntilDue() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (now_ || env_->NowMs() >= status_.next_due_ms) {
      now_ = false;
      cancel_ = false;  // under the lock: a Stop() that comes later still cancels what starts now
      return true;
    }
    // The clock may be a test's, moved from outside: it is looked at again at least every 200 ms.
    const int64_t left = status_.next_due_ms - env_->NowMs();
    cv_.wait_for(lock, std::chrono::milliseconds(std::clamp<int64_t>(left, 1, 200)));
  }
  return false;
}

void AutoSync::Schedule(bool ok, bool unreachable) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t wait = options_.interval_ms;
  if (ok) {
    backoff_ms_ = 0;
  } else if (unreachable) {
    // Soon at first, then less often; never later than a minute or the interval, so a laptop that
    // regains the network syncs soon after, with no key pressed.
    backoff_ms_ = backoff_ms_ == 0 ? options_.first_retry_ms : backoff_ms_ * 2;
    backoff_ms_ = std::min({backoff_ms_, options_.max_retry_ms, options_.interval_ms});
    wait = backoff_ms_;
  }
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 17;
  rng_ ^= rng_ << 5;
  const double spread = options_.jitter * static_cast<double>(rng_ % 10000) / 10000.0;
  wait -= static_cast<int64_t>(static_cast<double>(wait) * spread);
  status_.next_due_ms = env_->NowMs() + std::max<int64_t>(wait, 1);
  status_.phase = AutoSyncPhase::kWaiting;
  status_.step.clear();
  status_.fraction = -1;
}

void AutoSync::RunUnlocked() {
  LiveSyncMarker live(store_dir_);  // a courier started by the timer leaves this laptop to us
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.phase = AutoSyncPhase::kApplyingSpool;
    status_.step = "spool";
  }
  // The night first: what the courier brought while the laptop was locked.
  auto night = ApplySpool(
      *store_, [this](const SyncProgress& p) { Progress(p); }, &cancel_);
  if (!night.ok()) {
    Push(AutoSyncEvent{AutoSyncEvent::Kind::kFailed, {}, {}, night.status()});
  } else if (night->boxes > 0) {
    Push(AutoSyncEvent{AutoSyncEvent::Kind::kSpoolApplied, {}, *night, Status::Ok()});
  }
  bool rotate = true;  // the first sync of each unlock registers a new courier key
  while (WaitUntilDue()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.phase = AutoSyncPhase::kSyncing;
      status_.step = "ping";
      status_.fraction = 0;
      status_.attempts++;
      status_.last_attempt_ms = env_->NowMs();
    }
    SyncOptions o = options_.sync;
    o.rotate_courier = rotate;
    auto r = SyncOnce(
        *store_, o, [this](const SyncProgress& p) { Progress(p); }, &cancel_);
    if (r.ok()) {
      if (!r->cancelled) rotate = false;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!r->cancelled) {
          status_.successes++;
          status_.last_ok_ms = env_->NowMs();
        }
        status_.offline = false;
        status_.last_result = r->cancelled ? "cancelled" : Describe(*r);
      }
      if (!r->cancelled) Push(AutoSyncEvent{AutoSyncEvent::Kind::kSynced, *r, {}, Status::Ok()});
      Schedule(true, false);
    } else if (store_->locked()) {
      // Revoked: SyncOnce has wiped the store. Nothing more to do here, ever.
      {
        std::lock_guard<std::mutex> lock(mu_);
        status_.last_result = r.status().message();
        status_.phase = AutoSyncPhase::kStopped;
      }
      Push(AutoSyncEvent{AutoSyncEvent::Kind::kRevoked, {}, {}, r.status()});
      return;
    } else if (r.status().code() == Code::kNotFound) {
      // Not enrolled with a hub: nothing to sync with until an unlock after `berth enroll`.
      std::lock_guard<std::mutex> lock(mu_);
      status_.last_result = r.status().message();
      status_.phase = AutoSyncPhase::kStopped;
      return;
    } else {
      const bool unreachable = r.status().code() == Code::kNetwork;
      {
        std::lock_guard<std::mutex> lock(mu_);
        status_.offline = unreachable;
        status_.last_result = r.status().message();
      }
      // The hub is out of reach: what waits is sealed into the spool, for the courier if the laptop locks.
      if (unreachable) (void)SpoolOutbox(*store_);
      Push(AutoSyncEvent{AutoSyncEvent::Kind::kFailed, {}, {}, r.status()});
      Schedule(false, unreachable);
    }
    auto pending = store_->db().QueryInt("SELECT count(*) FROM outbox");
    std::lock_guard<std::mutex> lock(mu_);
    status_.pending = pending.ok() ? *pending : -1;
  }
}

void AutoSync::RunLocked() {
  while (WaitUntilDue()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.phase = AutoSyncPhase::kCourier;
      status_.step = "courier";
      status_.attempts++;
      status_.last_attempt_ms = env_->NowMs();
    }
    auto r = RunCourier(
        store_dir_, options_.courier, [this](const SyncProgress& p) { Progress(p); }, &cancel_);
    if (r.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        status_.successes++;
        status_.last_ok_ms = env_->NowMs();
        status_.offline = false;
        status_.last_result = r->skipped_unlocked
                                  ? "Berth is unlocked elsewhere on this laptop"
                                  : fmt::format("carried {} changes and {} pages", r->entries, r->pages);
      }
      Schedule(true, false);
      continue;
    }
    const Code code = r.status().code();
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.offline = code == Code::kNetwork;
      status_.last_result = r.status().message();
    }
    if (code == Code::kNotFound || code == Code::kNotAuthorised) {
      // Nothing to carry until an unlocked sync registers a courier key (or the device was revoked and
      // the courier has wiped it): this loop has no more to do.
      if (!Store::Exists(store_dir_)) Push(AutoSyncEvent{AutoSyncEvent::Kind::kRevoked, {}, {}, r.status()});
      std::lock_guard<std::mutex> lock(mu_);
      status_.phase = AutoSyncPhase::kStopped;
      return;
    }
    Schedule(false, code == Code::kNetwork);
  }
}

}  // namespace berth::sync

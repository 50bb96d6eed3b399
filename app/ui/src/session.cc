// The window's session (session.h): the unlocked store, its actor and background auto-sync; locking wipes
// the keys and hands the outbox to the courier.

#include "session.h"

#include <chrono>

#include "berth/sync/spool.h"

namespace berth::ui {

WindowSession::WindowSession(std::string store_dir, std::string actor)
    : store_dir_(std::move(store_dir)), actor_(std::move(actor)) {
  // Locked from the start: the window carries the courier's boxes while it waits for a passphrase.
  if (Store::Exists(store_dir_)) auto_sync_.StartLocked(store_dir_, auto_sync_options_);
}

// Closing the window while unlocked locks it (the outbox is spooled for the timer's courier).
WindowSession::~WindowSession() {
  if (pending_.valid()) pending_.wait();
  if (store_ != nullptr) LockStore(/*start_courier=*/false);
  auto_sync_.Stop();
  worker_.Stop();
}

void WindowSession::Adopt(std::unique_ptr<Store> store) {
  auto_sync_.Stop();
  worker_.Stop();
  store_ = std::move(store);
  ++generation_;
  worker_.Start(store_.get());
  StartBackgroundSync();
}

void WindowSession::set_auto_sync_options(const sync::AutoSyncOptions& options) {
  auto_sync_options_ = options;
  if (store_ == nullptr && auto_sync_.running() && Store::Exists(store_dir_)) {
    auto_sync_.StartLocked(store_dir_, auto_sync_options_);
  }
}

void WindowSession::SetSyncInterval(int64_t interval_ms) {
  auto_sync_options_.interval_ms = interval_ms;
  auto_sync_.SetInterval(interval_ms);
}

// Its own connection (no passphrase needed: Store::Connect), so it never waits on the worker.
void WindowSession::StartBackgroundSync() {
  auto connection = store_->Connect();
  if (connection.ok()) auto_sync_.StartUnlocked(std::move(connection).value(), auto_sync_options_);
}

bool WindowSession::store_exists() const {
  return Store::Exists(store_dir_);
}

namespace {
std::string Explain(const Status& st) {
  switch (st.code()) {
    case Code::kWrongPassphrase:
      return "That passphrase does not open this store. Check Caps Lock and try again.";
    case Code::kIntegrity:
      return "The store has been damaged or tampered with: " + st.message();
    default:
      return st.message();
  }
}
}  // namespace

void WindowSession::BeginUnlock(Secret passphrase) {
  if (busy()) return;
  error_.clear();
  StoreOptions options;
  options.actor = actor_;
  pending_ = std::async(std::launch::async, [dir = store_dir_, p = std::move(passphrase), options]() {
    auto r = Store::Open(dir, p, options);
    if (!r.ok()) return Outcome{r.status(), nullptr, Secret()};
    return Outcome{Status::Ok(), std::move(r).value(), Secret()};
  });
}

void WindowSession::BeginCreate(Secret passphrase) {
  if (busy()) return;
  error_.clear();
  StoreOptions options;
  options.actor = actor_;
  pending_ = std::async(std::launch::async, [dir = store_dir_, p = std::move(passphrase), options]() {
    Secret recovery;
    auto r = Store::Create(dir, p, &recovery, options);
    if (!r.ok()) return Outcome{r.status(), nullptr, Secret()};
    return Outcome{Status::Ok(), std::move(r).value(), std::move(recovery)};
  });
}

void WindowSession::BeginRecover(Secret recovery_key, Secret new_passphrase) {
  if (busy()) return;
  error_.clear();
  StoreOptions options;
  options.actor = actor_;
  pending_ = std::async(std::launch::async, [dir = store_dir_, k = std::move(recovery_key),
                                             p = std::move(new_passphrase), options]() {
    Status st = Store::Recover(dir, k, p);
    if (!st.ok()) return Outcome{st, nullptr, Secret()};
    auto r = Store::Open(dir, p, options);
    if (!r.ok()) return Outcome{r.status(), nullptr, Secret()};
    return Outcome{Status::Ok(), std::move(r).value(), Secret()};
  });
}

bool WindowSession::Poll() {
  if (!pending_.valid() || pending_.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    return false;
  Outcome out = pending_.get();
  if (!out.status.ok()) {
    error_ = Explain(out.status);
    return true;
  }
  store_ = std::move(out.store);
  recovery_key_ = std::move(out.recovery_key);
  ++generation_;
  auto_sync_.Stop();  // the courier: the unlocked side takes over
  worker_.Start(store_.get());
  StartBackgroundSync();
  return true;
}

void WindowSession::Lock() {
  if (pending_.valid()) pending_.wait();
  LockStore(/*start_courier=*/true);
}

void WindowSession::LockBecause(std::string reason) {
  Lock();
  error_ = std::move(reason);
}

void WindowSession::LockStore(bool start_courier) {
  auto_sync_.Stop();  // at once, even mid-request: the exchange is abandoned, not awaited
  worker_.Stop();
  const bool was_unlocked = store_ != nullptr;
  // What waits to be sent is sealed for the courier before the keys go (local work, no network). A store
  // wiped by a revocation has no key file any more: nothing is written beside its remains.
  if (store_ != nullptr && Store::Exists(store_dir_)) (void)sync::SpoolOutbox(*store_);
  if (store_) store_->Lock();
  store_.reset();
  recovery_key_.Wipe();
  error_.clear();
  if (start_courier && was_unlocked && Store::Exists(store_dir_)) {
    auto_sync_.StartLocked(store_dir_, auto_sync_options_);
  }
}

}  // namespace berth::ui

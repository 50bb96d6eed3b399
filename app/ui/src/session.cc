#include "session.h"

#include <chrono>

namespace berth::ui {

Session::Session(std::string store_dir, std::string actor)
    : store_dir_(std::move(store_dir)), actor_(std::move(actor)) {}

Session::~Session() {
  if (pending_.valid()) pending_.wait();
  worker_.Stop();
}

void Session::Adopt(std::unique_ptr<Store> store) {
  worker_.Stop();
  store_ = std::move(store);
  ++generation_;
  worker_.Start(store_.get());
}

bool Session::store_exists() const {
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

void Session::BeginUnlock(Secret passphrase) {
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

void Session::BeginCreate(Secret passphrase) {
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

void Session::BeginRecover(Secret recovery_key, Secret new_passphrase) {
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

bool Session::Poll() {
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
  worker_.Start(store_.get());
  return true;
}

void Session::Lock() {
  if (pending_.valid()) pending_.wait();
  worker_.Stop();
  if (store_) store_->Lock();
  store_.reset();
  recovery_key_.Wipe();
  error_.clear();
}

}  // namespace berth::ui

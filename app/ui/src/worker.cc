// The store worker (worker.h): one thread that owns store access for the window, so a frame never waits
// on SQLite.

#include "worker.h"

namespace berth::ui {

void StoreWorker::Start(Store* store) {
  Stop();
  store_ = store;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void StoreWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    queue_.clear();
    progress_.Cancel();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  done_.clear();  // results may hold personal data: dropped, never shown after a lock
  busy_ = false;
  current_.clear();
  store_ = nullptr;
}

void StoreWorker::Post(std::string label, Task task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!thread_.joinable()) return;
    queue_.push_back(Item{std::move(label), std::move(task)});
  }
  cv_.notify_all();
}

int StoreWorker::Pump() {
  std::deque<Continuation> ready;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ready.swap(done_);
  }
  int n = 0;
  for (auto& c : ready) {
    if (c) c();
    ++n;
  }
  return n;
}

void StoreWorker::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return stop_ || (queue_.empty() && !busy_); });
}

bool StoreWorker::idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.empty() && !busy_;
}

std::string StoreWorker::current_label() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

void StoreWorker::Run() {
  for (;;) {
    Item item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      current_ = item.label;
      progress_.Reset();
    }
    Continuation c = item.task(*store_, progress_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      busy_ = false;
      current_.clear();
      if (!stop_ && c) done_.push_back(std::move(c));
    }
    cv_.notify_all();
  }
}

}  // namespace berth::ui

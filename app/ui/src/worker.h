// The store's own thread. While the store is unlocked, every read and write of it runs here, one task at a
// time and in order, so the UI thread never waits on disk (a Store belongs to one thread at a time; this is
// that thread). A task returns a continuation that the UI thread runs at the start of its next frame, which
// is how results (view models, errors) reach the panels.
//
// Long tasks report progress and poll cancellation through JobProgress; the status bar shows both.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "berth/schema/store.h"

namespace berth::ui {

class JobProgress {
 public:
  // 0..1, or negative for "unknown".
  void Set(float fraction) { fraction_.store(fraction); }
  float fraction() const { return fraction_.load(); }
  bool cancelled() const { return cancel_.load(); }
  void Cancel() { cancel_.store(true); }
  const std::atomic<bool>* cancel_flag() const { return &cancel_; }
  void Reset() {
    fraction_.store(-1);
    cancel_.store(false);
  }

 private:
  std::atomic<float> fraction_{-1};
  std::atomic<bool> cancel_{false};
};

class StoreWorker {
 public:
  using Continuation = std::function<void()>;
  using Task = std::function<Continuation(Store&, JobProgress&)>;

  StoreWorker() = default;
  ~StoreWorker() { Stop(); }
  StoreWorker(const StoreWorker&) = delete;
  StoreWorker& operator=(const StoreWorker&) = delete;

  // Starts the thread; `store` must outlive Stop().
  void Start(Store* store);
  // Cancels the running task, drops queued tasks and undelivered results, joins the thread.
  void Stop();
  bool running() const { return thread_.joinable(); }

  // Queues a task. `label` is what the status bar shows while it runs ("Loading the queue").
  void Post(std::string label, Task task);
  // UI thread, once a frame: runs the continuations of finished tasks. Returns how many ran.
  int Pump();
  // Blocks until every queued task has finished (tests and screenshots only; never in a frame).
  void WaitIdle();
  bool idle() const;

  // The running task, for the status bar.
  std::string current_label() const;
  float progress() const { return progress_.fraction(); }
  void CancelCurrent() { progress_.Cancel(); }

 private:
  struct Item {
    std::string label;
    Task task;
  };
  void Run();

  Store* store_ = nullptr;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  std::deque<Continuation> done_;
  std::string current_;
  bool busy_ = false;
  bool stop_ = false;
  JobProgress progress_;
};

}  // namespace berth::ui

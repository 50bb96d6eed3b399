#include "checkpointer.h"

#include <sqlite3.h>

#include <utility>

namespace berth {

BackgroundCheckpointer::BackgroundCheckpointer(std::unique_ptr<Store> connection)
    : connection_(std::move(connection)), thread_([this] { Run(); }) {}

BackgroundCheckpointer::~BackgroundCheckpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  // A copy of tens of MiB takes a fraction of a second; a store being locked should not wait for it.
  // What it copied stays copied; the rest waits in the WAL for the next checkpoint.
  sqlite3_interrupt(connection_->db().raw());
  cv_.notify_one();
  thread_.join();
  connection_.reset();
}

void BackgroundCheckpointer::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_one();
}

void BackgroundCheckpointer::WaitIdle() {
  std::unique_lock<std::mutex> lock(mu_);
  wake_ = false;
  idle_.wait(lock, [this] { return !running_; });
}

void BackgroundCheckpointer::WaitSettled() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return (!wake_ && !running_) || stop_; });
}

void BackgroundCheckpointer::Run() {
  sqlite3* db = connection_->db().raw();
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      running_ = false;
      idle_.notify_all();
      cv_.wait(lock, [this] { return wake_ || stop_; });
      if (stop_) return;
      wake_ = false;
      running_ = true;
    }
    // Passive: copies what no reader still needs and never waits for a reader or the writer; the writer
    // restarts the WAL at its next transaction once every frame has been copied.
    const int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    if (rc == SQLITE_OK) {
      completed_.fetch_add(1);
      failed_ = false;
    } else if (rc != SQLITE_BUSY && rc != SQLITE_INTERRUPT) {
      failed_ = true;
    }
  }
}

}  // namespace berth

// BackgroundCheckpointer: folds a store's WAL back into its database file on a thread of its own, on a
// connection of its own, so that the connection that commits never waits for the copy (FORMAT.md,
// "Checkpoints"). Private to schema/src; Store::Impl owns one, made the first time its WAL passes
// StoreOptions::checkpoint_pages.
// Threads: the constructor, Wake(), WaitIdle() and the destructor are called by the thread that uses the
// store's writing connection; the copy runs on the checkpointer's thread, on `connection`, which nothing else
// uses.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "berth/schema/store.h"

namespace berth {

class BackgroundCheckpointer {
 public:
  explicit BackgroundCheckpointer(std::unique_ptr<Store> connection);
  // Interrupts a copy under way, joins the thread, then closes the connection (its key is wiped).
  ~BackgroundCheckpointer();
  BackgroundCheckpointer(const BackgroundCheckpointer&) = delete;
  BackgroundCheckpointer& operator=(const BackgroundCheckpointer&) = delete;

  // Asks for a passive checkpoint (one more if one is running); returns at once.
  void Wake();
  // Cancels a checkpoint asked for and not begun, and waits for the one under way to end: the writer
  // then checkpoints itself, which a checkpoint on this thread would make return SQLITE_BUSY.
  void WaitIdle();
  // Waits until no checkpoint is asked for or under way, so that a test can lay the thread's file changes
  // between the writer's in a fixed order (leveldb's TEST_ hooks' way).
  void WaitSettled();
  // The last checkpoint failed: the writer checkpoints itself, where SQLite reports the error.
  bool failed() const { return failed_.load(); }
  // Checkpoints run to the end on the thread (each copies every frame no reader still needs).
  int64_t completed() const { return completed_.load(); }

 private:
  void Run();

  std::unique_ptr<Store> connection_;
  std::mutex mu_;                 // guards wake_, stop_ and running_
  std::condition_variable cv_;    // wake_ or stop_ set
  std::condition_variable idle_;  // running_ cleared (wake_ may be set again)
  bool wake_ = false;
  bool stop_ = false;
  bool running_ = false;
  std::atomic<bool> failed_{false};
  std::atomic<int64_t> completed_{0};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace berth

// The store's worker thread: tasks run in order off the UI thread, their results reach the UI thread only
// when it pumps, a running task sees cancellation, and stopping (a lock) drops results undelivered.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "support/test_support.h"
#include "worker.h"

namespace berth::ui {
namespace {

std::unique_ptr<Store> MakeStore(const std::string& dir) {
  Secret recovery;
  StoreOptions o;
  o.kdf = KdfParams::Fast();
  auto r = Store::Create(dir, Secret("worker test"), &recovery, o);
  EXPECT_TRUE(r.ok());
  return r.ok() ? std::move(r).value() : nullptr;
}

TEST(StoreWorker, RunsTasksInOrderAndDeliversResultsOnlyWhenPumped) {
  testing::TempDir tmp;
  auto store = MakeStore(tmp.Sub("s"));
  StoreWorker w;
  w.Start(store.get());
  std::vector<int> ran;  // written by the worker, read after WaitIdle
  std::vector<int> delivered;
  const auto ui_thread = std::this_thread::get_id();
  std::atomic<bool> off_ui_thread{true};
  for (int i = 0; i < 5; ++i) {
    w.Post("task", [&, i](Store&, JobProgress&) {
      off_ui_thread = off_ui_thread && std::this_thread::get_id() != ui_thread;
      ran.push_back(i);
      return [&delivered, i] { delivered.push_back(i); };
    });
  }
  w.WaitIdle();
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(off_ui_thread);
  EXPECT_TRUE(delivered.empty());  // nothing reaches the UI until it pumps
  EXPECT_EQ(w.Pump(), 5);
  EXPECT_EQ(delivered, (std::vector<int>{0, 1, 2, 3, 4}));
  w.Stop();
}

TEST(StoreWorker, ARunningTaskSeesCancelAndStopDropsUndeliveredResults) {
  testing::TempDir tmp;
  auto store = MakeStore(tmp.Sub("s"));
  std::promise<void> started;  // declared before the worker: it outlives the task
  std::atomic<bool> saw_cancel{false};
  StoreWorker w;
  w.Start(store.get());
  w.Post("long job", [&](Store&, JobProgress& p) {
    started.set_value();
    // A job of many small steps that looks at its cancel flag after each (a step here is a short nap).
    for (int i = 0; i < 2000 && !p.cancelled(); ++i) {
      p.Set(static_cast<float>(i) / 2000.0f);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    saw_cancel = p.cancelled();
    return StoreWorker::Continuation([] {});
  });
  // Waits for the job to be running; the bound only turns a hang into a failure.
  ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(w.current_label(), "long job");
  w.CancelCurrent();
  w.WaitIdle();
  EXPECT_TRUE(saw_cancel);
  EXPECT_TRUE(w.current_label().empty());

  bool shown = false;
  w.Post("result", [&](Store&, JobProgress&) { return [&shown] { shown = true; }; });
  w.WaitIdle();
  w.Stop();  // a lock: the finished result holds data the user may no longer see
  EXPECT_EQ(w.Pump(), 0);
  EXPECT_FALSE(shown);
}

}  // namespace
}  // namespace berth::ui

// The SQLite hub answers a pull while a push holds its store's writer (PROTOCOL.md section 10): the pull's
// requests read the device on a connection of their own and advance its replay counter in counters.db,
// so nothing of a pull queues behind a push. The push is held mid-batch by count (hub_doubles.h), never
// by timing. SQLite only (sync_tests): the PostgreSQL hub takes no process-wide lock at all.
#include <gtest/gtest.h>

#include <future>

#include "hub_doubles.h"
#include "hub_harness.h"

namespace berth::testing {
namespace {

constexpr auto kHangLimit = std::chrono::seconds(120);  // only ever reached when a request hangs

TEST(HubQueueing, APullIsAnsweredWhileAPushIsHeldInsideItsBatch) {
  TempDir tmp;
  HubProcess admin(tmp.Sub("hub"));
  auto storage =
      std::make_unique<HubStorageThatPausesMidBatch>(InProcessHub::OpenSqliteStore(admin.dir()), 5);
  HubStorageThatPausesMidBatch* pausing = storage.get();
  InProcessHub live(std::move(storage));
  auto a = Device::Create(tmp.Sub("a"));
  auto b = Device::Create(tmp.Sub("b"));
  ASSERT_TRUE(a->EnrollAt(live.url(), admin).ok());
  ASSERT_TRUE(b->EnrollAt(live.url(), admin).ok());
  const std::string home = a->Write("provider", "", {{"district", std::string("Huntingdonshire")}});
  a->Write("bed", "", {{"provider_id", home}, {"room", std::string("1")}});
  ASSERT_TRUE(a->Sync(live.url()).ok());
  ASSERT_TRUE(b->Sync(live.url()).ok());
  ASSERT_EQ(Count(*b->store, "SELECT count(*) FROM bed"), 1);

  for (int i = 0; i < 20; ++i)
    a->Write("bed", "", {{"provider_id", home}, {"room", "new " + std::to_string(i)}});
  pausing->Arm();
  auto push = std::async(std::launch::async, [&] { return a->Sync(live.url()); });
  ASSERT_TRUE(pausing->WaitUntilPaused(kHangLimit)) << "the push never reached its fifth entry";

  // The push now holds the store's writer and the storage's lock: B's whole sync (ping, pull) runs.
  auto pull = std::async(std::launch::async, [&] { return b->Sync(live.url()); });
  const bool answered = pull.wait_for(kHangLimit) == std::future_status::ready;
  pausing->Release();
  ASSERT_TRUE(answered) << "the pull waited for the push";
  auto pulled = pull.get();
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  EXPECT_EQ(Count(*b->store, "SELECT count(*) FROM bed"), 1) << "a pull sees only committed batches";

  auto pushed = push.get();
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_EQ(pushed->pushed, 20);
  ASSERT_TRUE(b->Sync(live.url()).ok());
  EXPECT_EQ(Count(*b->store, "SELECT count(*) FROM bed"), 21);
}

}  // namespace
}  // namespace berth::testing

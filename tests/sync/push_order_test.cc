// Push batches sent ahead of the batch they follow (PROTOCOL.md section 5, protocol 5). The hub applies a
// batch only once the entry it names (`follows_seq`) is acknowledged: it waits for it, answers
// `out_of_order` when it does not come in time (applying nothing and using no counter, so the same request
// can still be carried out later), and a device whose batch was answered so sends it again in its turn.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <future>
#include <mutex>

#include "hub_harness.h"

namespace berth::testing {
namespace {

// Lets `pass` exchanges through, then keeps every later request and drops it (no answer), as a link that
// fails after the ping: the requests the device sent are captured unread by the hub.
class CapturingTransport final : public sync::Transport {
 public:
  void PassThenCapture(int pass) {
    std::lock_guard<std::mutex> lock(mu_);
    pass_ = pass;
    captured_.clear();
  }
  std::vector<sync::Bytes> Captured() const {
    std::lock_guard<std::mutex> lock(mu_);
    return captured_;
  }
  sync::HttpResult Post(const std::string& url, const std::string& path, const sync::Bytes& body,
                        const sync::HttpTimeouts& timeouts, const std::atomic<bool>* cancel) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pass_ <= 0) {
        captured_.push_back(body);
        return sync::HttpResult{};
      }
      --pass_;
    }
    return sync::Transport::Default()->Post(url, path, body, timeouts, cancel);
  }

 private:
  mutable std::mutex mu_;
  int pass_ = INT_MAX;
  std::vector<sync::Bytes> captured_;
};

// After `pass` exchanges, holds the next two requests (a push batch and the one sent ahead after it) until
// both are in, then delivers the smaller one (the later batch, here) and only once it is answered the
// larger: the later batch overtakes the one it follows, as two connections through a network may.
class OvertakingTransport final : public sync::Transport {
 public:
  // From now, `pass` exchanges go through before the two that are held.
  void Arm(int pass) {
    std::lock_guard<std::mutex> lock(mu_);
    pass_ = pass;
  }
  int overtaken() const { return overtaken_.load(); }
  sync::HttpResult Post(const std::string& url, const std::string& path, const sync::Bytes& body,
                        const sync::HttpTimeouts& timeouts, const std::atomic<bool>* cancel) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (pass_ > 0 || arrived_ >= 2) {
      --pass_;
      lock.unlock();
      return sync::Transport::Default()->Post(url, path, body, timeouts, cancel);
    }
    const int me = arrived_++;
    size_[me] = body.size();
    cv_.notify_all();
    if (!cv_.wait_for(lock, std::chrono::seconds(60), [&] { return arrived_ == 2; })) {
      ADD_FAILURE() << "the batch after the first was not sent while the first was on its way";
      return sync::HttpResult{};
    }
    if (size_[me] > size_[1 - me]) {
      cv_.wait(lock, [&] { return smaller_answered_; });
      ++overtaken_;
      lock.unlock();
      return sync::Transport::Default()->Post(url, path, body, timeouts, cancel);
    }
    lock.unlock();
    sync::HttpResult r = sync::Transport::Default()->Post(url, path, body, timeouts, cancel);
    lock.lock();
    smaller_answered_ = true;
    cv_.notify_all();
    return r;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int pass_ = INT_MAX;
  int arrived_ = 0;
  size_t size_[2] = {0, 0};
  bool smaller_answered_ = false;
  std::atomic<int> overtaken_{0};
};

class PushOrder : public ::testing::Test {
 protected:
  // A hub whose pushes wait `wait_ms` for the batch they follow, and an enrolled device that has synced
  // once (its courier key registered: its next sync is ping, push, pull).
  void Start(int64_t wait_ms, sync::Transport* transport) {
    admin_ = std::make_unique<HubProcess>(tmp_.Sub("hub"));
    sync::HubOptions options;
    options.push_order_wait_ms = wait_ms;
    live_ = std::make_unique<InProcessHub>(*admin_, nullptr, InProcessHub::Wrap{}, options);
    device_ = Device::Create(tmp_.Sub("d"));
    device_->transport = transport;
    ASSERT_TRUE(device_->EnrollAt(live_->url(), *admin_).ok());
    ASSERT_TRUE(device_->Sync().ok());
  }
  // A provider and `beds` of its beds written on the device: beds + 1 outbox entries.
  void WriteBeds(int beds) {
    const std::string home = device_->Write("provider", "", {{"district", std::string("Huntingdonshire")}});
    for (int i = 0; i < beds; ++i) {
      bed_ids_.push_back(device_->Write("bed", "", {{"provider_id", home}, {"room", std::to_string(i)}}));
    }
  }
  // Two push batches of one sync, captured before the hub saw them: {the first, the one sent after it}.
  // The first holds six entries and the second one, so the first is the larger request.
  std::pair<sync::Bytes, sync::Bytes> CaptureTwoBatches(CapturingTransport& link) {
    WriteBeds(6);
    link.PassThenCapture(1);
    sync::SyncOptions o;
    o.max_retries = 0;
    o.push_batch = 6;
    o.transport = &link;
    EXPECT_FALSE(sync::SyncOnce(*device_->store, o).ok()) << "nothing after the ping was answered";
    std::vector<sync::Bytes> bodies = link.Captured();
    EXPECT_EQ(bodies.size(), 2u) << "the second batch is sent before the first is answered";
    if (bodies.size() != 2) return {};
    if (bodies[0].size() < bodies[1].size()) std::swap(bodies[0], bodies[1]);
    link.PassThenCapture(INT_MAX);
    return {bodies[0], bodies[1]};
  }
  int64_t HubSeqOf(const std::string& row_id) {
    return Count(*admin_->OpenStore(), "SELECT seq FROM hub_change WHERE row_id = '" + row_id + "'");
  }

  TempDir tmp_;
  std::unique_ptr<HubProcess> admin_;
  std::unique_ptr<InProcessHub> live_;
  std::unique_ptr<Device> device_;
  std::vector<std::string> bed_ids_;
};

TEST_F(PushOrder, ABatchWhoseLeaderNeverCameIsAnsweredOutOfOrderAndCanStillBeCarriedOutAfterIt) {
  CapturingTransport link;
  Start(/*wait_ms=*/100, &link);
  auto [first, second] = CaptureTwoBatches(link);
  ASSERT_FALSE(second.empty());
  // The second batch alone: the hub waits for the first, which does not come, and answers (sealed, 200)
  // without applying anything or taking the request's counter.
  EXPECT_EQ(live_->hub().HandleSync(second).status, 200);
  EXPECT_EQ(admin_->HubRowCount("bed"), 0);
  EXPECT_EQ(admin_->HubRowCount("provider"), 0);
  // The first batch, then the very same second request: both carried out, in their order.
  EXPECT_EQ(live_->hub().HandleSync(first).status, 200);
  EXPECT_EQ(admin_->HubRowCount("provider"), 1);
  EXPECT_EQ(admin_->HubRowCount("bed"), 5);
  EXPECT_EQ(live_->hub().HandleSync(second).status, 200);
  EXPECT_EQ(admin_->HubRowCount("bed"), 6);
  // Each counter is used now: both requests are replays.
  for (const sync::Bytes* replay : {&first, &second}) {
    const sync::HttpAnswer again = live_->hub().HandleSync(*replay);
    EXPECT_EQ(again.status, 401);
    EXPECT_EQ(std::string(again.body.begin(), again.body.end()), "replay");
  }
  // The device never read an answer: its next sync pushes all seven again, answered as duplicates.
  auto next = device_->Sync();
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->pushed, 7);
  EXPECT_EQ(next->duplicates, 7);
  EXPECT_EQ(next->conflicts, 0);
  EXPECT_EQ(Count(*device_->store, "SELECT count(*) FROM outbox"), 0);
  EXPECT_EQ(admin_->HubRowCount("bed"), 6);
}

TEST_F(PushOrder, TwoBatchesHandedToTheHubAtOnceAreAppliedInTheirOrder) {
  CapturingTransport link;
  Start(/*wait_ms=*/60000, &link);
  auto [first, second] = CaptureTwoBatches(link);
  ASSERT_FALSE(second.empty());
  // Whichever the hub's workers open first, the second is applied after the first.
  auto later = std::async(std::launch::async, [&] { return live_->hub().HandleSync(second); });
  const sync::HttpAnswer leader = live_->hub().HandleSync(first);
  const sync::HttpAnswer follower = later.get();
  EXPECT_EQ(leader.status, 200);
  EXPECT_EQ(follower.status, 200);
  ASSERT_EQ(admin_->HubRowCount("bed"), 6);
  const int64_t last_of_first = HubSeqOf(bed_ids_[4]);
  for (size_t i = 0; i + 1 < 5; ++i) EXPECT_LT(HubSeqOf(bed_ids_[i]), HubSeqOf(bed_ids_[i + 1]));
  EXPECT_GT(HubSeqOf(bed_ids_[5]), last_of_first) << "the second batch's entry was applied after the first's";
  auto next = device_->Sync();
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->duplicates, 7);
  EXPECT_EQ(next->applied, 0);
}

// Each waiting push holds one of the hub's workers: a device may have one waiting. The wait here is ten
// minutes, so were the second not answered at once the test would stop at ctest's timeout.
TEST_F(PushOrder, ADeviceHasOnePushWaitingAtATimeAndASecondIsAnsweredAtOnce) {
  CapturingTransport link;
  Start(/*wait_ms=*/10 * 60 * 1000, &link);
  auto [first, second] = CaptureTwoBatches(link);
  ASSERT_FALSE(second.empty());
  auto one = std::async(std::launch::async, [&] { return live_->hub().HandleSync(second); });
  auto two = std::async(std::launch::async, [&] { return live_->hub().HandleSync(second); });
  auto ready = [](std::future<sync::HttpAnswer>& f) {
    return f.wait_for(std::chrono::milliseconds(10)) == std::future_status::ready;
  };
  while (!ready(one) && !ready(two)) {
  }
  std::future<sync::HttpAnswer>& refused = ready(one) ? one : two;
  std::future<sync::HttpAnswer>& waiting = ready(one) ? two : one;
  EXPECT_EQ(refused.get().status, 200) << "a sealed answer (out_of_order), not a replay";
  EXPECT_EQ(admin_->HubRowCount("bed"), 0);
  // The batch it follows arrives: the waiting copy is carried out, and is then the request's one use.
  EXPECT_EQ(live_->hub().HandleSync(first).status, 200);
  EXPECT_EQ(waiting.get().status, 200);
  EXPECT_EQ(admin_->HubRowCount("bed"), 6);
  EXPECT_EQ(live_->hub().HandleSync(second).status, 401);
}

TEST_F(PushOrder, ADeviceWhoseBatchOvertookTheOneBeforeSendsItAgainAndNothingIsLostOrDoubled) {
  OvertakingTransport overtaking;
  Start(/*wait_ms=*/100, &overtaking);
  WriteBeds(6);
  overtaking.Arm(/*pass=*/1);  // the ping
  sync::SyncOptions o;
  o.push_batch = 6;
  o.transport = &overtaking;
  o.max_retries = 0;  // the batch sent again is its first attempt in turn, not a retry
  // The ping, then the two batches (held and delivered second first), the second again, the pull.
  auto r = sync::SyncOnce(*device_->store, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(overtaking.overtaken(), 1) << "the second batch reached the hub first";
  EXPECT_EQ(r->pushed, 7);
  EXPECT_EQ(r->applied, 7);
  EXPECT_EQ(r->duplicates, 0);
  EXPECT_EQ(r->conflicts, 0);
  EXPECT_EQ(r->retries, 0);
  EXPECT_EQ(Count(*device_->store, "SELECT count(*) FROM outbox"), 0);
  EXPECT_EQ(admin_->HubRowCount("bed"), 6);
  EXPECT_GT(HubSeqOf(bed_ids_[5]), HubSeqOf(bed_ids_[4]));
}

}  // namespace
}  // namespace berth::testing

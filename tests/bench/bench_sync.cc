// bench_sync: sync throughput over loopback against a hub in this process (the same Hub and HTTP server
// berth-hub runs, on 127.0.0.1, with encrypted stores on both sides).
//   initial/push     a device pushes N changes it made offline (changes/s)
//   initial/pull     a fresh device pulls those N changes (changes/s)
//   incremental      an overnight incremental of 10,000 changes: push on one device, pull on another (s)
//                    (these three on the SQLite hub, then, in the same run, on a hub on PostgreSQL: pg_*)
//   bytes per change on the wire, both ways
//   fleet            200 devices syncing at once (median and p99 seconds per sync)
//   fleet_8am        the 8 am fleet: 500 laptops in 10 areas, each pushing 20 changes and pulling its
//                    area's news, starting at random times over 60 s; median and p99 seconds per laptop,
//                    against the single SQLite hub (served from this process) and against two
//                    `berth-hub serve --postgres URL` processes on one PostgreSQL 15 database (a server
//                    of the bench's own, tests/sync/pg_server.h), laptops split between them
//   reconnect        500 laptops running the window's background sync (AutoSync) lose the hub together
//                    and regain it: time until all are current, p99 per laptop; baseline in the same
//                    run: the same schedule without jitter (laptops that failed together retry together)
//   spool_apply      the unlock-time apply of a night's spool of 100,000 changes (target < 3 s), wall
//                    and CPU time; baseline in the same run: a live pull of the same changes by a fresh
//                    laptop
// Baseline in the same run: applying the same rows straight into a local store with Store::ApplyRemote
// (no network, no hub): the "vs_local" counters are sync rate / that rate.
// --smoke uses tiny sizes so ctest's start-up check takes seconds. --sqlite-only leaves out every run on
// PostgreSQL (half the time, for working on the SQLite hub). Targets: sync/PROTOCOL.md, issue 7.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include "berth/schema/ids.h"
#include "berth/schema/store.h"
#include "berth/sync/auto_sync.h"
#include "berth/sync/client.h"
#include "berth/sync/crypto.h"
#include "berth/sync/hub.h"
#include "berth/sync/spool.h"
#include "support/bench_support.h"
#include "sync/pg_server.h"

namespace {

using namespace berth;
using namespace berth::sync;
using Clock = std::chrono::steady_clock;

bool g_smoke = false;
bool g_sqlite_only = false;     // --sqlite-only
int64_t g_initial_changes = 0;  // --changes=N overrides the initial sync's size (0: the 1,000,000)

// A scratch directory for one benchmark, removed afterwards.
class BenchDir {
 public:
  BenchDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/bench_sync.XXXXXX";
    path_ = mkdtemp(tmpl.data()) != nullptr ? tmpl : std::string();
  }
  ~BenchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

int64_t InitialChanges() {
  if (g_initial_changes > 0) return g_initial_changes;
  return g_smoke ? 2000 : 1000000;
}
int64_t IncrementalChanges() {
  return g_smoke ? 200 : 10000;
}
int FleetDevices() {
  return g_smoke ? 6 : 200;
}
int ReconnectLaptops() {
  return g_smoke ? 8 : 500;
}
int64_t SpoolChanges() {
  return g_smoke ? 2000 : 100000;
}
constexpr int kReconnectChangesEach = 10;
constexpr int kFleetChangesEach = 20;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

StoreOptions Options() {
  StoreOptions o;
  o.kdf = KdfParams::TestOnlyKdfBuild() ? KdfParams::Fast() : KdfParams::Default();
  return o;
}

std::unique_ptr<Store> NewStore(const std::string& dir) {
  Secret recovery;
  auto s = Store::Create(dir, Secret("bench passphrase"), &recovery, Options());
  if (!s.ok()) {
    std::fprintf(stderr, "bench_sync: %s\n", s.status().ToString().c_str());
    std::abort();
  }
  return std::move(s).value();
}

void Check(const Status& st, const char* what) {
  if (!st.ok()) {
    std::fprintf(stderr, "bench_sync: %s: %s\n", what, st.ToString().c_str());
    std::abort();
  }
}

std::unique_ptr<HubStorage> SqliteHub(const std::string& dir) {
  auto store = NewStore(dir);
  Check(InitHubStore(*store), "hub init");
  return MakeSqliteHubStorage(std::move(store));
}

// A hub serving on 127.0.0.1 from a thread of this process.
class LocalHub {
 public:
  explicit LocalHub(const std::string& dir) : LocalHub(SqliteHub(dir)) {}
  explicit LocalHub(std::unique_ptr<HubStorage> storage) {
    HubOptions options;
    options.limits.max_connections_per_address = 600;  // the whole fleet connects from 127.0.0.1
    hub_ = std::make_unique<Hub>(std::move(storage), options);
    Check(hub_->Start(), "hub start");
    thread_ = std::thread([this] {
      Check(hub_->Serve(
                "127.0.0.1", 0, [this](int p) { port_ = p; }, &stop_),
            "serve");
    });
    while (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~LocalHub() { Pause(); }
  // The network drops: the hub stops listening (its port then refuses connections) ...
  void Pause() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // ... and comes back on the same port.
  void Resume() {
    stop_ = false;
    serving_ = false;
    const int port = port_.load();
    thread_ = std::thread([this, port] {
      Check(hub_->Serve(
                "127.0.0.1", port, [this](int) { serving_ = true; }, &stop_),
            "serve again");
    });
    while (!serving_) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_.load()); }

  std::unique_ptr<Store> Enrolled(const std::string& dir, const std::string& area = "Huntingdonshire");
  HubStorage& storage() { return hub_->storage(); }

 private:
  std::unique_ptr<Hub> hub_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> port_{0};
  std::atomic<bool> serving_{false};
};

// A new device's store enrolled through the hub at `url`, with a code `admin` (that hub's storage, or
// another handle on its database) records.
std::unique_ptr<Store> EnrolledAt(HubStorage& admin, const std::string& url, const std::string& dir,
                                  const std::string& area = "Huntingdonshire") {
  auto store = NewStore(dir);
  const std::string code = *NormaliseCode(NewEnrollmentCode());
  Check(admin.AddCode(CodeId(code), CodeKeysFromCode(code).verifier, "bench", "broker", area,
                      NowMs() + 3600000),
        "code");
  Check(Enroll(*store, url, code).status(), "enroll");
  return store;
}

std::unique_ptr<Store> LocalHub::Enrolled(const std::string& dir, const std::string& area) {
  return EnrolledAt(hub_->storage(), url(), dir, area);
}

const Secret& PgPassphrase() {
  static const Secret pass("bench hub passphrase");
  return pass;
}

// A hub database of its own on the run's PostgreSQL 15 server, started at the first use (one initdb per
// run, so that the smoke run ctest makes stays cheap) and stopped at exit.
struct PgHubDatabase {
  std::string url;
  bool Start(benchmark::State& state) {
    static std::unique_ptr<berth::testing::PgServer> server;
    static std::string why;
    if (server == nullptr && why.empty()) {
      server = std::make_unique<berth::testing::PgServer>();
      if (!server->Start(&why)) server.reset();
    }
    if (server == nullptr) {
      state.SkipWithError(("no PostgreSQL server: " + why).c_str());
      return false;
    }
    url = server->NewDatabase();
    Check(InitPostgresHub(url, PgPassphrase()), "postgres init");
    return true;
  }
  std::unique_ptr<HubStorage> Open() const {
    auto storage = OpenPostgresHubStorage(url, PgPassphrase());
    Check(storage.status(), "postgres open");
    return std::move(storage).value();
  }
};

// `berth-hub --postgres URL serve` as a process of its own (this build's), on a port it picks; stopped
// when the object goes.
class HubServeProcess {
 public:
  HubServeProcess(const std::string& url, const BenchDir& tmp, const std::string& name)
      : port_file_(tmp.Sub(name + ".port")), log_(tmp.Sub(name + ".log")) {
    const std::string program = berth::testing::Program("sync/hub/berth-hub");
    pid_ = fork();
    if (pid_ == 0) {
      setenv("BERTH_HUB_PASSPHRASE", "bench hub passphrase", 1);
      if (std::freopen(log_.c_str(), "w", stdout) != nullptr) dup2(fileno(stdout), STDERR_FILENO);
      execl(program.c_str(), program.c_str(), "--postgres", url.c_str(), "serve", "--listen", "127.0.0.1:0",
            "--port-file", port_file_.c_str(), "--max-connections-per-address", "512", nullptr);
      _exit(127);
    }
    // It unlocks the hub's keys (Argon2id at the release cost) before it listens and writes the port.
    for (int i = 0; i < 24000 && port_ == 0; ++i) {
      std::ifstream in(port_file_);  // written whole (renamed into place) once the hub listens
      if (in >> port_) break;
      port_ = 0;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (port_ == 0) {
      std::fprintf(stderr, "bench_sync: berth-hub serve did not start; its log: %s\n", log_.c_str());
      std::abort();
    }
  }
  ~HubServeProcess() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
  HubServeProcess(const HubServeProcess&) = delete;
  HubServeProcess& operator=(const HubServeProcess&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string port_file_, log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// `n` changes made on `store`: new beds and, for a third of them (unless `edits` is false), a later edit of
// an existing bed.
void WriteChanges(Store& store, int64_t n, const std::string& provider, std::vector<std::string>& beds,
                  bool edits = true) {
  int64_t done = 0;
  while (done < n) {
    const int64_t chunk = std::min<int64_t>(5000, n - done);
    Check(store.db().Transaction([&]() -> Status {
      for (int64_t i = 0; i < chunk; ++i) {
        Mutation m;
        const int64_t k = done + i;
        if (edits && !beds.empty() && k % 3 == 2) {
          m.row_id = beds[static_cast<size_t>(k * 7919) % beds.size()];
          m.fields = {{"weekly_rate_pence", int64_t{90000 + k % 500}}};
        } else {
          m.row_id = NewUuidV7();
          m.fields = {{"provider_id", provider},
                      {"room", std::to_string(k % 400)},
                      {"category", std::string(k % 2 ? "nursing" : "residential")},
                      {"contract", std::string("block")},
                      {"weekly_rate_pence", int64_t{85000 + k % 1000}}};
          beds.push_back(m.row_id);
        }
        m.entity = "bed";
        BERTH_RETURN_IF_ERROR(store.Write(std::move(m)));
      }
      return Status::Ok();
    }),
          "write");
    done += chunk;
  }
}

std::string Provider(Store& store, const std::string& area = "Huntingdonshire") {
  Mutation m;
  m.entity = "provider";
  m.row_id = NewUuidV7();
  m.fields = {{"name", std::string("Bench Care Home")}, {"district", area}};
  const std::string id = m.row_id;
  Check(store.Write(std::move(m)), "provider");
  return id;
}

// Baseline: the same number of rows applied straight into a local store (rows/s).
double LocalApplyRate(const std::string& dir, int64_t n) {
  auto store = NewStore(dir);
  const std::string device = NewUuidV7();
  bench::SettleDisk();
  const auto t0 = Clock::now();
  int64_t done = 0;
  while (done < n) {
    const int64_t chunk = std::min<int64_t>(5000, n - done);
    Check(store->db().Transaction([&]() -> Status {
      for (int64_t i = 0; i < chunk; ++i) {
        Mutation m;
        m.entity = "bed";
        m.row_id = NewUuidV7();
        m.hlc = Hlc{NowMs(), static_cast<uint32_t>(i)}.ToString();
        m.origin_device = device;
        m.fields = {{"room", std::to_string(i % 400)}, {"weekly_rate_pence", int64_t{85000}}};
        BERTH_RETURN_IF_ERROR(store->ApplyRemote(m));
      }
      return Status::Ok();
    }),
          "local apply");
    done += chunk;
  }
  return static_cast<double>(n) / Seconds(t0, Clock::now());
}

// The initial sync through `hub`: one device pushes `n` changes it made offline, a fresh one pulls them.
// Counters named `prefix` + what.
void InitialSyncOn(LocalHub& hub, const BenchDir& tmp, int64_t n, const std::string& prefix,
                   benchmark::State& state, double* seconds) {
  auto a = hub.Enrolled(tmp.Sub(prefix + "a"));
  auto b = hub.Enrolled(tmp.Sub(prefix + "b"));
  std::vector<std::string> beds;
  const std::string provider = Provider(*a);
  WriteChanges(*a, n - 1, provider, beds);
  SyncOptions options;
  bench::SettleDisk();
  const auto t0 = Clock::now();
  auto pushed = SyncOnce(*a, options);
  const auto t1 = Clock::now();
  Check(pushed.status(), "push");
  auto pulled = SyncOnce(*b, options);
  const auto t2 = Clock::now();
  Check(pulled.status(), "pull");
  *seconds = Seconds(t0, t2);
  state.counters[prefix + "push_changes_per_s"] = static_cast<double>(pushed->pushed) / Seconds(t0, t1);
  state.counters[prefix + "pull_rows_per_s"] = static_cast<double>(pulled->pulled_rows) / Seconds(t1, t2);
  state.counters[prefix + "push_s"] = Seconds(t0, t1);
  state.counters[prefix + "pull_s"] = Seconds(t1, t2);
  state.counters[prefix + "pulled_rows"] = static_cast<double>(pulled->pulled_rows);
  state.counters[prefix + "pushed"] = static_cast<double>(pushed->pushed);
  state.counters[prefix + "push_bytes_per_change"] =
      static_cast<double>(pushed->bytes_sent + pushed->bytes_received) / static_cast<double>(pushed->pushed);
  state.counters[prefix + "pull_bytes_per_change"] =
      static_cast<double>(pulled->bytes_sent + pulled->bytes_received) /
      static_cast<double>(std::max<int64_t>(1, pulled->pulled_rows));
}

void BM_InitialSync(benchmark::State& state) {
  for (auto _ : state) {
    BenchDir tmp;
    const int64_t n = InitialChanges();
    double seconds = 0;
    {
      LocalHub hub(tmp.Sub("hub"));
      InitialSyncOn(hub, tmp, n, "", state, &seconds);
    }
    const double baseline = LocalApplyRate(tmp.Sub("baseline"), std::min<int64_t>(n, 200000));
    double pg_seconds = 0;
    // A smoke run (ctest's, in a sanitizer build) checks the PostgreSQL hub once, in the fleet: the
    // same functions on it here would add seconds to every CI run and check nothing more.
    if (!g_smoke && !g_sqlite_only) {
      PgHubDatabase pg;
      if (!pg.Start(state)) return;
      LocalHub hub(pg.Open());
      InitialSyncOn(hub, tmp, n, "pg_", state, &pg_seconds);
    }
    state.SetIterationTime(seconds);
    state.counters["changes"] = static_cast<double>(n);
    state.counters["local_apply_per_s"] = baseline;
    state.counters["push_vs_local"] = state.counters["push_changes_per_s"] / baseline;
    state.counters["pull_vs_local"] = state.counters["pull_rows_per_s"] / baseline;
    if (!g_smoke && !g_sqlite_only) {
      state.counters["pg_push_vs_local"] = state.counters["pg_push_changes_per_s"] / baseline;
      state.counters["pg_pull_vs_local"] = state.counters["pg_pull_rows_per_s"] / baseline;
    }
  }
}

// The overnight incremental through `hub`: a day's history already shared, then tonight's changes
// pushed by one device and pulled by another.
void IncrementalOn(LocalHub& hub, const BenchDir& tmp, const std::string& prefix, benchmark::State& state,
                   double* seconds) {
  auto a = hub.Enrolled(tmp.Sub(prefix + "a"));
  auto b = hub.Enrolled(tmp.Sub(prefix + "b"));
  std::vector<std::string> beds;
  const std::string provider = Provider(*a);
  WriteChanges(*a, IncrementalChanges() * 5, provider, beds);  // a day's history already shared
  Check(SyncOnce(*a).status(), "seed push");
  Check(SyncOnce(*b).status(), "seed pull");
  WriteChanges(*a, IncrementalChanges(), provider, beds);  // tonight's changes
  bench::SettleDisk();
  const auto t0 = Clock::now();
  auto pushed = SyncOnce(*a);
  const auto t1 = Clock::now();
  auto pulled = SyncOnce(*b);
  const auto t2 = Clock::now();
  Check(pushed.status(), "push");
  Check(pulled.status(), "pull");
  *seconds = Seconds(t0, t2);
  state.counters[prefix + "s"] = Seconds(t0, t2);
  state.counters[prefix + "push_s"] = Seconds(t0, t1);
  state.counters[prefix + "pull_s"] = Seconds(t1, t2);
  state.counters[prefix + "bytes_per_change"] =
      static_cast<double>(pushed->bytes_sent + pushed->bytes_received + pulled->bytes_sent +
                          pulled->bytes_received) /
      static_cast<double>(IncrementalChanges());
}

void BM_OvernightIncremental(benchmark::State& state) {
  for (auto _ : state) {
    BenchDir tmp;
    double seconds = 0, pg_seconds = 0;
    {
      LocalHub hub(tmp.Sub("hub"));
      IncrementalOn(hub, tmp, "", state, &seconds);
    }
    if (!g_smoke && !g_sqlite_only) {  // as in BM_InitialSync
      PgHubDatabase pg;
      if (!pg.Start(state)) return;
      LocalHub hub(pg.Open());
      IncrementalOn(hub, tmp, "pg_", state, &pg_seconds);
    }
    state.SetIterationTime(seconds);
    state.counters["changes"] = static_cast<double>(IncrementalChanges());
  }
}

// Each store syncs once on a thread of its own, `start_s[i]` seconds after the call (all at once when
// `start_s` is empty). Returns each sync's time (s), sorted; *failures counts the syncs that failed.
std::vector<double> SyncEachTimed(std::vector<std::unique_ptr<Store>>& stores,
                                  const std::vector<double>& start_s, int* failures) {
  std::vector<double> seconds(stores.size());
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  const auto t0 = Clock::now();
  for (size_t i = 0; i < stores.size(); ++i) {
    threads.emplace_back([&, i] {
      if (!start_s.empty()) std::this_thread::sleep_until(t0 + std::chrono::duration<double>(start_s[i]));
      const auto s0 = Clock::now();
      SyncOptions o;
      o.max_retries = 5;
      if (!SyncOnce(*stores[i], o).ok()) failed++;
      seconds[i] = Seconds(s0, Clock::now());
    });
  }
  for (auto& t : threads) t.join();
  *failures = failed.load();
  std::sort(seconds.begin(), seconds.end());
  return seconds;
}

void BM_FleetOf200(benchmark::State& state) {
  for (auto _ : state) {
    BenchDir tmp;
    LocalHub hub(tmp.Sub("hub"));
    const int n = FleetDevices();
    std::vector<std::unique_ptr<Store>> devices;
    for (int i = 0; i < n; ++i) {
      devices.push_back(hub.Enrolled(tmp.Sub("d" + std::to_string(i))));
      std::vector<std::string> beds;
      WriteChanges(*devices.back(), kFleetChangesEach, Provider(*devices.back()), beds);
    }
    int failures = 0;
    bench::SettleDisk();
    const auto t0 = Clock::now();
    const std::vector<double> seconds = SyncEachTimed(devices, {}, &failures);
    const auto t1 = Clock::now();
    state.SetIterationTime(Seconds(t0, t1));
    state.counters["devices"] = n;
    state.counters["failures"] = failures;
    state.counters["median_s"] = seconds[seconds.size() / 2];
    state.counters["p99_s"] = seconds[std::min(seconds.size() - 1, seconds.size() * 99 / 100)];
    state.counters["all_done_s"] = Seconds(t0, t1);
  }
}

double P99(const std::vector<double>& sorted) {
  return sorted[std::min(sorted.size() - 1, sorted.size() * 99 / 100)];
}

int Fleet8amLaptops() {
  return g_smoke ? 6 : 500;
}
constexpr int kFleetAreas = 10;

// The 8 am fleet against the hubs at `urls` (laptop i syncs with urls[i % urls.size()], its area is
// i % 10), enrolled with codes `admin` records: every laptop's 20 changes (a provider in its area and
// beds) written offline, then each laptop syncs once at a random moment of the first 60 s (0.5 s in a
// smoke run). Returns each laptop's sync time, sorted.
std::vector<double> RunFleet8am(HubStorage& admin, const std::vector<std::string>& urls, const BenchDir& tmp,
                                int* failures) {
  const int n = Fleet8amLaptops();
  // Made on two threads (not timed): each new store derives its key with Argon2id at the release cost.
  std::vector<std::unique_ptr<Store>> laptops(static_cast<size_t>(n));
  std::vector<std::thread> makers;
  for (int t = 0; t < 2; ++t) {
    makers.emplace_back([&, t] {
      for (int i = t; i < n; i += 2) {
        const std::string area = "Area " + std::to_string(i % kFleetAreas);
        const std::string& url = urls[static_cast<size_t>(i) % urls.size()];
        auto laptop = EnrolledAt(admin, url, tmp.Sub("l" + std::to_string(i)), area);
        std::vector<std::string> beds;
        WriteChanges(*laptop, kFleetChangesEach - 1, Provider(*laptop, area), beds);
        laptops[static_cast<size_t>(i)] = std::move(laptop);
      }
    });
  }
  for (auto& t : makers) t.join();
  std::mt19937 rng(8);
  const double spread_s = g_smoke ? 0.5 : 60;
  std::vector<double> starts(static_cast<size_t>(n));
  for (auto& s : starts) s = std::uniform_real_distribution<double>(0, spread_s)(rng);
  bench::SettleDisk();
  return SyncEachTimed(laptops, starts, failures);
}

void BM_Fleet8am(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<double> sqlite_s, pg_s;
    int sqlite_failures = 0, pg_failures = 0;
    {
      BenchDir tmp;
      LocalHub hub(tmp.Sub("hub"));
      sqlite_s = RunFleet8am(hub.storage(), {hub.url()}, tmp, &sqlite_failures);
    }
    state.counters["laptops"] = Fleet8amLaptops();
    state.counters["sqlite_median_s"] = sqlite_s[sqlite_s.size() / 2];
    state.counters["sqlite_p99_s"] = P99(sqlite_s);
    state.counters["sqlite_failures"] = sqlite_failures;
    if (g_sqlite_only) {
      state.SetIterationTime(sqlite_s.back());
      continue;
    }
    {
      PgHubDatabase pg;
      if (!pg.Start(state)) return;
      BenchDir tmp;
      HubServeProcess first(pg.url, tmp, "hub-1"), second(pg.url, tmp, "hub-2");
      auto admin = pg.Open();  // the codes only: `berth-hub enroll` would record the same rows
      pg_s = RunFleet8am(*admin, {first.url(), second.url()}, tmp, &pg_failures);
    }
    state.SetIterationTime(pg_s.back());
    state.counters["pg2_median_s"] = pg_s[pg_s.size() / 2];
    state.counters["pg2_p99_s"] = P99(pg_s);
    state.counters["pg2_failures"] = pg_failures;
  }
}

// One round of the reconnect benchmark: every laptop runs the window's own background sync (AutoSync,
// its own thread and store connection); the hub goes away, every laptop fails and backs off, and once
// each has failed twice (their retry waits are then in the phases the schedule gave them) the hub comes
// back on the same port. A laptop is current after its first successful sync from then on: its outbox
// has reached the hub and it holds what the hub had.
struct ReconnectRound {
  std::vector<double> until_current;  // per laptop, from the hub's return (s), sorted
  std::vector<double> sync_s;         // per laptop, its successful sync from start to end (s), sorted
  double all_current = 0;             // from the hub's return until the last laptop is current (s)
  double first_to_last_start = 0;     // how far apart the laptops' successful syncs began (s)
  int peak_concurrent = 0;            // the most laptops syncing with the hub at one moment
  int failures = 0;                   // laptops not current within the deadline
};

// The most intervals [start, end) that overlap at one moment.
int PeakOverlap(std::vector<std::pair<int64_t, int64_t>> intervals) {
  std::vector<std::pair<int64_t, int>> edges;
  for (const auto& [start, end] : intervals) {
    edges.emplace_back(start, +1);
    edges.emplace_back(end, -1);
  }
  std::sort(edges.begin(), edges.end());  // at equal times an end (-1) comes before a start
  int now = 0, peak = 0;
  for (const auto& e : edges) peak = std::max(peak, now += e.second);
  return peak;
}

ReconnectRound RunReconnectRound(LocalHub& hub, std::vector<std::unique_ptr<Store>>& laptops,
                                 const AutoSyncOptions& options) {
  hub.Pause();
  std::vector<std::unique_ptr<AutoSync>> syncs;
  for (auto& laptop : laptops) {
    auto connection = laptop->Connect();
    Check(connection.status(), "connect");
    syncs.push_back(std::make_unique<AutoSync>());
    syncs.back()->StartUnlocked(std::move(connection).value(), options);
  }
  auto all = [&](auto&& pred) {
    return std::all_of(syncs.begin(), syncs.end(), [&](const auto& a) { return pred(a->status()); });
  };
  // A condition with a generous deadline, polled: the laptops run on their own threads.
  auto wait_for = [&](auto&& pred, double deadline_s) {
    const auto give_up = Clock::now() + std::chrono::duration<double>(deadline_s);
    while (!all(pred) && Clock::now() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  };
  wait_for([](const AutoSyncStatus& st) { return st.attempts >= 2 && st.phase == AutoSyncPhase::kWaiting; },
           600);
  const int64_t back_ms = NowMs();
  const auto back = Clock::now();
  hub.Resume();
  wait_for([](const AutoSyncStatus& st) { return st.successes >= 1; }, 900);
  ReconnectRound out;
  std::vector<std::pair<int64_t, int64_t>> intervals;
  int64_t first_start = INT64_MAX, last_start = 0;
  for (auto& a : syncs) {
    const AutoSyncStatus st = a->status();
    if (st.successes < 1) {
      out.failures++;
      continue;
    }
    const int64_t start = std::max(st.last_attempt_ms, back_ms);
    first_start = std::min(first_start, start);
    last_start = std::max(last_start, start);
    out.until_current.push_back(static_cast<double>(st.last_ok_ms - back_ms) / 1000.0);
    out.sync_s.push_back(static_cast<double>(st.last_ok_ms - start) / 1000.0);
    intervals.emplace_back(start, st.last_ok_ms);
  }
  out.peak_concurrent = PeakOverlap(std::move(intervals));
  out.all_current = Seconds(back, Clock::now());
  if (!out.until_current.empty()) {
    out.all_current = *std::max_element(out.until_current.begin(), out.until_current.end());
    out.first_to_last_start = static_cast<double>(last_start - first_start) / 1000.0;
  }
  for (auto& a : syncs) a->Stop();
  std::sort(out.until_current.begin(), out.until_current.end());
  std::sort(out.sync_s.begin(), out.sync_s.end());
  if (out.until_current.empty()) out.until_current = out.sync_s = {0};
  return out;
}

void BM_Reconnect500(benchmark::State& state) {
  for (auto _ : state) {
    BenchDir tmp;
    LocalHub hub(tmp.Sub("hub"));
    const int n = ReconnectLaptops();
    std::vector<std::unique_ptr<Store>> laptops;
    for (int i = 0; i < n; ++i) {
      laptops.push_back(hub.Enrolled(tmp.Sub("l" + std::to_string(i))));
      Check(SyncOnce(*laptops.back()).status(), "first sync");  // current yesterday
    }
    auto offline_work = [&] {
      for (auto& laptop : laptops) {
        std::vector<std::string> beds;
        WriteChanges(*laptop, kReconnectChangesEach, Provider(*laptop), beds);
      }
    };
    // The window's schedule (AutoSyncOptions' defaults: first retry 5 s, doubling, jitter 20%); --smoke
    // scales the waits down.
    AutoSyncOptions jittered;
    if (g_smoke) {
      jittered.first_retry_ms = 100;
      jittered.sync.max_retries = 0;
    }
    // Baseline in the same run: the same schedule with no jitter, so laptops that lost the hub together
    // retry together (the stampede the jitter is there to break up).
    AutoSyncOptions in_phase = jittered;
    in_phase.jitter = 0;
    // Both rounds start from the same place: every laptop current, then the same offline work each.
    auto catch_up = [&] {
      for (auto& laptop : laptops) Check(SyncOnce(*laptop).status(), "catch up");
    };
    offline_work();
    const ReconnectRound together = RunReconnectRound(hub, laptops, in_phase);
    catch_up();
    offline_work();
    const ReconnectRound spread = RunReconnectRound(hub, laptops, jittered);
    state.SetIterationTime(spread.all_current);
    state.counters["laptops"] = n;
    state.counters["failures"] = spread.failures + together.failures;
    state.counters["all_current_s"] = spread.all_current;
    state.counters["p99_until_current_s"] = P99(spread.until_current);
    state.counters["p99_sync_s"] = P99(spread.sync_s);
    state.counters["median_sync_s"] = spread.sync_s[spread.sync_s.size() / 2];
    state.counters["starts_spread_s"] = spread.first_to_last_start;
    state.counters["in_phase_all_current_s"] = together.all_current;
    state.counters["in_phase_p99_sync_s"] = P99(together.sync_s);
    state.counters["in_phase_starts_spread_s"] = together.first_to_last_start;
    state.counters["peak_concurrent"] = spread.peak_concurrent;
    state.counters["in_phase_peak_concurrent"] = together.peak_concurrent;
    state.counters["p99_sync_vs_in_phase"] = P99(spread.sync_s) / std::max(1e-3, P99(together.sync_s));
    state.counters["all_current_vs_in_phase"] = spread.all_current / std::max(1e-3, together.all_current);
  }
}

void BM_SpoolApply100k(benchmark::State& state) {
  for (auto _ : state) {
    BenchDir tmp;
    LocalHub hub(tmp.Sub("hub"));
    const std::string laptop_dir = tmp.Sub("laptop");
    auto laptop = hub.Enrolled(laptop_dir);
    auto evening = hub.Enrolled(tmp.Sub("evening"));
    Check(SyncOnce(*laptop).status(), "first sync (courier key)");
    // The laptop's last hour of work, locked before it could sync; then the store closes.
    std::vector<std::string> own;
    WriteChanges(*laptop, SpoolChanges() / 100, Provider(*laptop), own);
    Check(SpoolOutbox(*laptop).status(), "spool");
    laptop.reset();
    // The evening elsewhere: 100,000 changes (new beds) reach the hub.
    std::vector<std::string> beds;
    WriteChanges(*evening, SpoolChanges(), Provider(*evening), beds, /*edits=*/false);
    Check(SyncOnce(*evening).status(), "evening push");
    // The night: the courier brings them all back, sealed.
    auto night = RunCourier(laptop_dir);
    Check(night.status(), "courier");
    // The morning: unlock (not timed), then the apply.
    auto opened = Store::Open(laptop_dir, Secret("bench passphrase"), Options());
    Check(opened.status(), "unlock");
    bench::SettleDisk();
    const auto t0 = Clock::now();
    const double cpu0 = bench::ThreadCpuSeconds();
    auto applied = ApplySpool(**opened);
    const double apply_cpu_s = bench::ThreadCpuSeconds() - cpu0;
    const double apply_s = Seconds(t0, Clock::now());
    Check(applied.status(), "apply");
    // Baseline: a fresh laptop pulls the same changes live.
    auto fresh = hub.Enrolled(tmp.Sub("fresh"));
    const auto t1 = Clock::now();
    auto live = SyncOnce(*fresh);
    const double live_s = Seconds(t1, Clock::now());
    Check(live.status(), "live pull");
    state.SetIterationTime(apply_s);
    state.counters["changes"] = static_cast<double>(applied->rows + applied->acknowledged);
    state.counters["rows"] = static_cast<double>(applied->rows);
    state.counters["answered"] = static_cast<double>(applied->acknowledged);
    state.counters["pages"] = static_cast<double>(applied->pages);
    state.counters["apply_s"] = apply_s;
    state.counters["apply_cpu_s"] = apply_cpu_s;  // the apply runs on this thread: what other load adds
                                                  // to apply_s is waiting, not work
    state.counters["live_pull_s"] = live_s;
    state.counters["apply_vs_live_pull"] = apply_s / live_s;
    state.counters["courier_pages"] = static_cast<double>(night->pages);
  }
}

BENCHMARK(BM_InitialSync)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_OvernightIncremental)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_FleetOf200)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_Fleet8am)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_Reconnect500)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_SpoolApply100k)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) {
      g_smoke = true;
    } else if (std::strcmp(argv[i], "--sqlite-only") == 0) {
      g_sqlite_only = true;
    } else if (std::strncmp(argv[i], "--changes=", 10) == 0) {
      g_initial_changes = std::atoll(argv[i] + 10);
    } else {
      args.push_back(argv[i]);
    }
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

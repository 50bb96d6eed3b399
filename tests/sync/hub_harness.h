// Real hub processes for sync tests: HubProcess runs sync/hub/berth-hub on 127.0.0.1 (a free port chosen
// by the hub), and always kills it when the object goes, so no test leaves a hub running. Device is an
// encrypted store enrolled with a hub through the real protocol.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "berth/schema/store.h"
#include "berth/sync/client.h"
#include "berth/sync/hub.h"
#include "berth/sync/spool.h"
#include "support/sync_transport.h"
#include "support/test_support.h"

namespace berth::testing {

inline constexpr const char* kHubPassphrase = "hub passphrase for tests";

inline void SetTestEnvironment() {
  setenv("BERTH_TEST_ONLY_FAST_KDF", "1", 1);
  setenv("BERTH_HUB_PASSPHRASE", kHubPassphrase, 1);
}

// Which storage a HubProcess made from a directory alone uses: its encrypted SQLite store there, unless
// the test binary sets a maker of fresh PostgreSQL databases (sync_pg_tests does, so the same tests run
// on PostgreSQL). Returns the new database's URL.
inline std::function<std::string()>& HubDatabaseMaker() {
  static std::function<std::string()> make;
  return make;
}

// On PostgreSQL, the files that hold a hub's database as an attacker or a backup would see them: the
// cluster's files (tables, WAL) after a checkpoint, and a pg_dump of the database (set by sync_pg_tests).
inline std::function<std::vector<std::string>(const std::string& url)>& HubDatabaseCopies() {
  static std::function<std::vector<std::string>(const std::string& url)> copies;
  return copies;
}

// One column of a query on a hub's PostgreSQL database (psql), one value a line.
inline std::vector<std::string> PostgresColumn(const std::string& url, const std::string& sql) {
  std::string out;
  const int rc = RunCommand("/usr/lib/postgresql/15/bin/psql -X -tA '" + url + "' -c \"" + sql + "\"", &out);
  EXPECT_EQ(rc, 0) << out;
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < out.size()) {
    const size_t end = out.find('\n', at);
    const std::string line = out.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (!line.empty()) lines.push_back(line);
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return lines;
}

class HubProcess {
 public:
  explicit HubProcess(std::string data_dir)
      : dir_(std::move(data_dir)), postgres_(HubDatabaseMaker() ? HubDatabaseMaker()() : std::string()) {
    SetTestEnvironment();
    Init();
  }
  // A hub on a PostgreSQL database (`berth-hub --postgres URL`); `data_dir` only names its log and port
  // files. Several HubProcess objects on one URL are several hub processes sharing the database: only
  // the first should `init` it.
  HubProcess(std::string data_dir, std::string postgres_url, bool init)
      : dir_(std::move(data_dir)), postgres_(std::move(postgres_url)) {
    SetTestEnvironment();
    if (init) Init();
  }
  ~HubProcess() { Kill(); }
  HubProcess(const HubProcess&) = delete;
  HubProcess& operator=(const HubProcess&) = delete;

  // Starts `serve`; port 0 lets the hub pick one (then reused by restarts). `env` adds variables, `args`
  // more options of `serve` (e.g. --tombstone-days 0). Returns once the hub listens: it writes its port
  // to --port-file then (atomically), and the file is waited for, not the log read.
  void Start(const std::map<std::string, std::string>& env = {}, const std::vector<std::string>& args = {}) {
    ASSERT_EQ(pid_, -1) << "hub already running";
    const std::string log = dir_ + ".log";
    const std::string port_file = dir_ + ".port";
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    const std::string program = Program("sync/hub/berth-hub");
    std::remove(log.c_str());
    std::remove(port_file.c_str());
    std::vector<const char*> argv = {program.c_str(),
                                     postgres_.empty() ? "--data" : "--postgres",
                                     postgres_.empty() ? dir_.c_str() : postgres_.c_str(),
                                     "serve",
                                     "--listen",
                                     listen.c_str(),
                                     "--port-file",
                                     port_file.c_str()};
    for (const auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
      FILE* f = std::freopen(log.c_str(), "w", stdout);
      if (f != nullptr) dup2(fileno(stdout), STDERR_FILENO);  // the hub's log lines go to the same file
      execv(program.c_str(), const_cast<char* const*>(argv.data()));
      _exit(127);
    }
    // A bounded wait for the hub to be ready (it opens and checks its store first), not a timing: the
    // file appears whole once the hub listens, or the hub exits.
    for (int i = 0; i < 12000; ++i) {
      if (Env::Default()->FileExists(port_file)) {
        port_ = std::stoi(ReadFileText(port_file));
        return;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "berth-hub exited before listening: " << ReadFileText(log);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL() << "berth-hub did not start listening within a minute: " << ReadFileText(log);
  }

  // Starts the hub in a forked child of the test instead of berth-hub: the same Hub serving the same store
  // (on the port of the last start, or any), through the storage `make_storage` makes of the store (a
  // fault-injecting one, say). Call it before the test starts threads of its own.
  void StartInChild(
      const std::function<std::unique_ptr<sync::HubStorage>(std::unique_ptr<Store>)>& make_storage) {
    ASSERT_EQ(pid_, -1) << "hub already running";
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      close(fds[0]);
      StoreOptions o;
      o.kdf = KdfParams::Fast();
      o.actor = "berth-hub";
      auto store = Store::Open(dir_, Secret(kHubPassphrase), o);
      if (!store.ok()) _exit(120);
      sync::Hub hub(make_storage(std::move(store).value()));
      if (!hub.Start().ok()) _exit(121);
      std::atomic<bool> stop{false};
      const Status served = hub.Serve(
          "127.0.0.1", port_, [&](int bound) { (void)!write(fds[1], &bound, sizeof bound); }, &stop);
      _exit(served.ok() ? 0 : 122);
    }
    close(fds[1]);
    int bound = 0;
    const ssize_t n = read(fds[0], &bound, sizeof bound);  // the child closes its end if it fails first
    close(fds[0]);
    ASSERT_EQ(n, static_cast<ssize_t>(sizeof bound)) << "the hub in the child did not start";
    port_ = bound;
  }

  void Kill() { Stop(SIGKILL); }
  void Terminate() { Stop(SIGTERM); }
  // Waits for the process to exit by itself (e.g. a fault hook); returns its exit code.
  int WaitExit() {
    if (pid_ < 0) return -1;
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  bool on_postgres() const { return !postgres_.empty(); }
  // Rows of `entity` the hub holds (tombstones included); only the row `id` when one is given.
  int64_t HubRowCount(const std::string& entity, const std::string& id = "") {
    if (on_postgres()) {
      const auto n = PostgresColumn(postgres_, "SELECT count(*) FROM hub_row WHERE entity = '" + entity +
                                                   "'" + (id.empty() ? "" : " AND row_id = '" + id + "'"));
      return n.empty() ? -1 : std::stoll(n[0]);
    }
    auto store = OpenStore();
    auto n = store->db().QueryInt("SELECT count(*) FROM \"" + entity + "\"" +
                                  (id.empty() ? "" : " WHERE id = '" + id + "'"));
    return n.ok() ? *n : -1;
  }
  // Every file that holds this hub's data: its store's directory, or its database's copies.
  std::vector<std::string> DataFiles() const {
    if (!on_postgres()) return ListFiles(dir_);
    return HubDatabaseCopies() ? HubDatabaseCopies()(postgres_) : std::vector<std::string>{};
  }
  const std::string& postgres_url() const { return postgres_; }
  // The location options of every berth-hub command for this hub (" --data DIR" or " --postgres URL").
  std::string where() const { return Where(); }

  // `berth-hub enroll --json`: returns the one-time code.
  std::string MakeCode(const std::string& name, const std::string& role, const std::string& scope) {
    return Enroll(name, role, scope).value("code", "");
  }
  // `berth-hub enroll --json`: what it printed (code, code_id, hub_key_fingerprint, ...), or {} on failure.
  nlohmann::json Enroll(const std::string& name, const std::string& role, const std::string& scope) {
    std::string out;
    const int rc = RunCommand(Program("sync/hub/berth-hub") + Where() + " enroll --json --name '" + name +
                                  "' --role " + role + " --scope '" + scope + "'",
                              &out);
    EXPECT_EQ(rc, 0) << out;
    // The object is the last line of stdout; a warning on stderr (merged here) may come before it.
    const size_t line = out.rfind("\n{");
    auto json = nlohmann::json::parse(out.substr(line == std::string::npos ? 0 : line + 1), nullptr,
                                      /*allow_exceptions=*/false);
    EXPECT_TRUE(json.is_object()) << out;
    return json.is_object() ? json : nlohmann::json::object();
  }

  int Revoke(const std::string& device_id, std::string* out = nullptr) {
    return RunCommand(Program("sync/hub/berth-hub") + Where() + " revoke " + device_id, out);
  }

  // Opens the hub's own store (for checks; the hub may be running: SQLite WAL allows a reader).
  std::unique_ptr<Store> OpenStore() {
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    auto r = Store::Open(dir_, Secret(kHubPassphrase), o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

 private:
  void Stop(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  void Init() {
    std::string out;
    const int rc = RunCommand(Program("sync/hub/berth-hub") + Where() + " init", &out);
    EXPECT_EQ(rc, 0) << out;
  }
  // Where berth-hub finds the hub: its store's directory, or its database.
  std::string Where() const {
    return postgres_.empty() ? " --data " + dir_ : " --postgres '" + postgres_ + "'";
  }

  std::string dir_;
  std::string postgres_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A hub served from a thread of the test itself (the Hub berth-hub runs, on a store a HubProcess made and
// is not serving), so the test hands it its own clock (a ManualClockEnv) and storage (a counting one).
// Stops when the object goes.
class InProcessHub {
 public:
  using Wrap = std::function<std::unique_ptr<sync::HubStorage>(std::unique_ptr<sync::HubStorage>)>;

  explicit InProcessHub(const std::string& dir, Env* env = nullptr, const Wrap& wrap = {}) {
    Serve(SqliteStorage(dir, env), env, wrap);
  }
  // The hub `admin` made, whichever its storage: its store's directory, or its PostgreSQL database
  // (this hub is then one more process on it).
  // `options` other than its clock (`env`) are the hub's (e.g. a shorter push_order_wait_ms).
  explicit InProcessHub(const HubProcess& admin, Env* env = nullptr, const Wrap& wrap = {},
                        sync::HubOptions options = {}) {
    Serve(admin.on_postgres() ? PostgresStorage(admin.postgres_url()) : SqliteStorage(admin.dir(), env), env,
          wrap, std::move(options));
  }
  // A hub on a storage the test made (e.g. a double over OpenSqliteStore's store).
  explicit InProcessHub(std::unique_ptr<sync::HubStorage> storage) { Serve(std::move(storage), nullptr, {}); }
  ~InProcessHub() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  InProcessHub(const InProcessHub&) = delete;
  InProcessHub& operator=(const InProcessHub&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // Its handlers, for a test that hands them requests itself (they run on any thread, as on the workers).
  sync::Hub& hub() { return *hub_; }

  // The hub store a HubProcess made in `dir`, opened as berth-hub opens it.
  static std::unique_ptr<Store> OpenSqliteStore(const std::string& dir, Env* env = nullptr) {
    SetTestEnvironment();
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    o.actor = "berth-hub";
    o.env = env;
    auto store = Store::Open(dir, Secret(kHubPassphrase), o);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

 private:
  static std::unique_ptr<sync::HubStorage> SqliteStorage(const std::string& dir, Env* env) {
    auto store = OpenSqliteStore(dir, env);
    return store != nullptr ? sync::MakeSqliteHubStorage(std::move(store)) : nullptr;
  }
  static std::unique_ptr<sync::HubStorage> PostgresStorage(const std::string& url) {
    SetTestEnvironment();
    auto storage = sync::OpenPostgresHubStorage(url, Secret(kHubPassphrase));
    EXPECT_TRUE(storage.ok()) << storage.status().ToString();
    return storage.ok() ? std::move(storage).value() : nullptr;
  }
  void Serve(std::unique_ptr<sync::HubStorage> storage, Env* env, const Wrap& wrap,
             sync::HubOptions options = {}) {
    ASSERT_NE(storage, nullptr);
    if (wrap) storage = wrap(std::move(storage));
    options.env = env;
    hub_ = std::make_unique<sync::Hub>(std::move(storage), options);
    ASSERT_TRUE(hub_->Start().ok());
    std::promise<int> listening;
    auto bound = listening.get_future();
    thread_ = std::thread([this, listening = std::move(listening)]() mutable {
      bool told = false;
      const Status served = hub_->Serve(
          "127.0.0.1", 0,
          [&](int port) {
            told = true;
            listening.set_value(port);
          },
          &stop_);
      if (!told) listening.set_value(-1);
      EXPECT_TRUE(served.ok()) << served.ToString();
    });
    port_ = bound.get();
    ASSERT_GT(port_, 0) << "the hub did not start listening";
  }

  std::unique_ptr<sync::Hub> hub_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  int port_ = 0;
};

// A device: its own encrypted store, enrolled with a hub.
struct Device {
  std::string dir;
  std::unique_ptr<Store> store;
  sync::Transport* transport = nullptr;  // the network its enrollment and syncs use (null: HTTP)

  static std::unique_ptr<Device> Create(const std::string& dir, const std::string& actor = "broker") {
    SetTestEnvironment();
    auto d = std::make_unique<Device>();
    d->dir = dir;
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    o.actor = actor;
    Secret recovery;
    auto s = Store::Create(dir, Secret("device passphrase"), &recovery, o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) d->store = std::move(s).value();
    return d;
  }

  Status Enroll(HubProcess& hub, const std::string& role = "broker",
                const std::string& scope = "Huntingdonshire") {
    return EnrollAt(hub.url(), hub, role, scope);
  }
  // Enrolled through the hub served at `url` (an InProcessHub, say), with a code `admin` makes.
  Status EnrollAt(const std::string& url, HubProcess& admin, const std::string& role = "broker",
                  const std::string& scope = "Huntingdonshire") {
    const std::string code =
        admin.MakeCode("device " + dir.substr(dir.size() > 6 ? dir.size() - 6 : 0), role, scope);
    auto r = sync::Enroll(*store, url, code, transport);
    return r.ok() ? Status::Ok() : r.status();
  }

  Result<sync::SyncSummary> Sync(const std::string& url = "") {
    sync::SyncOptions o;
    o.hub_url = url;
    o.max_retries = 1;
    o.transport = transport;
    return sync::SyncOnce(*store, o);
  }

  // Sync while locked (PROTOCOL.md section 11). At lock, what the window does: the outbox sealed into the
  // spool, then the store closed and its keys wiped.
  void LockForTheNight() {
    auto spooled = sync::SpoolOutbox(*store);
    EXPECT_TRUE(spooled.ok()) << spooled.status().ToString();
    store->Lock();
    store.reset();
  }
  // The locked laptop's courier, with nothing but the spool and its courier key.
  Result<sync::CourierSummary> RunCourier() {
    sync::CourierOptions o;
    o.max_retries = 1;
    return sync::RunCourier(dir, o);
  }
  // The morning: unlocked with the passphrase, and what the courier brought applied.
  Result<sync::SpoolApplySummary> UnlockAndApplySpool() {
    StoreOptions o;
    o.kdf = KdfParams::Fast();
    BERTH_ASSIGN_OR_RETURN(store, Store::Open(dir, Secret("device passphrase"), o));
    return sync::ApplySpool(*store);
  }

  // Writes a change through the store; returns the row id.
  std::string Write(const std::string& entity, const std::string& row_id, std::map<std::string, Value> fields,
                    MutationKind kind = MutationKind::kUpsert, const std::string& claim = "") {
    Mutation m;
    m.kind = kind;
    m.entity = entity;
    m.row_id = row_id.empty() ? NewUuidV7() : row_id;
    m.fields = std::move(fields);
    m.claim = claim;
    const std::string id = m.row_id;
    Status st = store->Write(std::move(m));
    EXPECT_TRUE(st.ok()) << st.ToString();
    return id;
  }
};

// Helpers to read rows.
inline int64_t Count(Store& s, const std::string& sql) {
  auto r = s.db().QueryInt(sql);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << " in " << sql;
  return r.ok() ? *r : -1;
}

inline std::string Text(Store& s, const std::string& sql) {
  auto st = s.db().Prepare(sql);
  EXPECT_TRUE(st.ok()) << sql;
  if (!st.ok()) return "";
  auto row = st->Step();
  if (!row.ok() || !*row) return "<none>";
  return st->Text(0);
}

// Every live and tombstoned row of the domain tables with its values, in a canonical text form: two
// replicas with equal dumps hold identical data. A hub's own kHubSeqColumn (its change-log number, never
// synced) is left out.
inline std::string DumpDomain(Store& s, const std::vector<std::string>& tables) {
  std::string out;
  for (const auto& t : tables) {
    auto st = s.db().Prepare("SELECT * FROM \"" + t + "\" ORDER BY id");
    EXPECT_TRUE(st.ok());
    if (!st.ok()) continue;
    while (true) {
      auto row = st->Step();
      if (!row.ok() || !*row) break;
      out += t + ":";
      for (int c = 0; c < st->ColumnCount(); ++c) {
        const std::string name = st->ColumnName(c);
        if (name == kHubSeqColumn) continue;
        out += " " + name + "=" + (st->IsNull(c) ? std::string("NULL") : st->Text(c));
      }
      out += "\n";
    }
  }
  return out;
}

}  // namespace berth::testing

// bench_store: the cost of encryption. Each workload runs on a plain store (SQLite's default VFS) and on
// an encrypted one (Berth's VFS) in the same run; the ratio encrypted/plain is printed at the end.
//   insert_batch   1,000-row insert transactions
//   point_lookup   one row by primary key, at random
//   range_scan     500 consecutive rows by an indexed range
//   huddle_mixed   a broker's minute: 20 lookups, one range scan, one small write transaction
// `--smoke` uses tiny data so ctest can check the program runs.
#include <benchmark/benchmark.h>

#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "berth/schema/store.h"
#include "support/bench_support.h"

namespace berth {
namespace {

int64_t g_rows = 100'000;  // rows preloaded for the read workloads

struct BenchStore {
  bench::TempDir tmp;
  std::unique_ptr<Store> store;
};

// One store per mode, built once and shared by the benchmarks of that mode.
BenchStore& Get(bool encrypted) {
  static std::map<bool, std::unique_ptr<BenchStore>> stores;
  auto& slot = stores[encrypted];
  if (slot) return *slot;
  slot = std::make_unique<BenchStore>();
  StoreOptions o;
  o.encrypted = encrypted;
  o.kdf = bench::BenchKdf();
  Secret recovery;
  auto r = Store::Create(slot->tmp.path() + "/store", Secret("bench"), &recovery, o);
  if (!r.ok()) bench::Die(r.status());
  slot->store = std::move(r).value();
  Db& db = slot->store->db();
  bench::Check(
      db.Exec("CREATE TABLE item (id INTEGER PRIMARY KEY, provider TEXT NOT NULL, category TEXT NOT NULL,"
              " weekly_rate INTEGER NOT NULL, note TEXT NOT NULL);"
              "CREATE INDEX item_by_rate ON item (weekly_rate);"
              "CREATE TABLE inserted (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);"));
  bench::Check(db.Transaction([&]() -> Status {
    BERTH_ASSIGN_OR_RETURN(Statement ins, db.Prepare("INSERT INTO item VALUES (?, ?, ?, ?, ?)"));
    for (int64_t i = 0; i < g_rows; ++i) {
      ins.Reset();
      ins.Bind(1, i)
          .Bind(2, "1-" + std::to_string(100000 + i % 5000))
          .Bind(3, i % 4 ? "nursing" : "residential");
      ins.Bind(4, 600 + (i * 7919) % 900).Bind(5, std::string(60, static_cast<char>('a' + i % 26)));
      BERTH_RETURN_IF_ERROR(ins.Run());
    }
    return Status::Ok();
  }));
  bench::Check(db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  return *slot;
}

void InsertBatch(benchmark::State& state, bool encrypted) {
  Db& db = Get(encrypted).store->db();
  std::string payload(120, 'p');
  for (auto _ : state) {
    bench::Check(db.Transaction([&]() -> Status {
      BERTH_ASSIGN_OR_RETURN(Statement ins, db.Prepare("INSERT INTO inserted (payload) VALUES (?)"));
      for (int i = 0; i < 1000; ++i) {
        ins.Reset();
        ins.Bind(1, payload);
        BERTH_RETURN_IF_ERROR(ins.Run());
      }
      return Status::Ok();
    }));
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}

void PointLookup(benchmark::State& state, bool encrypted) {
  Db& db = Get(encrypted).store->db();
  auto q = db.Prepare("SELECT provider, category, weekly_rate, note FROM item WHERE id = ?");
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> pick(0, g_rows - 1);
  for (auto _ : state) {
    q->Reset();
    q->Bind(1, pick(rng));
    auto row = q->Step();
    benchmark::DoNotOptimize(row.ok() && *row ? q->Int(2) : 0);
  }
  state.SetItemsProcessed(state.iterations());
}

int64_t ScanRange(Statement& q, int64_t from) {
  q.Reset();
  q.Bind(1, from).Bind(2, from + 499);
  int64_t sum = 0;
  while (true) {
    auto row = q.Step();
    if (!row.ok() || !*row) break;
    sum += q.Int(1);
  }
  return sum;
}

void RangeScan(benchmark::State& state, bool encrypted) {
  Db& db = Get(encrypted).store->db();
  auto q = db.Prepare("SELECT id, weekly_rate, note FROM item WHERE id BETWEEN ? AND ?");
  std::mt19937_64 rng(43);
  std::uniform_int_distribution<int64_t> pick(0, std::max<int64_t>(0, g_rows - 500));
  for (auto _ : state) benchmark::DoNotOptimize(ScanRange(*q, pick(rng)));
  state.SetItemsProcessed(state.iterations() * 500);
}

void HuddleMixed(benchmark::State& state, bool encrypted) {
  Db& db = Get(encrypted).store->db();
  auto lookup = db.Prepare("SELECT provider, category, weekly_rate FROM item WHERE id = ?");
  auto scan = db.Prepare("SELECT id, weekly_rate, note FROM item WHERE id BETWEEN ? AND ?");
  auto update = db.Prepare("UPDATE item SET weekly_rate = weekly_rate + 1 WHERE id = ?");
  std::mt19937_64 rng(44);
  std::uniform_int_distribution<int64_t> pick(0, std::max<int64_t>(0, g_rows - 500));
  for (auto _ : state) {
    for (int i = 0; i < 20; ++i) {
      lookup->Reset();
      lookup->Bind(1, pick(rng));
      benchmark::DoNotOptimize(lookup->Step().ok());
    }
    benchmark::DoNotOptimize(ScanRange(*scan, pick(rng)));
    bench::Check(db.Transaction([&]() -> Status {
      update->Reset();
      update->Bind(1, pick(rng));
      return update->Run();
    }));
  }
}

void Register() {
  const std::pair<const char*, void (*)(benchmark::State&, bool)> workloads[] = {
      {"insert_batch", InsertBatch},
      {"point_lookup", PointLookup},
      {"range_scan", RangeScan},
      {"huddle_mixed", HuddleMixed}};
  for (const auto& [name, fn] : workloads) {
    for (bool encrypted : {false, true}) {
      benchmark::RegisterBenchmark((std::string(name) + (encrypted ? "/encrypted" : "/plain")).c_str(),
                                   [fn = fn, encrypted](benchmark::State& s) { fn(s, encrypted); })
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace
}  // namespace berth

int main(int argc, char** argv) {
  if (berth::bench::TakeFlag(argc, argv, "--smoke")) berth::g_rows = 2'000;
  benchmark::Initialize(&argc, argv);
  berth::Register();
  berth::bench::RatioReporter reporter("plain", "encrypted");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios("encrypted/plain (1.0 = no cost; target <= 1.3)");
  benchmark::Shutdown();
  return 0;
}

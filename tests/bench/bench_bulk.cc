// bench_bulk: the bulk write path (Store::Batch, core::WritePath::kBatch) against the per-row path
// (every row written as Store::Write / Store::ApplyRemote write it alone), same input, same run:
//   demo     `berth demo` (BuildDemo) into a fresh store: seconds on each path (--demo-scale, default
//            england; --per-row-demo-scale measures the per-row baseline at a smaller scale, reported
//            as rows/s, when the England per-row run is too slow to wait for)
//   import   a 100,000-row CQC care directory (the 7,000-row sample in assets, repeated with new
//            location ids; the import keeps the 86% that are care homes or homecare agencies)
//            imported into a fresh store: rows/s on each path
//   apply    200,000 pulled rows (new beds from another device) applied in pages of 5,000, as a device's
//            first pull applies them: rows/s on each path, both through Store::ApplyRemoteBatch (the
//            batch API) and through the pull's own merge of whole rows (sync's MergeRowState in a batch,
//            as SyncSession::ApplyPage runs it), which is the figure the target is about
// Each reports the batch path's figure, the per-row figure and their ratio (batch rate / per-row rate),
// in wall-clock time and in this thread's CPU time (what the work cost when other builds share the cores).
// Each workload first runs once untimed on the batch path, reported as `cold_*`: the first run in a
// process pays for growing the heap (page faults, expensive on this virtual machine) and would otherwise
// charge that to whichever path runs first. The heap has the settings every process that opens a store
// gets (ConfigureSqliteProcess: freed memory kept for reuse), nothing more: what is measured is what a
// laptop runs. The apply reports the page faults each run took (`*_minor_faults`).
// Targets (issue 22): England demo under 30 s, the import under 10 s, apply >= 200,000 rows/s.
// --smoke uses tiny sizes and skips the cold runs so ctest's start-up check takes seconds.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../../sync/src/rows.h"
#include "berth/core/bulk.h"
#include "berth/core/demo.h"
#include "berth/core/geo.h"
#include "berth/core/importers.h"
#include "berth/schema/ids.h"
#include "berth/schema/store.h"
#include "support/bench_support.h"

namespace {

using namespace berth;
using namespace berth::bench;
using core::WritePath;
using Clock = std::chrono::steady_clock;

bool g_smoke = false;
std::string g_demo_scale = "england";
std::string g_per_row_demo_scale;  // empty: the same as g_demo_scale
int64_t g_import_rows = 100000;
int64_t g_apply_rows = 200000;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::unique_ptr<Store> NewStore(const std::string& dir) {
  StoreOptions o;
  o.kdf = BenchKdf();
  Secret recovery;
  auto s = Store::Create(dir, Secret("bench passphrase"), &recovery, o);
  if (!s.ok()) Die(s.status());
  return std::move(s).value();
}

const core::Geography& Geo() {
  auto geo = core::DefaultGeography();
  if (!geo.ok()) Die(geo.status());
  return **geo;
}

int64_t CountRows(Store& store) {
  int64_t n = 0;
  for (const char* t : {"provider", "provider_admissions", "bed", "homecare_capacity", "referral", "offer",
                        "placement", "handback"}) {
    auto c = store.db().QueryInt(std::string("SELECT count(*) FROM ") + t);
    if (!c.ok()) Die(c.status());
    n += *c;
  }
  return n;
}

struct DemoRun {
  double seconds = 0;
  double cpu_seconds = 0;
  int64_t rows = 0;
};

DemoRun Demo(const std::string& scale, WritePath path) {
  TempDir dir;
  auto store = NewStore(dir.path() + "/s");
  auto parsed = core::ParseDemoScale(scale);
  if (!parsed.ok()) Die(parsed.status());
  core::DemoOptions o;
  o.seed = 11;
  o.scale = *parsed;
  o.today = "2026-03-02";
  o.write_path = path;
  const core::Geography& geo = Geo();  // loaded once per process, outside the timing
  SettleDisk();
  const double c0 = ThreadCpuSeconds();
  const auto t0 = Clock::now();
  auto built = core::BuildDemo(*store, geo, o);
  const auto t1 = Clock::now();
  const double c1 = ThreadCpuSeconds();
  if (!built.ok()) Die(built.status());
  return {Seconds(t0, t1), c1 - c0, CountRows(*store)};
}

void BM_Demo(benchmark::State& state) {
  for (auto _ : state) {
    const std::string per_row_scale = g_per_row_demo_scale.empty() ? g_demo_scale : g_per_row_demo_scale;
    if (!g_smoke) {  // --smoke checks that it runs, not how fast
      const DemoRun cold = Demo(g_demo_scale, WritePath::kBatch);
      state.counters["cold_batch_s"] = cold.seconds;
      std::printf("demo: %s batch, first run in the process (cold heap): %.1f s (%.1f s CPU)\n",
                  g_demo_scale.c_str(), cold.seconds, cold.cpu_seconds);
    }
    const DemoRun batch = Demo(g_demo_scale, WritePath::kBatch);
    const DemoRun per_row = Demo(per_row_scale, WritePath::kPerRow);
    state.SetIterationTime(batch.seconds);
    state.counters["batch_s"] = batch.seconds;
    state.counters["batch_cpu_s"] = batch.cpu_seconds;
    state.counters["per_row_cpu_s"] = per_row.cpu_seconds;
    state.counters["batch_rows"] = static_cast<double>(batch.rows);
    state.counters["batch_rows_per_s"] = static_cast<double>(batch.rows) / batch.seconds;
    state.counters["per_row_s"] = per_row.seconds;
    state.counters["per_row_rows"] = static_cast<double>(per_row.rows);
    state.counters["per_row_rows_per_s"] = static_cast<double>(per_row.rows) / per_row.seconds;
    state.counters["batch_vs_per_row_rate"] =
        state.counters["batch_rows_per_s"] / state.counters["per_row_rows_per_s"];
    std::printf(
        "demo: %s batch %.1f s (%.1f s CPU, %lld rows); %s per-row %.1f s (%.1f s CPU, %lld rows); rate "
        "ratio "
        "%.2f\n",
        g_demo_scale.c_str(), batch.seconds, batch.cpu_seconds, static_cast<long long>(batch.rows),
        per_row_scale.c_str(), per_row.seconds, per_row.cpu_seconds, static_cast<long long>(per_row.rows),
        static_cast<double>(state.counters["batch_vs_per_row_rate"]));
  }
}

// The sample directory repeated with fresh location ids until it has `rows` rows.
std::string BigCqcCsv(int64_t rows) {
  std::ifstream in(core::AssetsDir() + "/data/care_directory_2016_sample.csv");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  if (lines.empty()) Die(berth::NotFound("the CQC sample in assets"));
  std::string out;
  for (int64_t i = 0; i < rows; ++i) {
    const std::string& line = lines[static_cast<size_t>(i) % lines.size()];
    // The location id is the last but one field, "1-<digits>": a new one per copy of the sample.
    const size_t last = line.rfind(',');
    const size_t id_start = line.rfind(',', last - 1) + 1;
    out += line.substr(0, id_start);
    out += "1-" + std::to_string(5000000000 + i);
    out += line.substr(last);
    out += '\n';
  }
  return out;
}

double Import(const std::string& csv, WritePath path, int64_t* rows, double* cpu) {
  TempDir dir;
  auto store = NewStore(dir.path() + "/s");
  core::CqcImportOptions o;
  o.write_path = path;
  const core::Geography& geo = Geo();  // loaded once per process, outside the timing
  SettleDisk();
  const double c0 = ThreadCpuSeconds();
  const auto t0 = Clock::now();
  auto report = core::ImportCqcDirectory(*store, geo, csv, o);
  const auto t1 = Clock::now();
  *cpu = ThreadCpuSeconds() - c0;
  if (!report.ok()) Die(report.status());
  auto n = store->db().QueryInt("SELECT count(*) FROM provider");
  if (!n.ok()) Die(n.status());
  *rows = *n;
  return Seconds(t0, t1);
}

void BM_CqcImport(benchmark::State& state) {
  const std::string csv = BigCqcCsv(g_import_rows);
  for (auto _ : state) {
    int64_t batch_rows = 0, per_row_rows = 0;
    double batch_cpu = 0, per_row_cpu = 0;
    if (!g_smoke) {  // --smoke checks that it runs, not how fast
      const double cold = Import(csv, WritePath::kBatch, &batch_rows, &batch_cpu);
      state.counters["cold_batch_s"] = cold;
      std::printf("import: batch, first run in the process (cold heap): %.2f s (%.2f s CPU)\n", cold,
                  batch_cpu);
    }
    const double batch = Import(csv, WritePath::kBatch, &batch_rows, &batch_cpu);
    const double per_row = Import(csv, WritePath::kPerRow, &per_row_rows, &per_row_cpu);
    state.counters["file_rows"] = static_cast<double>(g_import_rows);
    state.counters["batch_cpu_s"] = batch_cpu;
    state.counters["per_row_cpu_s"] = per_row_cpu;
    std::printf("import CPU: batch %.2f s, per-row %.2f s, ratio %.2f\n", batch_cpu, per_row_cpu,
                per_row_cpu / batch_cpu);
    state.SetIterationTime(batch);
    state.counters["rows"] = static_cast<double>(batch_rows);
    state.counters["batch_s"] = batch;
    state.counters["per_row_s"] = per_row;
    state.counters["batch_rows_per_s"] = static_cast<double>(batch_rows) / batch;
    state.counters["per_row_rows_per_s"] = static_cast<double>(per_row_rows) / per_row;
    state.counters["batch_vs_per_row_rate"] = per_row / batch;
    std::printf("import: %lld rows, batch %.2f s (%.0f rows/s), per-row %.2f s (%.0f rows/s), ratio %.2f\n",
                static_cast<long long>(batch_rows), batch, static_cast<double>(batch_rows) / batch, per_row,
                static_cast<double>(per_row_rows) / per_row, per_row / batch);
  }
}

// New beds made on another device, as a first pull brings them (pages of 5,000).
std::vector<Mutation> PulledBeds(int64_t n) {
  const std::string device = NewUuidV7();
  const std::string provider = NewUuidV7();
  std::vector<Mutation> out;
  out.reserve(static_cast<size_t>(n));
  const int64_t base_ms = 1780000000000;
  for (int64_t i = 0; i < n; ++i) {
    Mutation m;
    m.entity = "bed";
    m.row_id = NewUuidV7();
    m.hlc = Hlc{base_ms + i / 1000, static_cast<uint32_t>(i % 1000)}.ToString();
    m.origin_device = device;
    m.fields = {{"provider_id", provider},
                {"room", std::to_string(i % 400)},
                {"weekly_rate_pence", int64_t{85000}},
                {"status", std::string("vacant")}};
    out.push_back(std::move(m));
  }
  return out;
}

// The same beds as the hub sends them in a pull page: whole rows, every column at the row's clock.
std::vector<sync::RowState> PulledBedRows(const std::vector<Mutation>& beds) {
  std::vector<sync::RowState> out;
  out.reserve(beds.size());
  for (const Mutation& m : beds) {
    sync::RowState& r = out.emplace_back();
    r.entity = m.entity;
    r.row_id = m.row_id;
    r.row_hlc = m.hlc;
    r.row_origin = m.origin_device;
    const std::vector<std::pair<const char*, Value>> fields = {
        {"provider_id", m.fields.at("provider_id")},
        {"room", m.fields.at("room")},
        {"category", std::string("residential")},
        {"contract", std::string("spot")},
        {"block_tier", std::string()},
        {"weekly_rate_pence", m.fields.at("weekly_rate_pence")},
        {"en_suite", int64_t{0}},
        {"ground_floor", int64_t{0}},
        {"bariatric", int64_t{0}},
        {"hoist", int64_t{0}},
        {"single_sex_unit", std::string()},
        {"flexibility_clause", int64_t{0}},
        {"status", m.fields.at("status")},
        {"status_since", std::string()},
        {"held_for_referral_id", std::string()},
        {"held_until", std::string()},
        {"unavailable_reason", std::string()},
        {"deleted", int64_t{0}}};
    for (const auto& [name, value] : fields) {
      sync::FieldState& f = r.fields.emplace_back();
      f.name = name;
      f.value = value;
    }
  }
  return out;
}

enum class ApplyHow {
  kRemoteBatch,   // Store::ApplyRemoteBatch per page
  kRemotePerRow,  // Store::ApplyRemote per row, one transaction per page
  kPullBatch,     // what a device's pull does with a page (SyncSession::ApplyPage): MergeRowState per row
                  // inside one Store::Batch, the clock observed once
  kPullPerRow,    // MergeRowState per row, one transaction per page
};

double Apply(const std::vector<Mutation>& rows, const std::vector<sync::RowState>& pulled, ApplyHow how,
             double* cpu, int64_t* faults) {
  TempDir dir;
  auto store = NewStore(dir.path() + "/s");
  sync::internal::Schema schema;
  Check(schema.Load(store->db()));
  constexpr size_t kPage = 5000;
  SettleDisk();
  const int64_t f0 = MinorFaults();
  const double c0 = ThreadCpuSeconds();
  const auto t0 = Clock::now();
  for (size_t done = 0; done < rows.size(); done += kPage) {
    const size_t n = std::min(kPage, rows.size() - done);
    const std::span<const Mutation> page(rows.data() + done, n);
    const std::span<const sync::RowState> pulled_page(pulled.data() + done, n);
    auto merge_page = [&]() -> Status {
      std::string newest;
      for (const sync::RowState& r : pulled_page) {
        newest = std::max(newest, r.row_hlc);
        BERTH_RETURN_IF_ERROR(sync::internal::MergeRowState(*store, schema, r));
      }
      return store->ObserveClock(newest);
    };
    switch (how) {
      case ApplyHow::kRemoteBatch:
        Check(store->ApplyRemoteBatch(page));
        break;
      case ApplyHow::kRemotePerRow:
        Check(store->db().Transaction([&]() -> Status {
          for (const Mutation& m : page) BERTH_RETURN_IF_ERROR(store->ApplyRemote(m));
          return Status::Ok();
        }));
        break;
      case ApplyHow::kPullBatch:
        Check(store->Batch(merge_page));
        break;
      case ApplyHow::kPullPerRow:
        Check(store->db().Transaction(merge_page));
        break;
    }
  }
  const auto t1 = Clock::now();
  *cpu = ThreadCpuSeconds() - c0;
  *faults = MinorFaults() - f0;
  auto n = store->db().QueryInt("SELECT count(*) FROM bed");
  if (!n.ok()) Die(n.status());
  if (*n != static_cast<int64_t>(rows.size())) Die(berth::InternalError("not every pulled row was applied"));
  return Seconds(t0, t1);
}

void BM_PullApply(benchmark::State& state) {
  const std::vector<Mutation> rows = PulledBeds(g_apply_rows);
  const std::vector<sync::RowState> pulled = PulledBedRows(rows);
  const double n = static_cast<double>(rows.size());
  for (auto _ : state) {
    double batch_cpu = 0, per_row_cpu = 0;
    int64_t batch_faults = 0, per_row_faults = 0;
    if (!g_smoke) {  // --smoke checks that it runs, not how fast
      int64_t cold_faults = 0;
      const double cold = Apply(rows, pulled, ApplyHow::kPullBatch, &batch_cpu, &cold_faults);
      state.counters["cold_batch_rows_per_s"] = n / cold;
      state.counters["cold_batch_minor_faults"] = static_cast<double>(cold_faults);
      std::printf("apply: pull batch, first run in the process (cold heap): %.0f rows/s, %lld page faults\n",
                  n / cold, static_cast<long long>(cold_faults));
    }
    // Store::ApplyRemoteBatch, the batch form of the core write API, against Store::ApplyRemote.
    const double batch = Apply(rows, pulled, ApplyHow::kRemoteBatch, &batch_cpu, &batch_faults);
    const double per_row = Apply(rows, pulled, ApplyHow::kRemotePerRow, &per_row_cpu, &per_row_faults);
    state.counters["batch_rows_per_cpu_s"] = n / batch_cpu;
    state.counters["per_row_rows_per_cpu_s"] = n / per_row_cpu;
    std::printf("apply CPU: batch %.0f rows/s, per-row %.0f rows/s, ratio %.2f\n", n / batch_cpu,
                n / per_row_cpu, per_row_cpu / batch_cpu);
    state.counters["rows"] = n;
    state.counters["batch_rows_per_s"] = n / batch;
    state.counters["per_row_rows_per_s"] = n / per_row;
    state.counters["batch_vs_per_row_rate"] = per_row / batch;
    std::printf("apply: %.0f rows, batch %.0f rows/s, per-row %.0f rows/s, ratio %.2f\n", n, n / batch,
                n / per_row, per_row / batch);
    // What a device's pull runs (whole rows through MergeRowState), in a batch and row by row.
    double pull_cpu = 0, pull_per_row_cpu = 0;
    int64_t pull_faults = 0, pull_per_row_faults = 0;
    const double pull = Apply(rows, pulled, ApplyHow::kPullBatch, &pull_cpu, &pull_faults);
    const double pull_per_row =
        Apply(rows, pulled, ApplyHow::kPullPerRow, &pull_per_row_cpu, &pull_per_row_faults);
    state.SetIterationTime(pull);
    state.counters["pull_batch_rows_per_s"] = n / pull;
    state.counters["pull_batch_rows_per_cpu_s"] = n / pull_cpu;
    state.counters["pull_per_row_rows_per_s"] = n / pull_per_row;
    state.counters["pull_per_row_rows_per_cpu_s"] = n / pull_per_row_cpu;
    state.counters["pull_batch_minor_faults"] = static_cast<double>(pull_faults);
    std::printf("apply page faults: batch %lld, per-row %lld, pull batch %lld, pull per-row %lld\n",
                static_cast<long long>(batch_faults), static_cast<long long>(per_row_faults),
                static_cast<long long>(pull_faults), static_cast<long long>(pull_per_row_faults));
    std::printf("apply (pull path) CPU: batch %.0f rows/s, per-row %.0f rows/s, ratio %.2f\n", n / pull_cpu,
                n / pull_per_row_cpu, pull_per_row_cpu / pull_cpu);
    std::printf("apply (pull path): %.0f rows, batch %.0f rows/s, per-row %.0f rows/s, ratio %.2f\n", n,
                n / pull, n / pull_per_row, pull_per_row / pull);
  }
}

BENCHMARK(BM_Demo)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_CqcImport)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);
BENCHMARK(BM_PullApply)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

std::string TakeValue(int& argc, char** argv, const std::string& prefix) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind(prefix, 0) == 0) {
      std::string v = std::string(argv[i]).substr(prefix.size());
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      --argc;
      return v;
    }
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  g_smoke = TakeFlag(argc, argv, "--smoke");
  if (g_smoke) {
    g_demo_scale = "county";
    g_import_rows = 500;
    g_apply_rows = 2000;
  }
  if (auto v = TakeValue(argc, argv, "--demo-scale="); !v.empty()) g_demo_scale = v;
  if (auto v = TakeValue(argc, argv, "--per-row-demo-scale="); !v.empty()) g_per_row_demo_scale = v;
  if (auto v = TakeValue(argc, argv, "--import-rows="); !v.empty()) g_import_rows = std::stoll(v);
  if (auto v = TakeValue(argc, argv, "--apply-rows="); !v.empty()) g_apply_rows = std::stoll(v);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

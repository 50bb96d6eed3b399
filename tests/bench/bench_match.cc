// bench_match: matching against the supply index vs a naive baseline, same data, same run.
//   single_match   one referral at a time (beds + homecare), one pass over the whole queue on each side
//   queue_match    every referral of the queue (about 1,000), indexed vs naive
//   plan           the huddle plan for the queue: indexed matching + min-cost flow, vs naive matching +
//   greedy
// The naive baseline filters and scores every bed and every homecare capacity row in the store with the
// same rule and score code (berth_core's EvaluateBed / EvaluateHomecare) but no index: no spatial grid, no
// pool of available beds, no zone lists. Data: `berth demo --scale england` built by the same generator
// (app/core/demo.h); `--scale=region` uses the East of England demo (minutes less to build); `--smoke`
// uses the county demo so ctest can check the program runs in seconds. `--store=DIR` keeps the demo store
// in DIR: the first run builds it there (and records its build time), later runs of the same scale open it
// instead, so an England-scale measurement does not pay for the build every time.
// After the runs it prints the ratios (indexed / naive), the per-call medians of single_match over the same
// referrals (all, bed referrals, homecare-only referrals), what the plan placed against greedy, and what
// share of a plan its unplaced list takes (each unplaced referral matched again for its near misses).
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <unordered_map>

#include "berth/core/demo.h"
#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/plan.h"
#include "berth/core/scoring.h"
#include "berth/core/supply_index.h"
#include "berth/schema/occupancy.h"
#include "berth/schema/repository.h"
#include "berth/schema/store.h"
#include "support/bench_support.h"

namespace berth {
namespace {

using namespace berth::core;

bool g_smoke = false;
DemoScale g_scale = DemoScale::kEngland;  // --scale=region for a quicker full run
std::string g_store_dir;                  // --store=DIR: build the demo there once, reuse it after
constexpr const char* kToday = "2026-11-22";
constexpr uint64_t kSeed = 11;

const char* ScaleName() {
  return g_smoke ? "county" : g_scale == DemoScale::kRegion ? "region" : "england";
}

// Every record as plain slots, with only id -> position maps: what matching looks like without an index.
struct Naive {
  std::vector<ProviderSlot> providers;
  std::vector<BedSlot> beds;  // every bed in the store
  std::vector<CapacitySlot> capacity;
  std::vector<std::string> zone_names;
  std::vector<std::optional<LatLong>> zone_centres;
  std::unordered_map<std::string, std::vector<uint32_t>> previous;

  void Load(Db& db, const Geography& geo) {
    std::unordered_map<std::string, uint32_t> pid;
    const auto p_rows = *LoadProviders(db);
    for (const Provider& p : p_rows) {
      ProviderSlot s;
      s.id = p.id;
      s.name = p.name;
      s.kind = p.kind;
      s.located = p.latitude && p.longitude;
      if (s.located) s.where = {*p.latitude, *p.longitude};
      s.registration = p.registration;
      for (Specialism sp : p.specialisms) s.specialisms |= 1u << static_cast<unsigned>(sp);
      s.rating = p.rating;
      s.live = true;
      pid[p.id] = static_cast<uint32_t>(providers.size());
      providers.push_back(std::move(s));
    }
    const auto a_rows = *LoadAdmissions(db);
    for (const ProviderAdmissions& a : a_rows) {
      if (a.status != AdmissionsStatus::kClosed || !pid.count(a.provider_id)) continue;
      ProviderSlot& s = providers[pid[a.provider_id]];
      if (!a.category) s.closed_all = true;
      if (a.category) s.closed_mask |= 1u << static_cast<unsigned>(*a.category);
    }
    // Placements take their bed or hours for the days they cover (berth/schema/occupancy.h).
    std::unordered_map<std::string, int32_t> free_from;  // bed -> the day after its last placement ends
    std::unordered_map<std::string, std::vector<HoursTaken>> taken;
    const auto placement_rows = *LoadPlacements(db);
    for (const Placement& p : placement_rows) {
      if (!PlacementTakesDays(ToString(p.status), p.end_date)) continue;
      HoursTaken t;
      if (!p.start_date.empty()) t.first_day = static_cast<int32_t>(DaysFromIsoDate(p.start_date));
      if (!p.end_date.empty()) t.last_day = static_cast<int32_t>(DaysFromIsoDate(p.end_date));
      t.hours = p.hours_per_week;
      if (!p.bed_id.empty()) {
        auto it = free_from.try_emplace(p.bed_id, std::numeric_limits<int32_t>::min()).first;
        it->second =
            t.last_day == kNoDay || it->second == kNoDay ? kNoDay : std::max(it->second, t.last_day + 1);
      }
      if (!p.homecare_capacity_id.empty()) taken[p.homecare_capacity_id].push_back(t);
    }
    for (const Placement& p : placement_rows) {
      if (!p.referral_id.empty() && p.status != PlacementStatus::kHandedBack && pid.count(p.provider_id)) {
        previous[p.referral_id].push_back(pid[p.provider_id]);
      }
    }
    const auto b_rows = *LoadBeds(db);
    for (const Bed& b : b_rows) {
      BedSlot s;
      s.id = b.id;
      s.provider = pid.count(b.provider_id) ? pid[b.provider_id] : kNoSlot;
      if (s.provider == kNoSlot) continue;
      s.category = b.category;
      s.contract = b.contract;
      s.weekly_rate_pence = b.weekly_rate_pence;
      s.features = b.features;
      s.flexibility_clause = b.flexibility_clause;
      s.status = b.status;
      s.status_since_day =
          IsIsoDate(b.status_since) ? static_cast<int32_t>(DaysFromIsoDate(b.status_since)) : kNoDay;
      s.held_for = b.held_for_referral_id;
      s.held_until = b.held_until;
      if (auto v = free_from.find(b.id); v != free_from.end()) {
        s.has_placements = true;
        s.free_from_day = v->second;
      }
      s.live = true;
      beds.push_back(std::move(s));
    }
    std::map<std::string, uint32_t> zid;
    const auto c_rows = *LoadHomecareCapacity(db);
    for (const HomecareCapacity& c : c_rows) {
      CapacitySlot s;
      s.id = c.id;
      s.provider = pid.count(c.provider_id) ? pid[c.provider_id] : kNoSlot;
      if (s.provider == kNoSlot) continue;
      auto [it, added] = zid.try_emplace(c.zone, static_cast<uint32_t>(zone_names.size()));
      if (added) {
        zone_names.push_back(c.zone);
        const LocalAuthority* la = geo.FindAuthority(c.zone);
        zone_centres.push_back(la && la->centre ? la->centre : geo.Locate(c.zone));
      }
      s.zone = it->second;
      s.band = c.band;
      s.hours_per_week = c.hours_per_week;
      if (auto t = taken.find(c.id); t != taken.end()) s.taken = t->second;
      s.available_from_day =
          c.available_from.empty() ? kNoDay : static_cast<int32_t>(DaysFromIsoDate(c.available_from));
      s.double_up = c.double_up;
      s.female_carers = c.female_carers;
      s.male_carers = c.male_carers;
      s.contract = c.contract;
      s.hourly_rate_pence = c.hourly_rate_pence;
      s.live = true;
      capacity.push_back(std::move(s));
    }
  }

  std::vector<Candidate> Match(const MatchContext& ctx, const Referral& r) const {
    MatchContext c = ctx;
    c.index = nullptr;
    Needs n = PrepareNeeds(c, r);
    if (auto it = previous.find(r.id); it != previous.end()) n.previous = it->second;
    if (n.where) {
      double best = 0;
      for (uint32_t z = 0; z < zone_names.size(); ++z) {
        if (!zone_centres[z]) continue;
        const double km = DistanceKm(*n.where, *zone_centres[z]);
        if (n.zone == kNoSlot || km < best || (km == best && zone_names[z] < zone_names[n.zone])) {
          n.zone = z;
          best = km;
        }
      }
    }
    std::vector<Candidate> out;
    Candidate cand;
    if (n.wants_bed) {
      for (uint32_t b = 0; b < beds.size(); ++b) {
        if (!EvaluateBed(c, n, providers[beds[b].provider], beds[b], &cand, nullptr)) {
          cand.bed = b;
          out.push_back(cand);
        }
      }
    }
    if (n.wants_homecare && n.zone != kNoSlot) {
      std::map<uint32_t, std::pair<std::vector<const CapacitySlot*>, std::vector<uint32_t>>> by_provider;
      for (uint32_t i = 0; i < capacity.size(); ++i) {
        if (capacity[i].zone != n.zone) continue;
        auto& [rows, slots] = by_provider[capacity[i].provider];
        rows.push_back(&capacity[i]);
        slots.push_back(i);
      }
      for (const auto& [p, rs] : by_provider) {
        if (!EvaluateHomecare(c, n, providers[p], rs.first, rs.second, &cand, nullptr)) out.push_back(cand);
      }
    }
    std::sort(out.begin(), out.end(), [this](const Candidate& a, const Candidate& b) {
      if (a.score != b.score) return a.score > b.score;
      const double da = a.distance_km.value_or(1e9), db = b.distance_km.value_or(1e9);
      if (da != db) return da < db;
      if (a.kind != b.kind) return a.kind < b.kind;
      if (providers[a.provider].id != providers[b.provider].id)
        return providers[a.provider].id < providers[b.provider].id;
      return a.kind == CandidateKind::kBed && beds[a.bed].id < beds[b.bed].id;
    });
    return out;
  }

  // First-come greedy over naive candidates (what a broker working down the list does).
  size_t Greedy(const std::vector<std::vector<Candidate>>& all) const {
    std::vector<char> used(beds.size(), 0);
    std::vector<double> left(capacity.size());
    for (size_t i = 0; i < capacity.size(); ++i) left[i] = capacity[i].Remaining();
    size_t placed = 0;
    for (const auto& cands : all) {
      for (const Candidate& c : cands) {
        bool fits = c.kind == CandidateKind::kBed ? !used[c.bed] : true;
        for (const auto& u : c.bands) fits = fits && left[u.capacity] + 1e-9 >= u.hours;
        if (!fits) continue;
        if (c.kind == CandidateKind::kBed) used[c.bed] = 1;
        for (const auto& u : c.bands) left[u.capacity] -= u.hours;
        ++placed;
        break;
      }
    }
    return placed;
  }
};

struct World {
  bench::TempDir tmp;
  std::unique_ptr<Store> store;
  const Geography* geo = nullptr;
  MatchSettings settings;
  std::optional<SupplyIndex> index;
  Naive naive;
  std::vector<Referral> queue;
  MatchContext ctx;
  double build_seconds = 0, index_seconds = 0;
  std::string demo_text;  // the demo's summary, and where the store came from
};

// The demo store of the chosen scale: built in a temporary directory, or with --store=DIR built there
// once (DIR/store, with DIR/demo.txt recording the scale, seed, date and build time) and opened after.
void OpenOrBuildDemo(World& w) {
  StoreOptions o;
  o.kdf = bench::BenchKdf();
  const std::string dir = g_store_dir.empty() ? w.tmp.path() : g_store_dir;
  const std::string store_dir = dir + "/store", record = dir + "/demo.txt";
  const std::string header =
      fmt::format("bench_match demo: scale {}, seed {}, today {}\n", ScaleName(), kSeed, kToday);
  if (!g_store_dir.empty() && std::filesystem::exists(record)) {
    std::ifstream in(record);
    std::stringstream text;
    text << in.rdbuf();
    const std::string kept = text.str();
    if (kept.compare(0, header.size(), header) != 0) {
      bench::Die(BadInput("--store=" + g_store_dir + " holds another demo (" +
                          kept.substr(0, kept.find('\n')) + "); use another directory"));
    }
    auto s = Store::Open(store_dir, Secret("bench"), o);
    if (!s.ok()) bench::Die(s.status());
    w.store = std::move(s).value();
    std::istringstream lines(kept.substr(header.size()));
    std::string seconds;
    std::getline(lines, seconds);
    w.build_seconds = std::atof(seconds.c_str());
    std::stringstream rest;
    rest << lines.rdbuf();
    w.demo_text = "(reused from " + g_store_dir + ")\n" + rest.str();
    return;
  }
  if (!g_store_dir.empty() && std::filesystem::exists(store_dir)) {
    bench::Die(BadInput("--store=" + g_store_dir + " has a store but no demo.txt (an interrupted build?)"));
  }
  std::filesystem::create_directories(dir);
  Secret recovery;
  auto s = Store::Create(store_dir, Secret("bench"), &recovery, o);
  if (!s.ok()) bench::Die(s.status());
  w.store = std::move(s).value();
  DemoOptions d;
  d.seed = kSeed;
  d.today = kToday;
  d.scale = g_smoke ? DemoScale::kCounty : g_scale;
  const auto t0 = std::chrono::steady_clock::now();
  auto summary = BuildDemo(*w.store, *w.geo, d);
  if (!summary.ok()) bench::Die(summary.status());
  w.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  w.demo_text = summary->Text();
  if (!g_store_dir.empty()) {
    std::ofstream(record) << header << w.build_seconds << "\n" << w.demo_text;
  }
}

World& W() {
  static std::unique_ptr<World> w;
  if (w) return *w;
  w = std::make_unique<World>();
  auto geo = DefaultGeography();
  if (!geo.ok()) bench::Die(geo.status());
  w->geo = *geo;
  OpenOrBuildDemo(*w);
  const auto t1 = std::chrono::steady_clock::now();
  auto ix = SupplyIndex::Build(w->store->db(), w->geo);
  if (!ix.ok()) bench::Die(ix.status());
  w->index = std::move(ix).value();
  const auto t2 = std::chrono::steady_clock::now();
  w->index_seconds = std::chrono::duration<double>(t2 - t1).count();
  w->naive.Load(w->store->db(), *w->geo);
  auto q = LoadOpenQueue(w->store->db(), kToday);
  if (!q.ok()) bench::Die(q.status());
  w->queue = std::move(q).value();
  if (w->queue.size() > 1000) w->queue.resize(1000);
  w->ctx.index = &*w->index;
  w->ctx.settings = &w->settings;
  w->ctx.geo = w->geo;
  w->ctx.today = kToday;
  w->ctx.now_iso = std::string(kToday) + "T09:00:00Z";
  w->ctx.keep_exclusions = false;
  std::fprintf(
      stderr,
      "data: %s demo: %zu providers, %zu beds (%zu in the pool), %zu capacity rows, %zu referrals in the "
      "queue; demo built in %.1f s, index built in %.2f s\n%s",
      ScaleName(), w->naive.providers.size(), w->naive.beds.size(), w->index->pool_beds(),
      w->naive.capacity.size(), w->queue.size(), w->build_seconds, w->index_seconds, w->demo_text.c_str());
  // The two must agree before their speeds mean anything.
  size_t mismatched = 0;
  for (const Referral& r : w->queue) {
    const auto a = Match(w->ctx, r).candidates;
    const auto b = w->naive.Match(w->ctx, r);
    bool same = a.size() == b.size();
    for (size_t i = 0; same && i < a.size(); ++i) {
      same =
          w->index->providers()[a[i].provider].id == w->naive.providers[b[i].provider].id &&
          a[i].score == b[i].score &&
          (a[i].kind != CandidateKind::kBed || w->index->beds()[a[i].bed].id == w->naive.beds[b[i].bed].id);
    }
    mismatched += same ? 0 : 1;
  }
  std::fprintf(stderr, "indexed and naive rankings agree on %zu of %zu referrals\n",
               w->queue.size() - mismatched, w->queue.size());
  return *w;
}

// Per-call times of single_match, in queue order: each side runs one pass over the whole queue, so the
// medians compare the same referrals.
std::map<std::string, std::vector<double>> g_single_us;

void SingleMatch(benchmark::State& state, bool indexed) {
  World& w = W();
  size_t i = 0, found = 0;
  auto& times = g_single_us[indexed ? "indexed" : "naive"];
  times.clear();
  MatchContext explained = w.ctx;
  explained.keep_exclusions = true;
  for (auto _ : state) {
    const Referral& r = w.queue[i++ % w.queue.size()];
    const auto t0 = std::chrono::steady_clock::now();
    // The indexed side also records every exclusion with its rule, as `berth match` does; the naive side
    // only finds the candidates, so the comparison is conservative.
    const size_t n = indexed ? Match(explained, r).candidates.size() : w.naive.Match(w.ctx, r).size();
    times.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    found += n;
    benchmark::DoNotOptimize(n);
  }
  state.counters["candidates/referral"] =
      static_cast<double>(found) / static_cast<double>(std::max<size_t>(1, i));
}

void QueueMatch(benchmark::State& state, bool indexed) {
  World& w = W();
  for (auto _ : state) {
    size_t total = 0;
    for (const Referral& r : w.queue)
      total += indexed ? Match(w.ctx, r).candidates.size() : w.naive.Match(w.ctx, r).size();
    benchmark::DoNotOptimize(total);
  }
  state.counters["referrals"] = static_cast<double>(w.queue.size());
}

std::string g_plan_note;  // what the last indexed plan did

// What the plan's unplaced list costs: for each referral the plan leaves unplaced, the matching again with
// its exclusions and the nearest misses (what UnplacedReason does), timed against a whole plan.
std::string NearMissShare(World& w) {
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  const Plan plan = MakePlan(w.ctx, w.queue);
  const double plan_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  std::unordered_map<std::string, const Referral*> by_id;
  for (const Referral& r : w.queue) by_id[r.id] = &r;
  MatchContext full = w.ctx;
  full.keep_exclusions = true;
  size_t listed = 0;
  t0 = Clock::now();
  for (const auto& u : plan.unplaced) {
    const MatchResult m = Match(full, *by_id.at(u.referral_id));
    if (m.candidates.empty()) listed += NearMisses(full, m, 3).size();
  }
  const double near_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  return fmt::format(
      "unplaced list: {} of {} referrals unplaced, {} nearest misses named; matching them again with their "
      "exclusions and near misses takes {:.1f} ms of a {:.1f} ms plan ({:.0f}%)",
      plan.unplaced.size(), w.queue.size(), listed, near_ms, plan_ms,
      plan_ms > 0 ? 100 * near_ms / plan_ms : 0);
}

void PlanQueue(benchmark::State& state, bool indexed) {
  World& w = W();
  size_t placed = 0;
  for (auto _ : state) {
    if (indexed) {
      const Plan plan = MakePlan(w.ctx, w.queue);
      placed = plan.totals.placed;
      g_plan_note = fmt::format("plan: {} placed by {} (greedy first-come on the same candidates: {} placed)",
                                plan.totals.placed, plan.totals.method, plan.totals.greedy_placed);
    } else {
      std::vector<std::vector<Candidate>> all;
      all.reserve(w.queue.size());
      for (const Referral& r : w.queue) all.push_back(w.naive.Match(w.ctx, r));
      placed = w.naive.Greedy(all);
    }
    benchmark::DoNotOptimize(placed);
  }
  state.counters["placed"] = static_cast<double>(placed);
  if (indexed) g_plan_note += "\n" + NearMissShare(w);
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Medians of single_match over the referrals both sides ran, overall and by what the referral wants.
void PrintSingleMedians() {
  const World& w = W();
  const auto& naive_all = g_single_us["naive"];
  const auto& indexed_all = g_single_us["indexed"];
  const size_t n = std::min(naive_all.size(), indexed_all.size());
  struct Group {
    const char* label;
    std::vector<double> naive, indexed;
  } groups[3] = {{"all referrals", {}, {}}, {"bed referrals", {}, {}}, {"homecare-only referrals", {}, {}}};
  for (size_t i = 0; i < n; ++i) {
    const Referral& r = w.queue[i % w.queue.size()];
    for (Group* g : {&groups[0], r.category ? &groups[1] : &groups[2]}) {
      g->naive.push_back(naive_all[i]);
      g->indexed.push_back(indexed_all[i]);
    }
  }
  std::printf("\nsingle_match medians (wall clock per call, the same %zu referrals on both sides):\n", n);
  for (const Group& g : groups) {
    const double a = Median(g.naive), b = Median(g.indexed);
    std::printf("  %-24s %5zu  naive %8.1f us  indexed %7.1f us  speed-up %6.1fx\n", g.label, g.naive.size(),
                a, b, b > 0 ? a / b : 0.0);
  }
  std::printf("  (targets: all referrals >= 20x, indexed < 2000 us)\n");
}

}  // namespace
}  // namespace berth

int main(int argc, char** argv) {
  using namespace berth;
  g_smoke = bench::TakeFlag(argc, argv, "--smoke");
  if (bench::TakeFlag(argc, argv, "--scale=region")) g_scale = DemoScale::kRegion;
  if (bench::TakeFlag(argc, argv, "--scale=england")) g_scale = DemoScale::kEngland;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--store=", 8) != 0) continue;
    g_store_dir = argv[i] + 8;
    for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
    --argc;
    break;
  }
  benchmark::Initialize(&argc, argv);
  const auto passes = static_cast<benchmark::IterationCount>(W().queue.size());  // data before any timing
  benchmark::RegisterBenchmark("single_match/naive", SingleMatch, false)
      ->Unit(benchmark::kMicrosecond)
      ->Iterations(passes);
  benchmark::RegisterBenchmark("single_match/indexed", SingleMatch, true)
      ->Unit(benchmark::kMicrosecond)
      ->Iterations(passes);
  benchmark::RegisterBenchmark("queue_match/naive", QueueMatch, false)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("queue_match/indexed", QueueMatch, true)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("plan/naive", PlanQueue, false)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("plan/indexed", PlanQueue, true)->Unit(benchmark::kMillisecond);
  bench::RatioReporter reporter("naive", "indexed");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios("indexed / naive (CPU time per iteration; below 1 is faster):");
  PrintSingleMedians();
  if (!g_plan_note.empty()) std::printf("\n%s\n", g_plan_note.c_str());
  benchmark::Shutdown();
  return 0;
}

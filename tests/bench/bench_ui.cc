// bench_ui: the CPU cost of one frame of the huddle board, measured headless (a real ImGui context, no
// GPU, no vsync): everything Berth does per frame up to ImGui::Render() (the GPU upload is the driver's).
//   huddle_frame/large         the board on a queue of 100,000 referrals, first row selected
//   huddle_frame/small         the same on 1,000 referrals (baseline: list clipping makes size not matter)
//   huddle_search_frame/large  a frame in which the search text changes, so the 100,000 rows are re-filtered
//   huddle_search_frame/small  the same on 1,000 referrals
// Each reports the median and 95th percentile frame time (thread CPU time) as counters; the target is a
// median under 4 ms for huddle_frame/large. `--smoke` uses 2,000 rows so ctest can check the program runs.
#include <benchmark/benchmark.h>
#include <imgui.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "berth/views/view_model.h"
#include "commands.h"
#include "huddle_panel.h"
#include "panel.h"
#include "support/bench_support.h"

namespace berth::ui {
namespace {

int64_t g_large = 100'000;
constexpr int64_t kSmall = 1'000;

QueueData MakeQueue(int64_t n) {
  static const char* kFirst[] = {"Ann",   "Bob",  "Cara",   "Dev",  "Edna",
                                 "Frank", "Gwen", "Harold", "Iris", "Jack"};
  static const char* kLast[] = {"Smith",    "Jones",  "Taylor",  "Brown",
                                "Williams", "Wilson", "Johnson", "Davies"};
  static const char* kHospitals[] = {"Addenbrooke's", "Hinchingbrooke", "Peterborough City", "Community"};
  static const char* kAreas[] = {"CB1", "CB2", "CB4", "PE1", "PE2", "PE3", "PE15", "PE19", "PE27", "PE29"};
  std::mt19937_64 rng(42);
  QueueData q;
  q.available = true;
  q.version = 1;
  q.today = "2026-11-22";
  q.rows.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    QueueRow r;
    r.id = std::to_string(i);
    r.name = std::string(kFirst[rng() % 10]) + " " + kLast[rng() % 8];
    r.nhs_number = std::to_string(9000000000ULL + rng() % 999999999ULL);
    r.pathway = static_cast<Pathway>(rng() % 5);
    r.category = r.pathway == Pathway::kP1 ? "" : "nursing";
    r.status = static_cast<ReferralStatus>(rng() % 4);
    r.priority = rng() % 50 == 0  ? Priority::kHandBack
                 : rng() % 5 == 0 ? Priority::kUrgent
                                  : Priority::kRoutine;
    r.hospital = kHospitals[rng() % 4];
    r.area = kAreas[rng() % 10];
    r.broker = rng() % 3 == 0 ? "" : "broker" + std::to_string(rng() % 12);
    r.days_past = static_cast<int64_t>(rng() % 40) - 10;
    r.discharge_ready_date = "2026-11-01";
    r.search_key = r.name + " " + r.nhs_number;
    std::transform(r.search_key.begin(), r.search_key.end(), r.search_key.begin(), ::tolower);
    q.rows.push_back(std::move(r));
  }
  SortByUrgency(q.rows);
  return q;
}

class Headless {
 public:
  Headless() {
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;
    io.DisplaySize = ImVec2(1280, 800);
    io.DeltaTime = 1.0f / 60.0f;
    io.KeyMap[ImGuiKey_Space] = ' ';
    unsigned char* px = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
  }
  ~Headless() { ImGui::DestroyContext(); }
};

// One frame as the shell draws it: a full-window panel area, then Render().
void Frame(HuddlePanel& panel, const Workspace& ws, CommandQueue& commands) {
  ImGui::NewFrame();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(ImGui::GetIO().DisplaySize);
  ImGui::Begin("panel", nullptr, ImGuiWindowFlags_NoDecoration);
  PanelContext ctx{ws, commands, false};
  panel.Draw(ctx);
  ImGui::End();
  ImGui::Render();
  commands.Drain();
}

void Report(benchmark::State& state, std::vector<double>& ms, int64_t rows) {
  std::sort(ms.begin(), ms.end());
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["median_ms"] = ms[ms.size() / 2];
  state.counters["p95_ms"] = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
}

void HuddleFrame(benchmark::State& state, int64_t rows, bool search) {
  Headless ui;
  Workspace ws;
  ws.queue = MakeQueue(rows);
  CommandQueue commands;
  HuddlePanel panel;
  for (int i = 0; i < 3; ++i) Frame(panel, ws, commands);  // windows and table settle
  std::vector<double> ms;
  int64_t n = 0;
  static const char* kSearches[] = {"smi", "jon", "gwen t", "9001", ""};
  for (auto _ : state) {
    if (search) panel.filter().search = kSearches[n % 5];
    const double t0 = 1e3 * bench::ThreadCpuSeconds();
    Frame(panel, ws, commands);
    ms.push_back(1e3 * bench::ThreadCpuSeconds() - t0);
    ++n;
  }
  Report(state, ms, rows);
}

void Register() {
  benchmark::RegisterBenchmark("huddle_frame/small", [](benchmark::State& s) {
    HuddleFrame(s, kSmall, false);
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("huddle_frame/large", [](benchmark::State& s) {
    HuddleFrame(s, g_large, false);
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("huddle_search_frame/small", [](benchmark::State& s) {
    HuddleFrame(s, kSmall, true);
  })->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("huddle_search_frame/large", [](benchmark::State& s) {
    HuddleFrame(s, g_large, true);
  })->Unit(benchmark::kMillisecond);
}

}  // namespace
}  // namespace berth::ui

int main(int argc, char** argv) {
  if (berth::bench::TakeFlag(argc, argv, "--smoke")) berth::ui::g_large = 2'000;
  benchmark::Initialize(&argc, argv);
  berth::ui::Register();
  berth::bench::RatioReporter reporter("small", "large");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios(
      "large queue / small queue, CPU time per frame (1.0 = the queue's size does not matter)");
  benchmark::Shutdown();
  return 0;
}

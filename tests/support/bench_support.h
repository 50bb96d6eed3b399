// Helpers for the benchmark programs in tests/bench: ratios against a same-run baseline, flags, temp dirs.
// Header-only so the bench programs need no test library (and no gtest).
#pragma once

#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth::bench {

// The passphrase KDF for the stores a benchmark makes: the test-only fast one where the build allows it
// (the smoke runs of `make test`), else the release cost, as a council's stores have (`make bench`).
inline KdfParams BenchKdf() {
  return KdfParams::TestOnlyKdfBuild() ? KdfParams::Fast() : KdfParams::Default();
}

[[noreturn]] inline void Die(const Status& st) {
  std::fprintf(stderr, "benchmark setup failed: %s\n", st.ToString().c_str());
  std::exit(1);
}
inline void Check(const Status& st) {
  if (!st.ok()) Die(st);
}

// Removes `flag` from argv (before benchmark::Initialize sees it); true if it was there.
inline bool TakeFlag(int& argc, char** argv, const char* flag) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], flag) == 0) {
      for (int j = i; j + 1 < argc; ++j) argv[j] = argv[j + 1];
      --argc;
      return true;
    }
  }
  return false;
}

// Call before each timed phase: the data earlier phases wrote (hundreds of megabytes in a large run) goes
// to the disk first, so the kernel's writeback of it does not fall inside this phase's time. Without it a
// same-run baseline measured after a large sync varied from 96,000 to 159,000 rows/s on one machine.
inline void SettleDisk() {
  ::sync();
}

// CPU seconds the calling thread has used: what the work cost when other processes share the cores.
inline double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Page faults this process has taken that needed no disk read (first touches of memory, mostly).
inline int64_t MinorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "berth-bench-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) std::exit(1);
    path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Console output as usual, plus a table of ratios: for every benchmark "W/<candidate>" with a matching
// "W/<baseline>", candidate time / baseline time (CPU time, per iteration).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter(std::string baseline, std::string candidate)
      : baseline_(std::move(baseline)), candidate_(std::move(candidate)) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      const std::string name = run.benchmark_name();
      const auto slash = name.find('/');
      if (slash == std::string::npos) continue;
      const std::string workload = name.substr(0, slash);
      const std::string variant = name.substr(slash + 1, name.find('/', slash + 1) - slash - 1);
      times_[workload][variant] = run.GetAdjustedCPUTime();
    }
  }

  void PrintRatios(const char* title) const {
    std::printf("\n%s\n", title);
    for (const auto& [workload, variants] : times_) {
      auto b = variants.find(baseline_), c = variants.find(candidate_);
      if (b == variants.end() || c == variants.end() || b->second <= 0) continue;
      std::printf("  %-24s %.2f\n", workload.c_str(), c->second / b->second);
    }
    std::fflush(stdout);
  }

 private:
  std::string baseline_, candidate_;
  std::map<std::string, std::map<std::string, double>> times_;
};

}  // namespace berth::bench

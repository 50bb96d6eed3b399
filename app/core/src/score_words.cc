// Scores in words (match.h, "reading a score"): the fit out of 100 and each component's meaning.
#include <fmt/format.h>

#include <cmath>

#include "berth/core/match.h"
#include "berth/core/reports.h"

namespace berth::core {

int FitPercent(const MatchSettings& s, const Candidate& c) {
  const double scale = s.w_void > 0 ? s.w_void : 20.0;
  const double x = (c.score - c.components.delay) / scale;
  return static_cast<int>(std::lround(100.0 / (1.0 + std::exp(-x))));
}

std::vector<ScoreLine> ScoreLines(const MatchContext& ctx, const Needs& n, const Candidate& c) {
  const bool bed = c.kind == CandidateKind::kBed;
  const ScoreComponents& s = c.components;
  const ProviderSlot& p = ctx.index->providers()[c.provider];
  std::string cost = FormatPounds(c.weekly_cost_pence) + " a week";
  if (!bed) {
    double hours = 0;
    for (const HomecareBandUse& u : c.bands) hours += u.hours;
    cost += fmt::format(" for {:g} hours of care", hours);
  }
  const std::string distance = DistanceWords(*ctx.index, c);
  std::string void_words;
  if (bed) {
    void_words =
        c.is_void ? "a vacant block bed the council already pays for" : "not a void (no block bed empty)";
  } else {
    void_words = c.is_void ? "block homecare hours the council already pays for"
                           : "hours bought at the agency's rate (not block hours)";
  }
  return {
      {"Fills a void", s.void_fill, void_words},
      {"Days waiting", s.delay,
       n.days_past > 0 ? fmt::format("{} days past the date needed", n.days_past)
                       : "not yet past the date needed"},
      {"Distance", s.distance, distance},
      {"Cost", s.cost, cost},
      {"CQC rating", s.cqc, std::string(RatingWords(p.rating))},
      {"Continuity", s.continuity,
       s.continuity > 0 ? (bed ? "this home has cared for the person before"
                               : "these carers have cared for the person before")
                        : "new to the person"},
      {"Budget", s.budget,
       c.over_budget_pence > 0 ? OverBudgetWords(c) + " (needs approval)" : "within budget"},
  };
}

}  // namespace berth::core

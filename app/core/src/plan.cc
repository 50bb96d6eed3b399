// The huddle plan (plan.h, MATCHING.md "The plan"): allocates the whole queue at once, voids and the
// longest delays first, keeping a ledger of beds and homecare hours already given out.

#include "berth/core/plan.h"

#include <fmt/format.h>

#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "berth/core/referrals.h"
#include "berth/schema/repository.h"

namespace berth::core {
namespace {

// Capacity bookkeeping while a plan is built: beds used, homecare hours this plan has given out per
// capacity row. The hours a row has free depend on the day (placements handed back free theirs from the
// day after care ends), so a package fits when the row's hours free from the day it starts, less what the
// plan already gave out, still cover it.
struct Ledger {
  const SupplyIndex& ix;
  std::vector<char> bed_used;
  std::vector<double> hours_given;

  explicit Ledger(const SupplyIndex& index)
      : ix(index), bed_used(index.beds().size(), 0), hours_given(index.capacity().size(), 0) {}
  bool Fits(const Candidate& c) const {
    if (c.kind == CandidateKind::kBed) return !bed_used[c.bed];
    for (const auto& u : c.bands) {
      const double left = ix.capacity()[u.capacity].RemainingFrom(c.available_day) - hours_given[u.capacity];
      if (left + 1e-9 < u.hours) return false;
    }
    return true;
  }
  void Take(const Candidate& c) {
    if (c.kind == CandidateKind::kBed) {
      bed_used[c.bed] = 1;
      return;
    }
    for (const auto& u : c.bands) hours_given[u.capacity] += u.hours;
  }
};

struct Work {
  std::vector<MatchResult> matches;
  std::vector<int> chosen;  // candidate index per referral, -1 unplaced
};

int64_t Objective(const std::vector<MatchResult>& matches, const std::vector<int>& chosen) {
  int64_t total = 0;
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (chosen[i] >= 0) total += AllocationValue(matches[i].candidates[static_cast<size_t>(chosen[i])]);
  }
  return total;
}

// The best-ranked candidate that still fits, taken from the ledger; -1 when none fits.
int TakeFirstThatFits(Ledger& ledger, const std::vector<Candidate>& cands) {
  for (size_t k = 0; k < cands.size(); ++k) {
    if (ledger.Fits(cands[k])) {
      ledger.Take(cands[k]);
      return static_cast<int>(k);
    }
  }
  return -1;
}

std::vector<int> Greedy(const SupplyIndex& ix, const std::vector<MatchResult>& matches) {
  Ledger ledger(ix);
  std::vector<int> chosen(matches.size(), -1);
  for (size_t i = 0; i < matches.size(); ++i) chosen[i] = TakeFirstThatFits(ledger, matches[i].candidates);
  return chosen;
}

std::vector<int> Flow(const SupplyIndex& ix, const std::vector<MatchResult>& matches,
                      size_t arcs_per_referral) {
  using Graph = lemon::SmartDigraph;
  Graph g;
  const Graph::Node source = g.addNode();
  const Graph::Node sink = g.addNode();
  Graph::ArcMap<int64_t> upper(g), cost(g);
  const auto n = static_cast<int64_t>(matches.size());
  auto add = [&](Graph::Node a, Graph::Node b, int64_t cap, int64_t c) {
    const Graph::Arc arc = g.addArc(a, b);
    upper.set(arc, cap);
    cost.set(arc, c);
    return arc;
  };
  add(source, sink, n, 0);  // leaving someone unplaced costs nothing (and gains nothing)
  std::unordered_map<uint32_t, Graph::Node> bed_nodes;
  std::map<std::pair<uint32_t, uint32_t>, Graph::Node> option_nodes;  // (provider, zone)
  std::map<std::pair<uint32_t, uint32_t>, std::vector<const Candidate*>> option_demand;
  struct Choice {
    size_t referral;
    size_t candidate;
    Graph::Arc arc;
  };
  std::vector<Choice> choices;
  for (size_t i = 0; i < matches.size(); ++i) {
    const auto& cands = matches[i].candidates;
    if (cands.empty()) continue;
    const Graph::Node r = g.addNode();
    add(source, r, 1, 0);
    for (size_t k = 0; k < cands.size() && k < arcs_per_referral; ++k) {
      const Candidate& c = cands[k];
      Graph::Node target;
      if (c.kind == CandidateKind::kBed) {
        auto [it, added] = bed_nodes.try_emplace(c.bed, Graph::Node());
        if (added) {
          it->second = g.addNode();
          add(it->second, sink, 1, 0);
        }
        target = it->second;
      } else {
        const auto key = std::make_pair(c.provider, c.zone);
        auto [it, added] = option_nodes.try_emplace(key, Graph::Node());
        if (added) it->second = g.addNode();
        option_demand[key].push_back(&c);
        target = it->second;
      }
      // Scaled so that among plans of equal value the one favouring earlier referrals in the queue wins.
      choices.push_back(
          {i, k, add(r, target, 1, -(AllocationValue(c) * (n + 1) + (n - static_cast<int64_t>(i))))});
    }
  }
  // A homecare option's places: how many of the people who want it fit, smallest packages first, when
  // every band's hours are pooled. An estimate; the repair pass checks the real rows.
  for (auto& [key, demand] : option_demand) {
    std::map<TimeBand, double> pool;
    int32_t first_day = kNoDay;
    for (const Candidate* c : demand) first_day = std::min(first_day, c->available_day);
    for (uint32_t c : ix.providers()[key.first].capacity) {
      const CapacitySlot& cs = ix.capacity()[c];
      if (cs.live && cs.zone == key.second) pool[cs.band] += std::max(0.0, cs.RemainingFrom(first_day));
    }
    std::sort(demand.begin(), demand.end(), [](const Candidate* a, const Candidate* b) {
      double ha = 0, hb = 0;
      for (const auto& u : a->bands) ha += u.hours;
      for (const auto& u : b->bands) hb += u.hours;
      return ha < hb;
    });
    int64_t places = 0;
    for (const Candidate* c : demand) {
      bool fits = true;
      for (const auto& u : c->bands) fits = fits && pool[u.band] + 1e-9 >= u.hours;
      if (!fits) break;
      for (const auto& u : c->bands) pool[u.band] -= u.hours;
      ++places;
    }
    add(option_nodes[key], sink, places, 0);
  }
  Graph::NodeMap<int64_t> supply(g, 0);
  supply.set(source, n);
  supply.set(sink, -n);
  lemon::NetworkSimplex<Graph, int64_t, int64_t> ns(g);
  ns.upperMap(upper).costMap(cost).supplyMap(supply);
  std::vector<int> chosen(matches.size(), -1);
  if (ns.run() != lemon::NetworkSimplex<Graph, int64_t, int64_t>::OPTIMAL) return chosen;
  for (const Choice& ch : choices) {
    if (ns.flow(ch.arc) > 0) chosen[ch.referral] = static_cast<int>(ch.candidate);
  }
  // Repair: commit the flow's picks best first against the real hours; then give everyone still
  // unplaced (or bumped) the best option left, in queue order.
  Ledger ledger(ix);
  std::vector<size_t> order;
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (chosen[i] >= 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return AllocationValue(matches[a].candidates[static_cast<size_t>(chosen[a])]) >
           AllocationValue(matches[b].candidates[static_cast<size_t>(chosen[b])]);
  });
  for (size_t i : order) {
    const Candidate& c = matches[i].candidates[static_cast<size_t>(chosen[i])];
    if (ledger.Fits(c)) {
      ledger.Take(c);
    } else {
      chosen[i] = -1;
    }
  }
  for (size_t i = 0; i < matches.size(); ++i) {
    if (chosen[i] < 0) chosen[i] = TakeFirstThatFits(ledger, matches[i].candidates);
  }
  return chosen;
}

std::string AllocationReason(const SupplyIndex& ix, const MatchResult& m, size_t k) {
  const Candidate& c = m.candidates[k];
  std::vector<std::string> parts;
  if (c.is_void) {
    if (c.kind == CandidateKind::kBed) {
      const BedSlot& b = ix.beds()[c.bed];
      const int age = b.status_since_day == kNoDay ? 0 : std::max(0, m.needs.today - b.status_since_day);
      parts.push_back(fmt::format("fills a void block bed (empty {} days)", age));
    } else {
      parts.push_back("uses block homecare hours already paid for");
    }
  }
  if (m.needs.days_past > 0) parts.push_back(fmt::format("{} days past discharge-ready", m.needs.days_past));
  if (c.over_budget_pence > 0) parts.push_back(OverBudgetWords(c) + " (needs approval)");
  if (c.distance_km) parts.push_back(fmt::format("{:.1f} km away", *c.distance_km));
  parts.push_back(k == 0 ? (m.candidates.size() == 1
                                ? std::string("the only suitable option")
                                : fmt::format("the best of {} suitable options", m.candidates.size()))
                         : fmt::format("option {} of {} (better-ranked ones serve others in this plan)",
                                       k + 1, m.candidates.size()));
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
  out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out + ".";
}

// Why nobody could be given an option, in words: the nearest misses (which option came closest, which rule
// stopped it and by how much), else the commonest reasons.
std::string UnplacedReason(const MatchContext& ctx, const Referral& r, const MatchResult& m) {
  if (!m.needs.wants_bed && !m.needs.wants_homecare)
    return "The referral names neither a bed category nor a homecare pattern.";
  if (!m.candidates.empty()) {
    return fmt::format("All {} suitable option(s) went to referrals ahead in the plan.", m.candidates.size());
  }
  MatchContext full = ctx;
  full.keep_exclusions = true;
  const MatchResult again = Match(full, r);
  const SupplyIndex& ix = *ctx.index;
  std::string near;
  for (const NearMiss& x : NearMisses(full, again, 3)) {
    const Exclusion& e = x.exclusion;
    const std::string what =
        e.bed != kNoSlot ? fmt::format("{}, room {}", ix.providers()[e.provider].name, ix.beds()[e.bed].room)
                         : ix.providers()[e.provider].name;
    // The words may be a whole sentence; the list ends with one full stop.
    std::string_view words = x.words;
    if (!words.empty() && words.back() == '.') words.remove_suffix(1);
    near += fmt::format("{}{}: {}", near.empty() ? "" : "; ", what, words);
  }
  if (!near.empty()) return "No option passes every rule. Nearest: " + near + ".";
  std::vector<std::pair<uint32_t, size_t>> counts;
  for (size_t k = 0; k < kRuleCount; ++k) {
    if (m.rule_counts[k] > 0) counts.push_back({m.rule_counts[k], k});
  }
  if (counts.empty()) return "No supply in range: no bed or homecare capacity within the search area.";
  std::sort(counts.begin(), counts.end(),
            [](auto a, auto b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  std::string top;
  for (size_t i = 0; i < counts.size() && i < 3; ++i) {
    top += fmt::format("{}{} {}", i ? "; " : "", counts[i].first,
                       RulePhrase(static_cast<Rule>(counts[i].second)));
  }
  return "No option passes every rule, and none misses by one rule only (most often: " + top + ").";
}

}  // namespace

int64_t AllocationValue(const Candidate& c) {
  return kPlacementValue + std::llround(c.score * 100.0);
}

Result<std::vector<Referral>> LoadOpenQueue(Db& db, const std::string& today) {
  BERTH_ASSIGN_OR_RETURN(std::vector<QueueEntry> queue, LoadQueue(db, today));
  std::vector<Referral> open;
  open.reserve(queue.size());
  for (auto& e : queue) open.push_back(std::move(e.referral));
  return open;
}

Plan MakePlan(const MatchContext& ctx_in, const std::vector<Referral>& queue, const PlanOptions& options) {
  MatchContext ctx = ctx_in;
  ctx.keep_exclusions = false;
  const SupplyIndex& ix = *ctx.index;
  Work w;
  w.matches.reserve(queue.size());
  for (const Referral& r : queue) {
    w.matches.push_back(Match(ctx, r));
    // A provider has accepted this person: the plan keeps to that provider (and bed, if the offer named one).
    if (const PersonNotes* notes = ix.Notes(r.id)) {
      for (const OfferNote& o : notes->offers) {
        if (o.status != OfferStatus::kAccepted) continue;
        std::erase_if(w.matches.back().candidates, [&](const Candidate& c) {
          return c.provider != o.provider ||
                 (c.kind == CandidateKind::kBed && !o.bed_id.empty() && ix.beds()[c.bed].id != o.bed_id);
        });
        break;
      }
    }
  }
  const std::vector<int> greedy = Greedy(ix, w.matches);
  const int64_t greedy_objective = Objective(w.matches, greedy);
  size_t greedy_placed = 0;
  for (int c : greedy) greedy_placed += c >= 0 ? 1 : 0;
  std::string method = "greedy";
  if (options.greedy_only) {
    w.chosen = greedy;
  } else {
    w.chosen = Flow(ix, w.matches, std::max<size_t>(1, options.arcs_per_referral));
    method = "min_cost_flow";
    if (Objective(w.matches, w.chosen) < greedy_objective) {
      w.chosen = greedy;  // the safeguard: never hand the huddle a plan worse than first-come
      method = "greedy";
    }
  }
  Plan plan;
  PlanTotals& t = plan.totals;
  t.referrals = queue.size();
  for (const Referral& r : queue) plan.queue.push_back(r.id);
  t.method = method;
  t.greedy_objective = greedy_objective;
  t.greedy_placed = greedy_placed;
  for (size_t i = 0; i < queue.size(); ++i) {
    const MatchResult& m = w.matches[i];
    if (w.chosen[i] < 0) {
      plan.unplaced.push_back({queue[i].id, UnplacedReason(ctx, queue[i], m)});
      continue;
    }
    const auto k = static_cast<size_t>(w.chosen[i]);
    const Candidate& c = m.candidates[k];
    plan.allocations.push_back({queue[i].id, c, AllocationReason(ix, m, k)});
    ++t.placed;
    (c.kind == CandidateKind::kBed ? t.beds : t.homecare)++;
    if (c.is_void) {
      ++t.voids_filled;
      t.void_weekly_pence_filled += c.weekly_cost_pence;
    }
    t.delay_days_cleared += m.needs.days_past;
    if (c.over_budget_pence > 0) {
      ++t.over_budget;
      t.over_budget_weekly_pence += c.over_budget_pence;
    }
    t.weekly_cost_pence += c.weekly_cost_pence;
    t.score += c.score;
    t.objective += AllocationValue(c);
  }
  t.unplaced = plan.unplaced.size();
  t.score = std::round(t.score * 100.0) / 100.0;
  return plan;
}

nlohmann::json PlanJson(const MatchContext& ctx, const Plan& plan) {
  nlohmann::json j;
  nlohmann::json allocations = nlohmann::json::array();
  for (const auto& a : plan.allocations) {
    nlohmann::json x = CandidateJson(ctx, a.candidate);
    x["referral_id"] = a.referral_id;
    x["reason"] = a.reason;
    allocations.push_back(std::move(x));
  }
  j["allocations"] = std::move(allocations);
  nlohmann::json unplaced = nlohmann::json::array();
  for (const auto& u : plan.unplaced)
    unplaced.push_back({{"referral_id", u.referral_id}, {"reason", u.reason}});
  j["unplaced"] = std::move(unplaced);
  nlohmann::json queue = nlohmann::json::array();
  for (const auto& id : plan.queue) queue.push_back(id);
  j["queue"] = std::move(queue);
  const PlanTotals& t = plan.totals;
  j["totals"] = {{"referrals", t.referrals},
                 {"placed", t.placed},
                 {"unplaced", t.unplaced},
                 {"beds", t.beds},
                 {"homecare", t.homecare},
                 {"voids_filled", t.voids_filled},
                 {"void_weekly_cost_filled", static_cast<double>(t.void_weekly_pence_filled) / 100.0},
                 {"delay_days_cleared", t.delay_days_cleared},
                 {"weekly_cost", static_cast<double>(t.weekly_cost_pence) / 100.0},
                 {"score", t.score},
                 {"objective", t.objective},
                 {"method", t.method},
                 {"greedy_objective", t.greedy_objective},
                 {"greedy_placed", t.greedy_placed},
                 {"over_budget", t.over_budget},
                 {"over_budget_weekly", static_cast<double>(t.over_budget_weekly_pence) / 100.0}};
  j["date"] = ctx.today;
  j["settings"] = SettingsJson(*ctx.settings);
  return j;
}

std::string PlanText(const MatchContext& ctx, const Plan& plan) {
  const SupplyIndex& ix = *ctx.index;
  const PlanTotals& t = plan.totals;
  std::string out = fmt::format(
      "Huddle plan for {}: {} of {} referrals placed ({} beds, {} homecare), {} voids filled "
      "(GBP {:.2f}/week of block money), {} delay days cleared; method {} (greedy first-come places {}){}\n",
      ctx.today, t.placed, t.referrals, t.beds, t.homecare, t.voids_filled,
      static_cast<double>(t.void_weekly_pence_filled) / 100.0, t.delay_days_cleared, t.method,
      t.greedy_placed,
      t.over_budget > 0 ? fmt::format("; {} placement(s) over budget by GBP {:.2f}/week in all, to approve",
                                      t.over_budget, static_cast<double>(t.over_budget_weekly_pence) / 100.0)
                        : std::string());
  for (const auto& a : plan.allocations) {
    const Candidate& c = a.candidate;
    std::string what = c.kind == CandidateKind::kBed
                           ? fmt::format("bed {}", ix.beds()[c.bed].room.empty() ? ix.beds()[c.bed].id
                                                                                 : ix.beds()[c.bed].room)
                           : fmt::format("homecare in {}", c.zone == kNoSlot ? "?" : ix.zones()[c.zone].name);
    out += fmt::format("  {}  -> {} {} (score {:.2f}): {}\n", a.referral_id, ix.providers()[c.provider].name,
                       what, c.score, a.reason);
  }
  if (!plan.unplaced.empty()) out += "Unplaced:\n";
  for (const auto& u : plan.unplaced) out += fmt::format("  {}: {}\n", u.referral_id, u.reason);
  return out;
}

}  // namespace berth::core

// The commissioner's reports (commissioning.h): why block beds stand void, unmet need, provider
// response times and spend, computed from the store as MATCHING.md "Commissioning reports" says.

#include "berth/core/commissioning.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <unordered_map>

#include "berth/core/plan.h"
#include "berth/core/referrals.h"
#include "berth/schema/occupancy.h"
#include "berth/schema/repository.h"

namespace berth::core {
namespace {

// Where a rule code stands in the matcher's order (ties in a tally keep that order); the two codes no
// rule records come last.
size_t RuleRank(const std::string& code) {
  for (size_t i = 0; i < kRuleCount; ++i) {
    if (RuleCode(static_cast<Rule>(i)) == code) return i;
  }
  return code == kBeyondSearchRule ? kRuleCount : kRuleCount + 1;
}

std::string PhraseOf(const std::string& code) {
  const size_t rank = RuleRank(code);
  if (rank < kRuleCount) return std::string(RulePhrase(static_cast<Rule>(rank)));
  return rank == kRuleCount ? "beyond the search radius" : "nothing within reach";
}

// Counts by rule code -> tallies, most first, ties in the matcher's order.
std::vector<RuleTally> Tallies(const std::map<std::string, int64_t>& counts) {
  std::vector<RuleTally> out;
  for (const auto& [code, n] : counts) {
    if (n > 0) out.push_back({code, PhraseOf(code), n});
  }
  std::sort(out.begin(), out.end(), [](const RuleTally& a, const RuleTally& b) {
    return a.count != b.count ? a.count > b.count : RuleRank(a.rule) < RuleRank(b.rule);
  });
  return out;
}

// Sorts (code, count) pairs most first, then by code.
std::vector<std::pair<std::string, int64_t>> Ranked(const std::map<std::string, int64_t>& counts) {
  std::vector<std::pair<std::string, int64_t>> out(counts.begin(), counts.end());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

Status CheckRange(const std::string& from, const std::string& to) {
  if (!IsIsoDate(from) || !IsIsoDate(to)) return BadInput("the date range must be two dates (YYYY-MM-DD)");
  if (to < from) return BadInput("the range ends before it starts");
  return Status::Ok();
}

// Seconds since 1970 of an instant written 'YYYY-MM-DDTHH:MM:SSZ'; nothing for any other text.
std::optional<int64_t> InstantSeconds(std::string_view iso) {
  if (iso.size() != 20 || iso[10] != 'T' || iso[13] != ':' || iso[16] != ':' || iso[19] != 'Z' ||
      !IsIsoDate(iso.substr(0, 10)))
    return std::nullopt;
  int64_t hms[3] = {0, 0, 0};
  for (size_t k = 0; k < 3; ++k) {
    const char a = iso[11 + 3 * k], b = iso[12 + 3 * k];
    if (a < '0' || a > '9' || b < '0' || b > '9') return std::nullopt;
    hms[k] = (a - '0') * 10 + (b - '0');
  }
  return DaysFromIsoDate(iso.substr(0, 10)) * 86400 + hms[0] * 3600 + hms[1] * 60 + hms[2];
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

template <class T>
std::unordered_map<std::string, const T*> ById(const std::vector<T>& v) {
  std::unordered_map<std::string, const T*> out;
  for (const T& x : v) out[x.id] = &x;
  return out;
}

// The placements and what they are reported with: their providers, and their beds or capacity rows (for
// the contract). Filled in place (the maps point into the vectors).
struct PlacementBook {
  PlacementBook() = default;
  PlacementBook(const PlacementBook&) = delete;
  PlacementBook& operator=(const PlacementBook&) = delete;

  std::vector<Provider> providers;
  std::vector<Bed> beds;
  std::vector<HomecareCapacity> capacity;
  std::vector<Placement> placements;
  std::unordered_map<std::string, const Provider*> provider_of;
  std::unordered_map<std::string, const Bed*> bed_of;
  std::unordered_map<std::string, const HomecareCapacity*> row_of;

  Status Load(Db& db) {
    BERTH_ASSIGN_OR_RETURN(providers, LoadProviders(db));
    BERTH_ASSIGN_OR_RETURN(beds, LoadBeds(db));
    BERTH_ASSIGN_OR_RETURN(capacity, LoadHomecareCapacity(db));
    BERTH_ASSIGN_OR_RETURN(placements, LoadPlacements(db));
    provider_of = ById(providers);
    bed_of = ById(beds);
    row_of = ById(capacity);
    return Status::Ok();
  }
  const Provider* ProviderOf(const std::string& id) const {
    auto p = provider_of.find(id);
    return p == provider_of.end() ? nullptr : p->second;
  }
  // The contract a placement is bought under: its bed's (block, framework, spot) or its capacity row's
  // (block, dps, spot); "unknown" when that row is not in the store.
  std::string ContractOf(const Placement& p) const {
    if (p.kind == PlacementKind::kCareHome) {
      auto b = bed_of.find(p.bed_id);
      return b == bed_of.end() ? "unknown" : std::string(ToString(b->second->contract));
    }
    auto c = row_of.find(p.homecare_capacity_id);
    return c == row_of.end() ? "unknown" : std::string(ToString(c->second->contract));
  }
};

}  // namespace

// --- why-voids ---------------------------------------------------------------------------------------------

Result<WhyVoidsReport> BuildWhyVoidsReport(Db& db, const MatchContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(VoidsReport voids, BuildVoidsReport(db, ctx.today));
  BERTH_ASSIGN_OR_RETURN(std::vector<Referral> queue, LoadOpenQueue(db, ctx.today));
  const SupplyIndex& ix = *ctx.index;
  WhyVoidsReport out;
  out.today = voids.today;
  out.voids = static_cast<int64_t>(voids.rows.size());
  out.weekly_cost_pence = voids.weekly_cost_pence;
  out.cost_so_far_pence = voids.cost_so_far_pence;
  out.days_vacant = voids.days_vacant;
  std::vector<uint32_t> slots;
  for (VoidRow& v : voids.rows) {
    slots.push_back(ix.FindBed(v.bed_id));
    WhyVoidRow row;
    row.bed = std::move(v);
    out.rows.push_back(std::move(row));
  }
  std::vector<std::map<std::string, int64_t>> counts(out.rows.size());
  std::map<std::string, int64_t> all;
  Candidate cand;
  Exclusion why;
  for (const Referral& r : queue) {
    const Needs n = PrepareNeeds(ctx, r);
    if (!n.wants_bed) continue;
    ++out.referrals;
    for (size_t i = 0; i < out.rows.size(); ++i) {
      // A void the index does not hold (written since it was built) cannot be judged: left unchecked.
      if (slots[i] == kNoSlot || !ix.beds()[slots[i]].live) continue;
      const BedSlot& b = ix.beds()[slots[i]];
      WhyVoidRow& row = out.rows[i];
      ++row.referrals;
      std::string rule;
      if (auto failed = EvaluateBed(ctx, n, ix.providers()[b.provider], b, &cand, &why)) {
        rule = std::string(RuleCode(*failed));
      } else if (n.max_km <= 0 && cand.distance_km && *cand.distance_km > ctx.settings->search_radius_km) {
        rule = kBeyondSearchRule;  // the matcher searches no further for this person (match.cc, Match)
      } else {
        row.suits.push_back(r.id);
        continue;
      }
      row.excluded.push_back({r.id, rule});
      ++counts[i][rule];
      ++all[rule];
    }
  }
  for (size_t i = 0; i < out.rows.size(); ++i) {
    WhyVoidRow& row = out.rows[i];
    row.by_rule = Tallies(counts[i]);
    if (!row.by_rule.empty()) row.top_rule = row.by_rule.front().rule;
    out.voids_suiting_someone += row.suits.empty() ? 0 : 1;
  }
  out.by_rule = Tallies(all);
  return out;
}

// --- unmet demand ------------------------------------------------------------------------------------------

Result<UnmetReport> BuildUnmetReport(Db& db, const MatchContext& ctx) {
  BERTH_ASSIGN_OR_RETURN(std::vector<Referral> queue, LoadOpenQueue(db, ctx.today));
  MatchContext counting = ctx;
  counting.keep_exclusions = false;  // the counts by rule are all this needs
  UnmetReport out;
  out.today = ctx.today;
  struct Group {
    int64_t referrals = 0, days_past = 0;
    std::map<std::string, int64_t> top_rules;
  };
  std::map<std::string, Group> categories, districts, bands;
  std::map<std::string, int64_t> top_rules;
  for (const Referral& r : queue) {
    ++out.queued;
    const MatchResult m = Match(counting, r);
    if (!m.candidates.empty()) continue;
    UnmetRow row;
    row.referral_id = r.id;
    row.pathway = std::string(ToString(r.pathway));
    row.category = r.category ? std::string(ToString(*r.category)) : "homecare";
    row.district = r.district.empty() ? "(unknown)" : r.district;
    if (m.needs.wants_homecare) {
      for (TimeBand b : r.homecare.bands) row.bands.emplace_back(ToString(b));
    }
    row.days_past = m.needs.days_past;
    std::map<std::string, int64_t> counts;
    for (size_t i = 0; i < kRuleCount; ++i) {
      if (m.rule_counts[i] == 0) continue;
      counts[std::string(RuleCode(static_cast<Rule>(i)))] = m.rule_counts[i];
      row.examined += m.rule_counts[i];
    }
    row.by_rule = Tallies(counts);
    row.top_rule = row.by_rule.empty() ? kNoneInReachRule : row.by_rule.front().rule;
    ++top_rules[row.top_rule];
    std::vector<Group*> groups = {&categories[row.category], &districts[row.district]};
    for (const std::string& b : row.bands) groups.push_back(&bands[b]);
    for (Group* g : groups) {
      ++g->referrals;
      g->days_past += row.days_past;
      ++g->top_rules[row.top_rule];
    }
    out.rows.push_back(std::move(row));
  }
  out.unmet = static_cast<int64_t>(out.rows.size());
  out.by_rule = Tallies(top_rules);
  auto finish = [](const std::map<std::string, Group>& groups) {
    std::vector<UnmetTally> v;
    for (const auto& [key, g] : groups) {
      UnmetTally t;
      t.key = key;
      t.referrals = g.referrals;
      t.days_past = g.days_past;
      t.by_rule = Tallies(g.top_rules);
      t.top_rule = t.by_rule.front().rule;
      v.push_back(std::move(t));
    }
    std::stable_sort(v.begin(), v.end(),
                     [](const UnmetTally& a, const UnmetTally& b) { return a.referrals > b.referrals; });
    return v;
  };
  out.by_category = finish(categories);
  out.by_district = finish(districts);
  out.by_band = finish(bands);
  return out;
}

// --- provider responses ----------------------------------------------------------------------------------

Result<ResponsesReport> BuildResponsesReport(Db& db, const std::string& from, const std::string& to,
                                             const std::string& now_iso) {
  BERTH_RETURN_IF_ERROR(CheckRange(from, to));
  BERTH_ASSIGN_OR_RETURN(std::vector<Offer> offers, LoadOffers(db));
  BERTH_ASSIGN_OR_RETURN(std::vector<Provider> providers, LoadProviders(db));
  BERTH_ASSIGN_OR_RETURN(std::vector<Bed> beds, LoadBeds(db));
  const auto provider_of = ById(providers);
  std::set<std::string> block_homes;
  for (const Bed& b : beds) {
    if (b.contract == ContractType::kBlock) block_homes.insert(b.provider_id);
  }
  struct Acc {
    ResponseTally t;
    std::vector<double> hours;
    std::map<std::string, int64_t> reasons;
  };
  Acc total;
  std::map<std::string, Acc> by_provider;
  std::map<std::string, int64_t> block_reasons;
  ResponsesReport out;
  out.from = from;
  out.to = to;
  for (const Offer& o : offers) {
    const std::string sent = o.sent_at.substr(0, 10);
    if (!IsIsoDate(sent) || sent < from || sent > to) continue;
    Acc& p = by_provider[o.provider_id];
    if (p.t.offers == 0) {
      p.t.provider_id = o.provider_id;
      auto found = provider_of.find(o.provider_id);
      p.t.provider = found != provider_of.end() ? found->second->name : "(unknown provider)";
      p.t.block_home = block_homes.count(o.provider_id) > 0;
    }
    OfferNote note;
    note.status = o.status;
    note.respond_by = o.respond_by;
    const std::string status = OfferStatusAt(note, now_iso);
    const std::string reason(ToString(o.decline_reason));
    const auto sent_s = InstantSeconds(o.sent_at), answered_s = InstantSeconds(o.answered_at);
    const bool answered = status == "accepted" || status == "declined";
    for (Acc* a : {&total, &p}) {
      ++a->t.offers;
      a->t.accepted += status == "accepted" ? 1 : 0;
      a->t.declined += status == "declined" ? 1 : 0;
      a->t.withdrawn += status == "withdrawn" ? 1 : 0;
      a->t.expired += status == "expired" ? 1 : 0;
      a->t.pending += status == "pending" ? 1 : 0;
      if (status == "declined") ++a->reasons[reason.empty() ? "(none)" : reason];
      if (answered && sent_s && answered_s && *answered_s >= *sent_s) {
        a->hours.push_back(static_cast<double>(*answered_s - *sent_s) / 3600.0);
      }
    }
    if (status == "declined" && p.t.block_home) {
      ++out.block_declines;
      ++block_reasons[reason.empty() ? "(none)" : reason];
    }
  }
  auto finish = [](Acc& a) {
    ResponseTally t = a.t;
    t.timed = static_cast<int64_t>(a.hours.size());
    if (!a.hours.empty()) {
      std::sort(a.hours.begin(), a.hours.end());
      double sum = 0;
      for (double h : a.hours) sum += h;
      t.mean_response_hours = sum / static_cast<double>(a.hours.size());
      const size_t n = a.hours.size();
      t.median_response_hours = n % 2 ? a.hours[n / 2] : (a.hours[n / 2 - 1] + a.hours[n / 2]) / 2;
      t.max_response_hours = a.hours.back();
    }
    t.declines_by_reason = Ranked(a.reasons);
    return t;
  };
  out.total = finish(total);
  for (auto& [id, a] : by_provider) {
    out.by_provider.push_back(finish(a));
    if (a.t.block_home && a.t.declined > 0) out.block_homes.push_back(out.by_provider.back());
  }
  std::stable_sort(out.by_provider.begin(), out.by_provider.end(),
                   [](const ResponseTally& a, const ResponseTally& b) {
                     return a.offers != b.offers ? a.offers > b.offers : a.provider < b.provider;
                   });
  std::stable_sort(out.block_homes.begin(), out.block_homes.end(),
                   [](const ResponseTally& a, const ResponseTally& b) {
                     return a.declined != b.declined ? a.declined > b.declined : a.provider < b.provider;
                   });
  out.block_declines_by_reason = Ranked(block_reasons);
  return out;
}

// --- spend -------------------------------------------------------------------------------------------------

std::vector<std::string> DefaultCouncilAreas(const Geography& geo) {
  std::vector<std::string> out;
  for (const ReferringSite& site : ReferringHospitals()) {
    const auto where = geo.Locate(site.postcode);
    const LocalAuthority* district = where ? geo.NearestDistrict(*where) : nullptr;
    if (district == nullptr) continue;
    std::string name = district->name;
    if (!district->county_code.empty()) {
      if (const LocalAuthority* county = geo.FindAuthority(district->county_code)) name = county->name;
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

Result<SpendReport> BuildSpendReport(Db& db, const std::string& from, const std::string& to,
                                     const std::vector<std::string>& council_areas) {
  BERTH_RETURN_IF_ERROR(CheckRange(from, to));
  if (council_areas.empty()) return BadInput("name the council's area (its local authorities)");
  PlacementBook book;
  BERTH_RETURN_IF_ERROR(book.Load(db));
  std::set<std::string> areas;
  for (const std::string& a : council_areas) areas.insert(Lower(a));
  SpendReport out;
  out.from = from;
  out.to = to;
  out.council_areas = council_areas;
  // Every kind and contract has a row, empty or not, so the CSV's shape does not depend on the data.
  std::vector<std::pair<std::string, std::string>> keys = {{"bed", "block"},    {"bed", "framework"},
                                                           {"bed", "spot"},     {"homecare", "block"},
                                                           {"homecare", "dps"}, {"homecare", "spot"}};
  std::map<std::pair<std::string, std::string>, SpendRow> rows;
  std::map<std::pair<std::string, std::string>, std::set<std::string>> people;
  std::set<std::string> everyone;
  const int64_t d0 = DaysFromIsoDate(from), d1 = DaysFromIsoDate(to);
  for (const Placement& p : book.placements) {
    if (!PlacementTakesDays(ToString(p.status), p.end_date) ||
        !DayRangesOverlap(p.start_date, p.end_date, from, to))
      continue;
    const std::string kind = p.kind == PlacementKind::kCareHome ? "bed" : "homecare";
    const std::string contract = book.ContractOf(p);
    const std::pair<std::string, std::string> key{kind, contract};
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    // Days of care in the range: the placement's days (occupancy.h: both ends inclusive) clipped to it.
    const int64_t first = IsIsoDate(p.start_date) ? std::max(d0, DaysFromIsoDate(p.start_date)) : d0;
    const int64_t last = IsIsoDate(p.end_date) ? std::min(d1, DaysFromIsoDate(p.end_date)) : d1;
    const int64_t days = std::max<int64_t>(0, last - first + 1);
    const Provider* prov = book.ProviderOf(p.provider_id);
    const std::string la = prov != nullptr ? prov->local_authority : "";
    const bool away = !la.empty() && areas.count(Lower(la)) == 0;
    for (SpendRow* row : {&rows[key], &out.total}) {
      ++row->placements;
      row->weekly_cost_pence += p.weekly_cost_pence;
      row->days += days;
      row->cost_in_range_pence += (p.weekly_cost_pence * days * 2 + 7) / 14;  // x days / 7, halves up
      row->out_of_area += away ? 1 : 0;
      row->out_of_area_weekly_pence += away ? p.weekly_cost_pence : 0;
    }
    if (!p.referral_id.empty()) {  // a placement recorded without its person (history) is nobody's
      people[key].insert(p.referral_id);
      everyone.insert(p.referral_id);
    }
    if (away) {
      OutOfAreaRow o;
      o.placement_id = p.id;
      o.referral_id = p.referral_id;
      o.provider_id = p.provider_id;
      o.provider = prov->name;
      o.local_authority = la;
      o.kind = kind;
      o.contract = contract;
      o.weekly_cost_pence = p.weekly_cost_pence;
      o.start_date = p.start_date;
      o.end_date = p.end_date;
      out.out_of_area.push_back(std::move(o));
    }
  }
  std::stable_sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& key : keys) {
    SpendRow row = rows[key];
    row.kind = key.first;
    row.contract = key.second;
    row.people = static_cast<int64_t>(people[key].size());
    out.rows.push_back(std::move(row));
  }
  out.total.kind = out.total.contract = "total";
  out.total.people = static_cast<int64_t>(everyone.size());
  std::stable_sort(out.out_of_area.begin(), out.out_of_area.end(),
                   [](const OutOfAreaRow& a, const OutOfAreaRow& b) {
                     return a.provider != b.provider       ? a.provider < b.provider
                            : a.start_date != b.start_date ? a.start_date < b.start_date
                                                           : a.placement_id < b.placement_id;
                   });
  for (const Bed& b : book.beds) {
    if (b.contract != ContractType::kBlock) continue;
    ++out.block_beds;
    out.block_weekly_pence += b.weekly_rate_pence;
    if (b.status == BedStatus::kVacant) {
      ++out.void_beds;
      out.void_weekly_pence += b.weekly_rate_pence;
    }
  }
  return out;
}

// --- the placements export -------------------------------------------------------------------------------

Result<PlacementExport> ExportPlacements(Store& store, const std::string& from, const std::string& to) {
  if ((!from.empty() && !IsIsoDate(from)) || (!to.empty() && !IsIsoDate(to)))
    return BadInput("--from and --to must be dates (YYYY-MM-DD)");
  if (!from.empty() && !to.empty() && to < from) return BadInput("the range ends before it starts");
  Db& db = store.db();
  PlacementBook book;
  BERTH_RETURN_IF_ERROR(book.Load(db));
  BERTH_ASSIGN_OR_RETURN(std::vector<Referral> referrals, LoadReferrals(db));
  const auto referral_of = ById(referrals);
  PlacementExport out;
  out.from = from;
  out.to = to;
  const bool ranged = !from.empty() || !to.empty();
  for (const Placement& p : book.placements) {
    if (ranged && (!PlacementTakesDays(ToString(p.status), p.end_date) ||
                   !DayRangesOverlap(p.start_date, p.end_date, from, to)))
      continue;
    PlacementExportRow row;
    row.placement_id = p.id;
    row.person_id = p.referral_id;
    auto r = referral_of.find(p.referral_id);
    if (r != referral_of.end()) row.nhs_number = r->second->nhs_number;
    row.provider_id = p.provider_id;
    if (const Provider* prov = book.ProviderOf(p.provider_id)) {
      row.provider = prov->name;
      row.cqc_location_id = prov->cqc_location_id;
    }
    row.kind = std::string(ToString(p.kind));
    row.contract = book.ContractOf(p);
    if (p.kind == PlacementKind::kCareHome) {
      row.bed_id = p.bed_id;
      auto b = book.bed_of.find(p.bed_id);
      if (b != book.bed_of.end()) row.room = b->second->room;
    } else {
      row.hours_per_week = p.hours_per_week;
    }
    row.start_date = p.start_date;
    row.end_date = p.end_date;
    row.weekly_cost_pence = p.weekly_cost_pence;
    row.funding = std::string(ToString(p.funding));
    row.status = std::string(ToString(p.status));
    out.rows.push_back(std::move(row));
  }
  std::sort(out.rows.begin(), out.rows.end(), [](const PlacementExportRow& a, const PlacementExportRow& b) {
    return std::tie(a.start_date, a.person_id, a.placement_id) <
           std::tie(b.start_date, b.person_id, b.placement_id);
  });
  // Each person's NHS number leaves Berth in this file: a view of their record, once per person.
  std::set<std::string> people;
  for (const PlacementExportRow& row : out.rows) {
    if (!row.person_id.empty()) people.insert(row.person_id);  // history placements name nobody
  }
  const Status audited = db.Transaction([&]() -> Status {
    for (const std::string& id : people) BERTH_RETURN_IF_ERROR(store.AuditView("referral", id));
    return Status::Ok();
  });
  BERTH_RETURN_IF_ERROR(audited);
  out.people = static_cast<int64_t>(people.size());
  return out;
}

}  // namespace berth::core

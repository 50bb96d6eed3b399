// The demo store generator (`berth demo`, `make run`): care homes, block contracts, homecare capacity and a
// queue of referrals, seeded so the same scale always gives the same store.

#include "berth/core/demo.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include "berth/core/csv.h"
#include "berth/core/importers.h"
#include "berth/core/nhs_number.h"
#include "berth/schema/repository.h"

namespace berth::core {

namespace {

// SplitMix64: tiny, fast, and the same sequence on every platform (std:: distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ULL + 0x632BE59BD9B4E019ULL) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  int64_t Uniform(int64_t n) { return n <= 0 ? 0 : static_cast<int64_t>(Next() % static_cast<uint64_t>(n)); }
  int64_t Between(int64_t lo, int64_t hi) { return lo + Uniform(hi - lo + 1); }  // inclusive
  double Real() { return static_cast<double>(Next() >> 11) / 9007199254740992.0; }
  bool Chance(double p) { return Real() < p; }
  template <class T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Uniform(static_cast<int64_t>(v.size())))];
  }
  // Index drawn with the given weights.
  size_t Weighted(const std::vector<double>& w) {
    double total = 0;
    for (double x : w) total += x;
    double r = Real() * total;
    for (size_t i = 0; i < w.size(); ++i) {
      if (r < w[i]) return i;
      r -= w[i];
    }
    return w.size() - 1;
  }

 private:
  uint64_t state_;
};

const std::vector<std::string> kFemaleNames = {
    "Margaret", "Joan",   "Patricia", "Dorothy", "Jean",    "Barbara", "Sheila",  "Eileen",
    "Doreen",   "Audrey", "Brenda",   "Valerie", "Pauline", "Irene",   "Maureen", "Betty",
    "Elsie",    "Edna",   "Peggy",    "Iris",    "Joyce",   "Gwen",    "Rita",    "Hilda"};
const std::vector<std::string> kMaleNames = {"John",    "David",  "Peter",  "Michael", "Brian",   "Alan",
                                             "Kenneth", "Roy",    "Derek",  "Ronald",  "Keith",   "Frank",
                                             "George",  "Harold", "Dennis", "Colin",   "Leonard", "Stanley",
                                             "Raymond", "Albert", "Norman", "Cyril"};
const std::vector<std::string> kSurnames = {
    "Smith",   "Jones",    "Taylor",   "Brown",   "Williams", "Wilson",  "Johnson",  "Davies", "Robinson",
    "Wright",  "Thompson", "Evans",    "Walker",  "White",    "Roberts", "Green",    "Hall",   "Wood",
    "Jackson", "Clarke",   "Fenwick",  "Hartley", "Marsh",    "Sutton",  "Pryor",    "Gedge",  "Woollard",
    "Thurlow", "Bird",     "Papworth", "Ingle",   "Rippon",   "Aveling", "Saberton", "Quince", "Bycroft"};
const std::vector<std::string> kNotes = {"Lives alone; daughter visits weekly.",
                                         "Wife is main carer and is unwell herself.",
                                         "Prefers to stay near family in the village.",
                                         "Falls at home twice this year; needs ground floor.",
                                         "Son has lasting power of attorney for health.",
                                         "Cat at home; neighbour feeding it for now.",
                                         "Hard of hearing; speak clearly, face to face.",
                                         "Has been in hospital for three weeks after a fall.",
                                         "Keen gardener; would like a home with a garden.",
                                         "Known to the district nurses; catheter care."};
const std::vector<std::string> kNameWords = {
    "Oak",   "Willow", "Beech", "Meadow", "Orchard", "Riverside", "Church",     "Manor",
    "Park",  "Cedar",  "Elm",   "Rose",   "Holly",   "Maple",     "Ash",        "Birch",
    "Hazel", "Laurel", "Abbey", "Priory", "Grange",  "Heron",     "Kingfisher", "Fen"};
const std::vector<std::string> kHomeWords = {"House", "Lodge",   "Court",  "Manor",
                                             "View",  "Gardens", "Grange", "Hall"};
const std::vector<std::string> kBrokers = {"broker.ahmed", "broker.collins", "broker.nowak", "broker.patel"};

int64_t BaseRatePence(BedCategory c) {
  switch (c) {
    case BedCategory::kResidential:
      return 70000;
    case BedCategory::kResidentialDementia:
      return 78000;
    case BedCategory::kNursing:
      return 85000;
    case BedCategory::kNursingDementia:
      return 95000;
    case BedCategory::kLearningDisability:
      return 150000;
    case BedCategory::kMentalHealth:
      return 90000;
    case BedCategory::kYoungPhysicalDisability:
      return 120000;
    case BedCategory::kRespite:
      return 80000;
    case BedCategory::kShortStay:
      return 85000;
  }
  return 80000;
}

// Rounds to the nearest £5.
int64_t Round5(double pence) {
  return static_cast<int64_t>(std::llround(pence / 500.0)) * 500;
}

struct Home {
  Provider p;
  double rate_factor = 1.0;
};

class DemoBuilder {
 public:
  DemoBuilder(Store& store, const Geography& geo, const DemoOptions& o)
      : store_(store),
        geo_(geo),
        o_(o),
        rng_(o.seed),
        today_(DaysFromIsoDate(o.today)),
        id_namespace_(fmt::format("demo:{}:{}", o.seed, static_cast<int>(o.scale))) {}

  Result<DemoSummary> Run();

 private:
  std::string Id(std::string_view kind, int64_t n) const {
    return StableId(id_namespace_, fmt::format("{}/{}", kind, n));
  }
  std::string Day(int64_t offset) const { return IsoDateFromDays(today_ + offset); }
  Status ImportReal();
  Status AddSynthetic();
  Status MakeBeds();
  Status CloseSomeHomes();
  Status MakeHomecare();
  Status MakeReferrals();
  std::string FictionalPostcode(const std::string& outcode) {
    static const char* kLetters = "ABDEFGHJLNPQRSTUWXYZ";  // letters used in inward codes
    // One draw per statement: the order C++ evaluates function arguments in is unspecified, and the
    // demo must be the same store for the same seed whatever the compiler or optimisation level.
    const int64_t sector = rng_.Between(1, 9);
    const char unit1 = kLetters[rng_.Uniform(20)];
    const char unit2 = kLetters[rng_.Uniform(20)];
    return fmt::format("{} {}{}{}", outcode, sector, unit1, unit2);
  }

  Store& store_;
  const Geography& geo_;
  DemoOptions o_;
  Rng rng_;
  int64_t today_;
  std::string id_namespace_;  // the seed and scale: every row id is stable for them
  DemoSummary s_;
  std::vector<Home> homes_;
  std::vector<Provider> agencies_;
  std::vector<std::string> local_outcodes_;  // outcodes where the homes are, for community referrals
  int64_t counter_ = 0;
};

Status DemoBuilder::ImportReal() {
  const std::string path =
      o_.cqc_csv_path.empty() ? AssetsDir() + "/data/care_directory_2016_sample.csv" : o_.cqc_csv_path;
  BERTH_ASSIGN_OR_RETURN(std::string csv, ReadInput(path));
  std::vector<CqcImportOptions> filters;
  if (o_.scale == DemoScale::kCounty) {
    filters = {{"Cambridgeshire", ""}, {"Peterborough", ""}};
  } else if (o_.scale == DemoScale::kRegion) {
    filters = {{"", "East"}};
  } else {
    filters = {{"", ""}};
  }
  for (auto& f : filters) {
    f.write_path = o_.write_path;
    auto report = ImportCqcDirectory(store_, geo_, csv, f);
    if (!report.ok()) return report.status().Context("importing the CQC directory for the demo");
  }
  BERTH_ASSIGN_OR_RETURN(std::vector<Provider> all, LoadProviders(store_.db()));
  for (auto& p : all) {
    ++s_.real_providers;
    if (p.kind == ProviderKind::kCareHome) {
      homes_.push_back({std::move(p), 0.9 + 0.3 * rng_.Real()});
    } else {
      agencies_.push_back(std::move(p));
    }
  }
  return Status::Ok();
}

// Synthetic homes and agencies across England, up to the England-scale targets.
Status DemoBuilder::AddSynthetic() {
  constexpr int64_t kHomes = 15000, kAgencies = 10000;
  // Each English outcode, with the council it falls in (nearest lower-tier or unitary centre).
  std::vector<const LocalAuthority*> councils;
  for (const auto& la : geo_.authorities()) {
    if (la.current && la.centre && Geography::InEngland(la) && la.type != "CTY" && la.type != "COMB" &&
        la.type != "CA" && la.type != "NMDA") {
      councils.push_back(&la);
    }
  }
  if (councils.empty()) return InternalError("no English councils in the geography data");
  struct Place {
    std::string outcode;
    LatLong where;
    const LocalAuthority* council;
  };
  std::vector<Place> places;
  for (const auto& [code, where] : geo_.SortedOutcodes()) {
    const LocalAuthority* best = nullptr;
    double best_km = 1e9;
    for (const auto* la : councils) {
      const double km = DistanceKm(where, *la->centre);
      if (km < best_km) {
        best_km = km;
        best = la;
      }
    }
    if (best != nullptr && best_km < 40) places.push_back({code, where, best});
  }
  auto county_of = [&](const LocalAuthority* la) -> std::string {
    if (la->county_code.empty()) return la->name;
    for (const auto& c : geo_.authorities()) {
      if (c.code == la->county_code) return c.name;
    }
    return la->name;
  };
  int64_t homes_needed = kHomes - static_cast<int64_t>(homes_.size());
  int64_t agencies_needed = kAgencies - static_cast<int64_t>(agencies_.size());
  int64_t n = 0;
  while (homes_needed > 0 || agencies_needed > 0) {
    const bool home = homes_needed > 0 && (agencies_needed == 0 || rng_.Chance(0.6));
    const Place& place = rng_.Pick(places);
    Provider p;
    p.id = Id("provider", ++n);
    p.kind = home ? ProviderKind::kCareHome : ProviderKind::kHomecareAgency;
    const std::string word = rng_.Pick(kNameWords);
    p.name = home ? fmt::format("{} {} (synthetic {})", word, rng_.Pick(kHomeWords), n)
                  : fmt::format("{} Home Care (synthetic {})", word, n);
    p.operator_name = fmt::format("{} Care Ltd (synthetic)", word);
    p.postcode = FictionalPostcode(place.outcode);
    p.latitude = place.where.lat + (rng_.Real() - 0.5) * 0.04;
    p.longitude = place.where.lon + (rng_.Real() - 0.5) * 0.06;
    p.position = PositionSource::kExact;  // each demo home has a point of its own near its district centre
    p.local_authority = county_of(place.council);
    p.district = place.council->name;
    p.region = place.council->region;
    if (home) {
      const double r = rng_.Real();
      p.registration = r < 0.25  ? Registration::kNursing
                       : r < 0.3 ? Registration::kResidentialNursing
                                 : Registration::kResidential;
      p.specialisms = {Specialism::kOlderPeople};
      if (rng_.Chance(0.55)) p.specialisms.push_back(Specialism::kDementia);
      if (rng_.Chance(0.08)) p.specialisms = {Specialism::kLearningDisability, Specialism::kYoungerAdults};
      std::sort(p.specialisms.begin(), p.specialisms.end());
      p.service_types = p.registration == Registration::kResidential ? "Residential homes" : "Nursing homes";
      const double q = rng_.Real();
      p.rating = q < 0.04   ? CqcRating::kOutstanding
                 : q < 0.74 ? CqcRating::kGood
                 : q < 0.96 ? CqcRating::kRequiresImprovement
                            : CqcRating::kInadequate;
      p.registered_beds =
          p.registration == Registration::kResidential ? rng_.Between(14, 44) : rng_.Between(28, 64);
      if (Contains(p.specialisms, Specialism::kLearningDisability)) p.registered_beds = rng_.Between(3, 10);
      --homes_needed;
    } else {
      p.service_types = "Homecare agencies";
      p.specialisms = {Specialism::kDementia, Specialism::kOlderPeople, Specialism::kPhysicalDisability};
      --agencies_needed;
    }
    BERTH_RETURN_IF_ERROR(Save(store_, p));
    ++s_.synthetic_providers;
    if (home) {
      homes_.push_back({std::move(p), 0.9 + 0.3 * rng_.Real()});
    } else {
      agencies_.push_back(std::move(p));
    }
  }
  return Status::Ok();
}

Status DemoBuilder::MakeBeds() {
  struct Draft {
    Bed bed;
    size_t home = 0;
  };
  std::vector<Draft> drafts;
  for (size_t h = 0; h < homes_.size(); ++h) {
    const Provider& p = homes_[h].p;
    const bool dementia = Contains(p.specialisms, Specialism::kDementia);
    const bool older = Contains(p.specialisms, Specialism::kOlderPeople) || p.specialisms.empty();
    const bool ld = Contains(p.specialisms, Specialism::kLearningDisability) && !older;
    const bool mh = Contains(p.specialisms, Specialism::kMentalHealth) && !older && !ld;
    const bool ypd = Contains(p.specialisms, Specialism::kPhysicalDisability) &&
                     Contains(p.specialisms, Specialism::kYoungerAdults) && !older && !ld && !mh;
    const bool nursing =
        p.registration == Registration::kNursing || p.registration == Registration::kResidentialNursing;
    int64_t beds = p.registered_beds;
    if (beds <= 0) beds = ld ? rng_.Between(3, 10) : nursing ? rng_.Between(30, 70) : rng_.Between(15, 50);
    for (int64_t i = 0; i < beds; ++i) {
      Draft d;
      d.home = h;
      Bed& b = d.bed;
      b.provider_id = p.id;
      b.room = std::to_string(i < 40 ? i + 1 : 100 + i);
      if (ld) {
        b.category = BedCategory::kLearningDisability;
      } else if (mh) {
        b.category = BedCategory::kMentalHealth;
      } else if (ypd) {
        b.category = BedCategory::kYoungPhysicalDisability;
      } else if (nursing) {
        static const std::vector<double> kNursingMix = {15, 10, 55, 20};
        b.category = static_cast<BedCategory>(rng_.Weighted(kNursingMix));
      } else {
        b.category = rng_.Chance(0.35) ? BedCategory::kResidentialDementia : BedCategory::kResidential;
      }
      if (!dementia && b.category == BedCategory::kResidentialDementia)
        b.category = BedCategory::kResidential;
      if (!dementia && b.category == BedCategory::kNursingDementia) b.category = BedCategory::kNursing;
      if (older && rng_.Chance(0.02))
        b.category = rng_.Chance(0.75) ? BedCategory::kShortStay : BedCategory::kRespite;
      b.features.en_suite = rng_.Chance(0.6);
      b.features.ground_floor = i < beds / 2 && rng_.Chance(0.7);
      b.features.bariatric = rng_.Chance(0.05);
      b.features.hoist = rng_.Chance(0.25);
      if (rng_.Chance(0.03))
        b.features.single_sex_unit = rng_.Chance(0.7) ? SexPreference::kFemale : SexPreference::kMale;
      drafts.push_back(std::move(d));
    }
  }
  // The block contract: 38% of the older people's beds (about 370 at county scale, like the real one), split
  // like a real contract.
  std::array<std::vector<size_t>, 4> by_category;
  int64_t eligible = 0;
  for (size_t i = 0; i < drafts.size(); ++i) {
    const auto c = static_cast<size_t>(drafts[i].bed.category);
    if (c < 4) {
      by_category[c].push_back(i);
      ++eligible;
    }
  }
  const int64_t block_total = std::llround(static_cast<double>(eligible) * 0.38);
  static constexpr double kShare[4] = {0.34, 0.16, 0.42,
                                       0.07};  // residential, res. dementia, nursing, nursing dementia
  for (size_t c = 0; c < 4; ++c) {
    auto& pool = by_category[c];
    for (size_t i = pool.size(); i > 1; --i)
      std::swap(pool[i - 1], pool[static_cast<size_t>(rng_.Uniform(static_cast<int64_t>(i)))]);
    const auto want = static_cast<size_t>(std::llround(static_cast<double>(block_total) * kShare[c]));
    for (size_t k = 0; k < std::min(want, pool.size()); ++k)
      drafts[pool[k]].bed.contract = ContractType::kBlock;
  }
  int64_t bed_n = 0, placement_n = 0;
  for (auto& d : drafts) {
    Bed& b = d.bed;
    b.id = Id("bed", ++bed_n);
    const double factor = homes_[d.home].rate_factor;
    const int64_t base = BaseRatePence(b.category);
    if (b.contract == ContractType::kBlock) {
      b.tier = rng_.Chance(0.6) ? BlockTier::kT1 : BlockTier::kT2;
      b.weekly_rate_pence =
          Round5(static_cast<double>(base) * factor * (b.tier == BlockTier::kT2 ? 1.08 : 1.0));
      b.flexibility_clause = rng_.Chance(0.4);
    } else {
      b.contract = rng_.Chance(0.15) ? ContractType::kFramework : ContractType::kSpot;
      b.weekly_rate_pence =
          Round5(static_cast<double>(base) * factor * (b.contract == ContractType::kFramework ? 1.05 : 1.15));
    }
    const double r = rng_.Real();
    const double vacant = b.contract == ContractType::kBlock ? 0.07 : 0.05;
    if (r < vacant) {
      b.status = BedStatus::kVacant;
      const int64_t days = 1 + rng_.Uniform(30);
      const int64_t long_void = rng_.Chance(0.3) ? rng_.Uniform(45) : 0;
      b.status_since = Day(-(days + long_void));
    } else if (r < vacant + 0.01) {
      b.status = BedStatus::kUnavailable;
      b.unavailable_reason =
          rng_.Chance(0.5) ? UnavailableReason::kMaintenance : UnavailableReason::kStaffing;
      b.status_since = Day(-rng_.Between(1, 20));
    } else {
      b.status = BedStatus::kOccupied;
      b.status_since = Day(-rng_.Between(7, 1200));
    }
    BERTH_RETURN_IF_ERROR(Save(store_, b));
    ++s_.beds;
    if (b.contract == ContractType::kBlock) {
      ++s_.block_beds;
      ++s_.block_by_category[static_cast<size_t>(b.category)];
      if (b.status == BedStatus::kVacant) ++s_.voids;
      // Block beds carry their placement history, which the utilisation report reads.
      Placement pl;
      pl.id = Id("placement", ++placement_n);
      pl.provider_id = b.provider_id;
      pl.bed_id = b.id;
      pl.weekly_cost_pence = b.weekly_rate_pence;
      if (b.status == BedStatus::kOccupied) {
        pl.start_date = b.status_since;
        pl.status = PlacementStatus::kActive;
      } else {
        // The last day of care was the day before the bed became vacant (berth/schema/occupancy.h).
        pl.end_date = Day(DaysFromIsoDate(b.status_since) - today_ - 1);
        pl.start_date = Day(DaysFromIsoDate(b.status_since) - today_ - rng_.Between(30, 600));
        pl.status = PlacementStatus::kEnded;
      }
      BERTH_RETURN_IF_ERROR(Save(store_, pl));
      ++s_.placements;
    }
  }
  return Status::Ok();
}

Status DemoBuilder::CloseSomeHomes() {
  const size_t n = o_.scale == DemoScale::kCounty ? 2 : std::max<size_t>(2, homes_.size() / 100);
  std::vector<size_t> order(homes_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (size_t i = order.size(); i > 1; --i)
    std::swap(order[i - 1], order[static_cast<size_t>(rng_.Uniform(static_cast<int64_t>(i)))]);
  for (size_t k = 0; k < std::min(n, order.size()); ++k) {
    const Provider& p = homes_[order[k]].p;
    ProviderAdmissions a;
    a.provider_id = p.id;
    a.status = AdmissionsStatus::kClosed;
    if (k % 2 == 0) {
      a.reason = ClosureReason::kOutbreak;
      a.since = Day(-rng_.Between(1, 6));
      a.note = "Norovirus outbreak; closed to all admissions until 72 hours clear.";
    } else {
      const bool nursing = p.registration != Registration::kResidential;
      a.category = nursing ? BedCategory::kNursing : BedCategory::kResidential;
      a.reason = rng_.Chance(0.5) ? ClosureReason::kStaffing : ClosureReason::kQuality;
      a.since = Day(-rng_.Between(5, 30));
      a.note = a.reason == ClosureReason::kStaffing ? "Nurse vacancies; no new admissions to this unit."
                                                    : "Council quality concern; admissions suspended.";
    }
    a.id = AdmissionsId(p.id, a.category);
    BERTH_RETURN_IF_ERROR(Save(store_, a));
    ++s_.closed_homes;
  }
  // About a third of homes accept a trusted assessor's assessment.
  for (auto& h : homes_) {
    if (!rng_.Chance(0.35)) continue;
    Mutation m;
    m.entity = "provider";
    m.row_id = h.p.id;
    m.fields["trusted_assessor"] = int64_t{1};
    h.p.trusted_assessor = true;
    BERTH_RETURN_IF_ERROR(store_.Write(std::move(m)));
  }
  return Status::Ok();
}

Status DemoBuilder::MakeHomecare() {
  // Zones are districts: carers' rounds stay within one, so cars do not criss-cross rural areas.
  std::map<std::string, std::vector<std::string>> districts_by_la;
  for (const auto& a : agencies_) districts_by_la[a.local_authority];
  for (auto& [la, list] : districts_by_la) {
    if (const LocalAuthority* council = geo_.FindAuthority(la)) {
      for (const auto* d : geo_.DistrictsOf(*council)) list.push_back(d->name);
    }
    if (list.empty()) list.push_back(la);
  }
  int64_t n = 0;
  for (const auto& a : agencies_) {
    std::vector<std::string> zones = {a.district.empty() ? a.local_authority : a.district};
    const auto& nearby = districts_by_la[a.local_authority];
    if (rng_.Chance(0.4)) {
      const std::string other = rng_.Pick(nearby);
      if (other != zones.front()) zones.push_back(other);
    }
    const bool double_up = rng_.Chance(0.55);
    const double g = rng_.Real();
    const bool female = g < 0.98, male = g < 0.80 || g >= 0.98;
    const bool block = rng_.Chance(0.2);
    const int64_t rate = block ? 1850 : 1900 + 5 * rng_.Between(0, 50);
    for (const auto& zone : zones) {
      // Most agencies have spare hours now; some have a round that frees up within the week. One date per
      // agency and zone: a package needs every band it uses from the same start.
      const int64_t opens = rng_.Chance(0.75) ? -rng_.Between(0, 21) : rng_.Between(1, 7);
      for (size_t band = 0; band < EnumCount<TimeBand>(); ++band) {
        const auto tb = static_cast<TimeBand>(band);
        if (tb == TimeBand::kNight && !rng_.Chance(0.15)) continue;
        HomecareCapacity c;
        c.id = Id("homecare", ++n);
        c.provider_id = a.id;
        c.zone = zone;
        c.band = tb;
        static constexpr int64_t kMax[] = {40, 20, 20, 24, 21};
        c.hours_per_week = static_cast<double>(rng_.Between(4 * 2, kMax[band] * 2)) / 2.0;
        c.available_from = Day(opens);
        c.double_up = double_up;
        c.female_carers = female;
        c.male_carers = male;
        c.contract = block ? HomecareContract::kBlock : HomecareContract::kDps;
        c.hourly_rate_pence = rate;
        BERTH_RETURN_IF_ERROR(Save(store_, c));
        ++s_.capacity_rows;
        s_.homecare_hours += c.hours_per_week;
      }
    }
  }
  return Status::Ok();
}

Status DemoBuilder::MakeReferrals() {
  const int64_t count = o_.scale == DemoScale::kCounty ? 40 : o_.scale == DemoScale::kRegion ? 150 : 1000;
  std::vector<const Hospital*> sites;
  if (o_.scale == DemoScale::kEngland) {
    for (const auto& h : geo_.hospitals()) {
      if (h.sector == "NHS Sector" && h.sub_type == "Hospital" &&
          h.name.find("Hospital") != std::string::npos) {
        sites.push_back(&h);
      }
    }
  }
  for (const char* code : {"RGT01", "RQQ31", "RGN80"}) {
    if (const Hospital* h = geo_.FindHospital(code)) sites.push_back(h);
  }
  if (sites.empty()) return InternalError("the hospital sites are missing from the geography data");
  std::set<std::string> outcodes;
  for (const auto& h : homes_) {
    const std::string oc = OutwardCode(h.p.postcode);
    if (!oc.empty() && geo_.Locate(oc)) outcodes.insert(oc);
  }
  const std::vector<std::string> local(outcodes.begin(), outcodes.end());
  if (local.empty()) return InternalError("no placeable care home postcodes for the demo");
  std::set<std::string> nhs_numbers;
  int64_t offer_n = 0, handback_n = 0;
  const int64_t handbacks = o_.scale == DemoScale::kCounty ? 2 : count / 50;
  for (int64_t i = 0; i < count; ++i) {
    Referral r;
    r.id = Id("referral", i + 1);
    do {
      r.nhs_number = TestRangeNhsNumber(rng_.Next());
    } while (!nhs_numbers.insert(r.nhs_number).second);
    r.gender = rng_.Chance(0.6) ? Gender::kFemale : Gender::kMale;
    const std::string first = r.gender == Gender::kFemale ? rng_.Pick(kFemaleNames) : rng_.Pick(kMaleNames);
    r.name = first + " " + rng_.Pick(kSurnames);
    const int64_t age = rng_.Between(66, 98);
    r.date_of_birth = Day(-365 * age - rng_.Uniform(365));
    const bool handback = i < handbacks;
    static const std::vector<double> kPathways = {35, 20, 35, 5, 5};
    r.pathway = handback ? Pathway::kP1 : static_cast<Pathway>(rng_.Weighted(kPathways));
    const Hospital* site = o_.scale == DemoScale::kEngland && rng_.Chance(0.9)
                               ? rng_.Pick(sites)
                               : sites[sites.size() - 3 + rng_.Uniform(3)];
    const bool community = handback || r.pathway == Pathway::kCommunityCrisis ||
                           r.pathway == Pathway::kRespite || rng_.Chance(0.08);
    if (community) {
      r.location_kind = LocationKind::kCommunity;
      r.postcode = FictionalPostcode(rng_.Pick(local));
    } else {
      r.location_kind = LocationKind::kHospital;
      r.hospital_code = site->code;
      r.postcode = site->postcode;
    }
    r.preferred_postcode = rng_.Chance(0.7) ? FictionalPostcode(rng_.Pick(local)) : "";
    static const std::vector<int64_t> kDistances = {10, 15, 20, 25, 30, 40};
    r.max_distance_km = static_cast<double>(rng_.Pick(kDistances));
    bool homecare = r.pathway == Pathway::kP1 || (r.pathway == Pathway::kCommunityCrisis && rng_.Chance(0.5));
    if (r.pathway == Pathway::kP3) {
      static const std::vector<double> kMix = {25, 20, 35, 20};
      r.category = static_cast<BedCategory>(rng_.Weighted(kMix));
    } else if (r.pathway == Pathway::kP2) {
      r.category = rng_.Chance(0.7)   ? BedCategory::kShortStay
                   : rng_.Chance(0.5) ? BedCategory::kNursing
                                      : BedCategory::kResidential;
    } else if (r.pathway == Pathway::kRespite) {
      r.category = BedCategory::kRespite;
    } else if (!homecare) {
      r.category = rng_.Chance(0.5) ? BedCategory::kShortStay : BedCategory::kResidential;
    }
    if (r.category == BedCategory::kResidentialDementia || r.category == BedCategory::kNursingDementia) {
      r.needs.push_back(Need::kDementia);
      if (rng_.Chance(0.2)) r.needs.push_back(Need::kBehaviourThatChallenges);
    }
    if (r.category == BedCategory::kNursing || r.category == BedCategory::kNursingDementia)
      r.needs.push_back(Need::kNursing);
    if (rng_.Chance(0.25)) r.needs.push_back(Need::kHoist);
    if (rng_.Chance(0.03)) r.needs.push_back(Need::kBariatric);
    if (!homecare && rng_.Chance(0.1)) r.needs.push_back(Need::kGroundFloor);
    if (!homecare && rng_.Chance(0.1)) r.needs.push_back(Need::kEnSuite);
    if (homecare) {
      static const std::vector<double> kCalls = {10, 25, 20, 45};
      r.homecare.calls_per_day = static_cast<int64_t>(rng_.Weighted(kCalls)) + 1;
      r.homecare.minutes_per_call = rng_.Chance(0.15) ? 45 : 30;
      static const std::vector<std::vector<TimeBand>> kBands = {
          {TimeBand::kMorning},
          {TimeBand::kMorning, TimeBand::kBed},
          {TimeBand::kMorning, TimeBand::kTea, TimeBand::kBed},
          {TimeBand::kMorning, TimeBand::kLunch, TimeBand::kTea, TimeBand::kBed}};
      r.homecare.bands = kBands[static_cast<size_t>(r.homecare.calls_per_day - 1)];
      r.homecare.double_up = rng_.Chance(0.3);
      if (r.homecare.double_up) r.needs.push_back(Need::kDoubleUp);
      if (rng_.Chance(0.3))
        r.homecare.carer_gender = r.gender == Gender::kMale ? SexPreference::kMale : SexPreference::kFemale;
    }
    std::sort(r.needs.begin(), r.needs.end());
    r.needs.erase(std::unique(r.needs.begin(), r.needs.end()), r.needs.end());
    const double inf = rng_.Real();
    r.infection_status = inf < 0.8    ? InfectionStatus::kNegative
                         : inf < 0.92 ? InfectionStatus::kUnknown
                         : inf < 0.96 ? InfectionStatus::kPositive
                                      : InfectionStatus::kContact;
    static const std::vector<double> kFunding = {70, 10, 5, 5, 5, 5};
    r.funding = static_cast<Funding>(rng_.Weighted(kFunding));
    r.weekly_budget_pence =
        r.category ? Round5(static_cast<double>(BaseRatePence(*r.category)) * (1.0 + 0.1 * rng_.Real()))
                   : Round5(r.homecare.CarerHoursPerWeek() * 2000);
    const int64_t waited = rng_.Between(-5, 20);
    const int64_t later = rng_.Chance(0.2) ? rng_.Between(0, 5) : 0;
    r.discharge_ready_date = Day(later - waited);
    r.priority = handback ? Priority::kHandBack : rng_.Chance(0.15) ? Priority::kUrgent : Priority::kRoutine;
    const double st = rng_.Real();
    r.status = handback    ? ReferralStatus::kSourcing
               : st < 0.55 ? ReferralStatus::kNew
               : st < 0.9  ? ReferralStatus::kSourcing
                           : ReferralStatus::kOffered;
    r.assigned_broker = r.status == ReferralStatus::kNew ? "" : rng_.Pick(kBrokers);
    r.notes = rng_.Pick(kNotes);
    r.created_date = Day(DaysFromIsoDate(r.discharge_ready_date) - today_ - rng_.Between(1, 6));
    r.district = ReferralDistrict(geo_, r);
    BERTH_RETURN_IF_ERROR(Save(store_, r));
    ++s_.referrals;
    if (r.status == ReferralStatus::kOffered && !homes_.empty()) {
      // Packages out with providers, awaiting answers.
      for (int k = 0; k < 2; ++k) {
        Offer of;
        of.id = Id("offer", ++offer_n);
        of.referral_id = r.id;
        of.provider_id = homes_[static_cast<size_t>(rng_.Uniform(static_cast<int64_t>(homes_.size())))].p.id;
        of.sent_at = Day(-1) + "T09:30:00Z";
        of.respond_by = Day(r.priority == Priority::kUrgent ? 0 : 1) + "T09:30:00Z";
        of.weekly_cost_pence = r.weekly_budget_pence;
        BERTH_RETURN_IF_ERROR(Save(store_, of));
        ++s_.offers;
      }
    }
    if (handback && !agencies_.empty()) {
      const Provider& agency =
          agencies_[static_cast<size_t>(rng_.Uniform(static_cast<int64_t>(agencies_.size())))];
      Placement pl;
      pl.id = Id("homecare-placement", ++handback_n);
      pl.referral_id = r.id;
      pl.provider_id = agency.id;
      pl.kind = PlacementKind::kHomecare;
      pl.hours_per_week = r.homecare.CarerHoursPerWeek();
      pl.start_date = Day(-rng_.Between(60, 400));
      pl.end_date = Day(rng_.Between(3, 7));
      pl.weekly_cost_pence = Round5(pl.hours_per_week * 1950);
      pl.status = PlacementStatus::kHandedBack;
      BERTH_RETURN_IF_ERROR(Save(store_, pl));
      Handback hb;
      hb.id = Id("handback", handback_n);
      hb.placement_id = pl.id;
      hb.referral_id = r.id;
      hb.provider_id = agency.id;
      hb.notice_date = Day(-rng_.Between(1, 4));
      hb.end_date = pl.end_date;
      hb.hours_per_week = pl.hours_per_week;
      hb.reason = HandbackReason::kStaffing;
      BERTH_RETURN_IF_ERROR(Save(store_, hb));
      ++s_.placements;
      ++s_.handbacks;
    }
  }
  return Status::Ok();
}

Result<DemoSummary> DemoBuilder::Run() {
  if (!IsIsoDate(o_.today)) return BadInput("the demo date must be YYYY-MM-DD");
  Db& db = store_.db();
  BERTH_ASSIGN_OR_RETURN(int64_t providers, db.QueryInt("SELECT count(*) FROM provider"));
  BERTH_ASSIGN_OR_RETURN(int64_t referrals, db.QueryInt("SELECT count(*) FROM referral"));
  if (providers > 0 || referrals > 0) {
    return ConflictError("this store already holds providers or referrals; the demo needs an empty store");
  }
  // One transaction of up to a million writes: a large page cache keeps SQLite from spilling (and
  // re-encrypting) pages mid-transaction. A setting of this connection only; restored afterwards.
  BERTH_ASSIGN_OR_RETURN(int64_t old_cache, db.QueryInt("PRAGMA cache_size"));
  BERTH_RETURN_IF_ERROR(db.Exec("PRAGMA cache_size = -524288"));  // 512 MiB at most, used only as needed
  const Status built = WriteAll(store_, o_.write_path, [&]() -> Status {
    BERTH_RETURN_IF_ERROR(ImportReal());
    if (o_.scale == DemoScale::kEngland) BERTH_RETURN_IF_ERROR(AddSynthetic());
    BERTH_RETURN_IF_ERROR(MakeBeds());
    BERTH_RETURN_IF_ERROR(CloseSomeHomes());
    BERTH_RETURN_IF_ERROR(MakeHomecare());
    return MakeReferrals();
  });
  BERTH_RETURN_IF_ERROR(db.Exec("PRAGMA cache_size = " + std::to_string(old_cache)));
  BERTH_RETURN_IF_ERROR(built);
  s_.care_homes = static_cast<int64_t>(homes_.size());
  s_.agencies = static_cast<int64_t>(agencies_.size());
  return s_;
}

}  // namespace

Result<DemoScale> ParseDemoScale(std::string_view text) {
  if (text == "county") return DemoScale::kCounty;
  if (text == "region") return DemoScale::kRegion;
  if (text == "england") return DemoScale::kEngland;
  return BadInput("unknown scale '" + std::string(text.substr(0, 20)) +
                  "' (expected county, region or england)");
}

std::string TestRangeNhsNumber(uint64_t random) {
  while (true) {
    std::string d = fmt::format("999{:06}", random % 1000000);
    int sum = 0;
    for (int i = 0; i < 9; ++i) sum += (d[static_cast<size_t>(i)] - '0') * (10 - i);
    int check = 11 - sum % 11;
    if (check == 11) check = 0;
    if (check != 10) return d + static_cast<char>('0' + check);
    random = random / 7 + 1;
  }
}

std::string DemoSummary::Text() const {
  const double block = static_cast<double>(std::max<int64_t>(
      1, block_by_category[0] + block_by_category[1] + block_by_category[2] + block_by_category[3]));
  return fmt::format(
      "{} care homes and {} homecare agencies ({} real CQC locations, {} synthetic)\n"
      "{} beds, {} of them block ({:.0f}% nursing, {:.0f}% nursing dementia, {:.0f}% residential, {:.0f}% "
      "residential dementia); {} block voids\n"
      "{} homes closed to some or all admissions\n"
      "{} homecare capacity rows, {:.1f} hours a week free\n"
      "{} referrals in the queue ({} hand backs), {} offers out, {} placements on record\n",
      care_homes, agencies, real_providers, synthetic_providers, beds, block_beds,
      100.0 * static_cast<double>(block_by_category[2]) / block,
      100.0 * static_cast<double>(block_by_category[3]) / block,
      100.0 * static_cast<double>(block_by_category[0]) / block,
      100.0 * static_cast<double>(block_by_category[1]) / block, voids, closed_homes, capacity_rows,
      homecare_hours, referrals, handbacks, offers, placements);
}

Result<DemoSummary> BuildDemo(Store& store, const Geography& geo, const DemoOptions& options) {
  DemoBuilder builder(store, geo, options);
  return builder.Run();
}

}  // namespace berth::core

// Creating and editing referrals (referrals.h): validation of what a social worker types (postcode, NHS
// number, dates), then the save through the workflow so the rules live in one place.

#include "berth/core/referrals.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "berth/core/nhs_number.h"
#include "berth/schema/repository.h"

namespace berth::core {

std::string PostcodeProblem(std::string_view text) {
  const std::string n = NormalisePostcode(text);
  if (n.find(' ') == std::string::npos) {
    return n.empty() ? "not a UK postcode (e.g. PE29 6NT)" : "a postcode looks like PE29 6NT";
  }
  return "";
}

std::string DateProblem(std::string_view text) {
  if (text.empty()) return "required (YYYY-MM-DD)";
  return IsIsoDate(text) ? "" : "not a date: use YYYY-MM-DD";
}

std::vector<FieldProblem> ReferralProblems(const Referral& r, const Geography* geo,
                                           const std::string& today) {
  std::vector<FieldProblem> out;
  auto fail = [&](const char* field, std::string message) { out.push_back({field, std::move(message)}); };
  if (r.nhs_number.empty()) {
    fail("nhs_number", "is required");
  } else if (auto n = ParseNhsNumber(r.nhs_number); !n.ok() || *n != r.nhs_number) {
    fail("nhs_number", "is not a valid NHS number (10 digits with a modulus-11 check digit)");
  }
  if (r.name.empty()) fail("name", "is required");
  if (std::string p = DateProblem(r.date_of_birth); !p.empty()) {
    fail("date_of_birth", p);
  } else if (IsIsoDate(today) && r.date_of_birth > today) {
    fail("date_of_birth", "is in the future");
  }
  if (std::string p = DateProblem(r.discharge_ready_date); !p.empty()) fail("discharge_ready_date", p);
  if (!r.created_date.empty() && !IsIsoDate(r.created_date))
    fail("created_date", "not a date: use YYYY-MM-DD");
  const bool bed_pathway =
      r.pathway == Pathway::kP2 || r.pathway == Pathway::kP3 || r.pathway == Pathway::kRespite;
  if (bed_pathway && !r.category)
    fail("category", "is required for pathway " + std::string(ToString(r.pathway)));
  if (r.pathway == Pathway::kP1 && r.homecare.empty()) {
    fail("homecare", "is required for pathway P1 (calls_per_day, minutes_per_call, bands, ...)");
  }
  if (r.pathway == Pathway::kCommunityCrisis && !r.category && r.homecare.empty()) {
    fail("category", "a community crisis referral needs a category (a bed) or a homecare pattern");
  }
  if (!r.homecare.empty() || r.homecare.minutes_per_call != 0) {
    if (r.homecare.calls_per_day < 1 || r.homecare.calls_per_day > 8)
      fail("homecare", "calls_per_day must be a whole number from 1 to 8");
    if (r.homecare.minutes_per_call < 15 || r.homecare.minutes_per_call > 240)
      fail("homecare", "minutes_per_call must be a whole number from 15 to 240");
  }
  if (!r.postcode.empty()) {
    if (std::string p = PostcodeProblem(r.postcode); !p.empty()) {
      fail("postcode", p);
    } else if (geo && !geo->Locate(r.postcode)) {
      fail("postcode", "the postcode district " + OutwardCode(r.postcode) + " is not known");
    }
  }
  if (r.location_kind == LocationKind::kHospital) {
    if (r.hospital_code.empty()) {
      fail("hospital", "a hospital referral names its site (an ODS code or name)");
    } else if (geo && !geo->FindHospital(r.hospital_code)) {
      fail("hospital", "no hospital site " + r.hospital_code.substr(0, 12));
    }
  }
  if (!r.preferred_postcode.empty()) {
    if (std::string p = PostcodeProblem(r.preferred_postcode); !p.empty()) {
      fail("preferred_postcode", p);
    } else if (geo && !geo->Locate(r.preferred_postcode)) {
      fail("preferred_postcode",
           "the postcode district " + OutwardCode(r.preferred_postcode) + " is not known");
    }
  }
  if (r.district == "*") {
    fail("district", "'*' means every area in a device's scope; a referral's district is a real place");
  } else if (!r.district.empty() && geo) {
    const LocalAuthority* la = geo->FindAuthority(r.district);
    if (la == nullptr || la->type == "CTY") fail("district", "is not a district or unitary council");
  }
  if (!(r.max_distance_km >= 0 && r.max_distance_km <= 1000))
    fail("max_distance_km", "must be between 0 and 1000");
  if (r.weekly_budget_pence < 0 || r.weekly_budget_pence > 10'000'000)
    fail("weekly_budget", "must be between 0 and 100000");
  return out;
}

const std::vector<ReferringSite>& ReferringHospitals() {
  static const std::vector<ReferringSite> kSites = {
      {"RGT01", "Addenbrooke's", "Cambridge", "CB2 0QQ"},
      {"RQQ31", "Hinchingbrooke", "Huntingdon", "PE29 6NT"},
      {"RGN80", "Peterborough City", "Peterborough", "PE3 9GZ"},
  };
  return kSites;
}

std::string HospitalName(const std::string& code) {
  if (code.empty()) return "Community";
  for (const ReferringSite& s : ReferringHospitals()) {
    if (code == s.code) return s.name;
  }
  if (auto geo = DefaultGeography(); geo.ok()) {
    if (const Hospital* h = (*geo)->FindHospital(code)) return h->name;
  }
  return code;
}

bool IsOpen(ReferralStatus s) {
  return s == ReferralStatus::kNew || s == ReferralStatus::kSourcing || s == ReferralStatus::kOffered ||
         s == ReferralStatus::kAccepted;
}

bool QueueBefore(const QueueKey& a, const QueueKey& b) {
  if (a.hand_back != b.hand_back) return a.hand_back;
  if (a.needed_day != b.needed_day) return a.needed_day < b.needed_day;
  if (a.urgent != b.urgent) return a.urgent;
  return a.id < b.id;
}

QueueKey QueueEntry::Key() const {
  QueueKey k;
  k.hand_back = referral.priority == Priority::kHandBack;
  k.needed_day = IsIsoDate(needed_from) ? DaysFromIsoDate(needed_from) : INT64_MAX;
  k.urgent = referral.priority == Priority::kUrgent;
  k.id = referral.id;
  return k;
}

std::string NeededFrom(const Referral& r, const std::string& care_ends) {
  if (r.priority == Priority::kHandBack && IsIsoDate(care_ends))
    return IsoDateFromDays(DaysFromIsoDate(care_ends) + 1);
  return r.discharge_ready_date;
}

void SortQueue(std::vector<QueueEntry>& queue) {
  std::sort(queue.begin(), queue.end(),
            [](const QueueEntry& a, const QueueEntry& b) { return QueueBefore(a.Key(), b.Key()); });
}

Result<std::vector<QueueEntry>> LoadQueue(Db& db, const std::string& today, bool include_closed) {
  BERTH_ASSIGN_OR_RETURN(std::vector<Referral> referrals, LoadReferrals(db));
  // The last day of care of each referral's open hand backs (a package handed back whole has one).
  std::map<std::string, std::string> care_ends;
  {
    BERTH_ASSIGN_OR_RETURN(Statement q,
                           db.Prepare("SELECT referral_id, max(end_date) FROM handback"
                                      " WHERE deleted = 0 AND status = 'open' GROUP BY referral_id"));
    while (true) {
      BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      care_ends[q.Text(0)] = q.Text(1);
    }
  }
  const bool dated = IsIsoDate(today);
  std::vector<QueueEntry> out;
  out.reserve(referrals.size());
  for (Referral& r : referrals) {
    if (!include_closed && !IsOpen(r.status)) continue;
    QueueEntry e;
    if (auto it = care_ends.find(r.id); it != care_ends.end() && r.priority == Priority::kHandBack)
      e.care_ends = it->second;
    e.needed_from = NeededFrom(r, e.care_ends);
    e.days_past =
        dated && IsIsoDate(e.needed_from) ? DaysFromIsoDate(today) - DaysFromIsoDate(e.needed_from) : 0;
    e.referral = std::move(r);
    out.push_back(std::move(e));
  }
  SortQueue(out);
  return out;
}

}  // namespace berth::core

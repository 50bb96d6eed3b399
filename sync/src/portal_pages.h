// The provider portal's HTML (PROTOCOL.md section 14): server-rendered pages, a small stylesheet, no
// scripts, every form working without JavaScript and carrying its CSRF token. Pure functions of what they
// are given: what a page may show (an offer's anonymised package, never a name, NHS number, date of birth
// or notes) is decided by what portal.cc puts in these views. Private to berth_sync.
#pragma once

#include <string>
#include <vector>

namespace berth::sync::internal {

std::string HtmlEscape(const std::string& text);
const std::string& PortalStylesheet();

// An offer as a provider sees it: the package, never the person.
struct OfferView {
  std::string id;
  std::string status;  // pending | accepted | declined | withdrawn | expired
  std::string sent_at, respond_by;
  std::string location;  // the provider's own name
  std::string kind;      // "care home bed" | "homecare"
  std::string category, needs, area, age_band, gender, start_date, funding, infection;
  std::string homecare_pattern;  // e.g. "4 calls a day, 30 minutes, morning,tea"
  std::string decline_reason;
};

struct BedView {
  std::string id, location, room, category, status, unavailable_reason;
};

struct HoursView {
  std::string id, location, zone, band, hours;
};

std::string SignInPage(const std::string& csrf, const std::string& error);
std::string SetPasswordPage(const std::string& csrf, const std::string& token, const std::string& email,
                            const std::string& error);
std::string MessagePage(const std::string& title, const std::string& text);
std::string OffersPage(const std::string& csrf, const std::string& location,
                       const std::vector<OfferView>& offers, const std::string& flash);
std::string VacanciesPage(const std::string& csrf, const std::string& location,
                          const std::vector<BedView>& beds, const std::vector<HoursView>& hours,
                          const std::string& flash);

}  // namespace berth::sync::internal

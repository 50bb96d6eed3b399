// Areas and scope (hub_storage_sqlite.h, PROTOCOL.md section 6): the area a row belongs to, and whether a
// device's scope and role let it see the row.
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <tuple>

#include "berth/schema/ids.h"
#include "berth/schema/occupancy.h"
#include "berth/schema/settings.h"
#include "berth/sync/version.h"
#include "hub_storage_sqlite.h"

namespace berth::sync::internal {

Result<std::string> SqliteHubStorage::StoredArea(const std::string& entity, const std::string& row_id) {
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db().Cached("SELECT area FROM hub_change WHERE entity = ? AND row_id = ?"));
  s.Bind(1, entity).Bind(2, row_id);
  BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
  std::string area = found ? s.Text(0) : std::string();
  return area;
}

// Where a device's rows go when they name no area of their own: the first area of its scope. A
// county-wide device (scope "*") has none, so its rows must name one ("" here).
std::string SqliteHubStorage::HomeArea(const DeviceRecord& d) {
  return d.scope.empty() || d.scope.front() == "*" ? std::string() : d.scope.front();
}

// The area a row belongs to (PROTOCOL.md section 6), from its merged fields and the area the hub's
// change log already records for it (`stored`, or empty). Only settings are everyone's ("*"); any other
// row's area is a real district or council, never "*" (a data value is never a wildcard). "" means the
// row names none and the device has no home area to lend it: Arbitrate refuses it (no_area).
Result<std::string> SqliteHubStorage::AreaFor(const DeviceRecord& dev, const std::string& entity,
                                              const std::map<std::string, Value>& merged,
                                              const std::string& stored) {
  if (entity == "setting") return std::string("*");
  if (entity == "provider") {
    std::string a = Str(merged, "district");
    if (a.empty()) a = Str(merged, "local_authority");
    return a.empty() ? HomeArea(dev) : a;
  }
  if (entity == "referral") {
    // Where the person is (their hospital site or postcode; app/core fills it): a referral made on a
    // county-wide device reaches that district's devices only.
    if (std::string d = Str(merged, "district"); !d.empty()) return d;
  }
  if (!stored.empty()) return stored;
  std::string parent_entity, parent_id;
  if (entity == "bed" || entity == "homecare_capacity" || entity == "provider_admissions") {
    parent_entity = "provider";
    parent_id = Str(merged, "provider_id");
  } else if (IsReferralChild(entity)) {
    parent_entity = "referral";
    parent_id = Str(merged, "referral_id");
  }
  if (!parent_id.empty()) {
    // The beds of one home usually arrive in one batch: their provider's area is read once.
    auto key = std::make_pair(parent_entity, parent_id);
    auto it = parent_areas_.find(key);
    if (it == parent_areas_.end()) {
      BERTH_ASSIGN_OR_RETURN(std::string a, StoredArea(parent_entity, parent_id));
      it = parent_areas_.emplace(std::move(key), std::move(a)).first;
    }
    if (!it->second.empty()) return it->second;
  }
  return HomeArea(dev);
}

// Settings reach everyone; any other row only devices whose scope names its area (or "*", all areas).
// A row with no area ("" : one stored before areas were enforced whose area could not be worked out)
// reaches county-wide devices only.
bool SqliteHubStorage::InScope(const DeviceRecord& d, const std::string& entity, const std::string& area) {
  if (entity == "setting") return true;
  for (const auto& a : d.scope) {
    if (a == "*" || (a == area && !area.empty())) return true;
  }
  return false;
}

Result<bool> SqliteHubStorage::Visible(const DeviceRecord& d, const std::string& entity,
                                       const std::string& row_id) {
  if (!RoleMayRead(d.role, entity)) return false;
  BERTH_ASSIGN_OR_RETURN(std::string area, StoredArea(entity, row_id));
  return InScope(d, entity, area);
}

}  // namespace berth::sync::internal

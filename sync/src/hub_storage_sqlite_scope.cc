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
  if (schema_.Columns(entity) == nullptr) return std::string();
  BERTH_ASSIGN_OR_RETURN(Statement s,
                         db().Cached("SELECT c.area FROM \"" + entity + "\" r JOIN hub_change c ON" +
                                     " c.seq = r.\"" + kHubSeqColumn + "\" WHERE r.id = ?"));
  s.Bind(1, row_id);
  BERTH_ASSIGN_OR_RETURN(bool found, s.Step());
  std::string area = found ? s.Text(0) : std::string();
  return area;
}

}  // namespace berth::sync::internal

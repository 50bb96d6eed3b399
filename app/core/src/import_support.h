// What the importers (importers.cc, cqc_import.cc) share: refusing a whole file with its bad rows, turning
// a repository save into a row outcome, and the few text checks every file format needs. Private to core.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "berth/core/importers.h"
#include "berth/schema/repository.h"

namespace berth::core::import_support {

// Refuses the whole import, listing the bad rows (at most 30) so the user can fix them all at once.
Status Refuse(const ImportReport& report);
// Records a row's outcome from the repository's save (created, updated or unchanged).
Status Outcome(ImportReport& report, int64_t line, const std::string& key, Result<SaveOutcome> saved,
               std::vector<std::string> warnings = {});
// "1-" followed by digits: the shape of every CQC location and provider id.
bool IsCqcId(std::string_view id);

}  // namespace berth::core::import_support

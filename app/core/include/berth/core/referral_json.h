// Referrals as JSON: the snake_case document `berth referral add` accepts (see README.md, "Referral JSON")
// and the one `berth referral list|show --json` prints.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "berth/core/geo.h"
#include "berth/schema/model.h"
#include "berth/schema/status.h"

namespace berth::core {

struct ParsedReferral {
  int64_t line = 0;  // where the referral's object starts in the input
  Referral referral;
};

// Parses one referral object, an array of them, or {"referrals": [...]}. Unknown keys, wrong types,
// invalid NHS numbers, unknown codes and impossible dates are refused with the line and the key; values
// of personal fields (name, NHS number, date of birth, notes) are never echoed in messages.
Result<std::vector<ParsedReferral>> ParseReferralJson(std::string_view text, const Geography& geo,
                                                      const std::string& today);

// The full record, with the same keys as the input plus id, status, priority and the computed hospital.
nlohmann::json ReferralToJson(const Referral& r);
// The summary `referral list --json` prints: id, name, pathway, category, status, discharge_ready_date,
// days_past_discharge_ready, priority.
nlohmann::json ReferralSummaryJson(const Referral& r, const std::string& today);

}  // namespace berth::core

// Short ids people can read out over the phone and type. Record ids are UUIDv7: their first twelve hex
// digits are the time they were made, so referrals added together share them and a prefix is useless.
// The short form is the end of the id's random part instead: the shortest run of its last hex digits
// (at least kMinShortId) that no other live id of the same table ends with.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "berth/schema/db.h"
#include "berth/schema/status.h"

namespace berth::core {

inline constexpr size_t kMinShortId = 6;

// id -> short form, for every live row of `table` ("referral", "placement", "offer", ...).
Result<std::unordered_map<std::string, std::string>> ShortIds(Db& db, std::string_view table);

// The live row of `table` that `text` names: its whole id, its short form (any run of its last hex digits,
// at least kMinShortId), or a prefix of the id; dashes and case do not matter. kNotFound when nothing
// matches; kBadInput naming every candidate when several do (a sync can bring an id that shares a short
// form: the message lists them so the user can give more digits). `what` names the record in messages.
Result<std::string> ResolveId(Db& db, std::string_view table, std::string_view what, std::string_view text);

}  // namespace berth::core

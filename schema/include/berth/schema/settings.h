// The settings schema: every setting Berth knows, its type and range, who may change it, and whether it
// syncs. One table, enforced on every path a value can take: Store::Write and Store::ApplyRemote (so the
// CLI, the window and app/core), the hub when a device pushes one, and a device applying a pulled one.
// Readers go through SettingValue(), which never returns a value outside the schema.
//
// A person's preferences (theme, font size) stay on their device: they are kept in the store's
// non-syncing `meta` table, never in the outbox, and the hub refuses them. Council-wide settings (the
// auto-lock, the matcher's weights and limits) sync, and only a device whose role may write settings
// (a broker) can change them at the hub.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/schema/status.h"

namespace berth {

class Store;

enum class SettingType { kNumber, kInteger, kChoice };

// Who may change a setting.
enum class SettingEditor {
  kUser,    // the person at this device (a preference; never leaves it)
  kBroker,  // a broker device, for the whole council (the hub refuses it from ward and viewer devices)
};

struct SettingSpec {
  std::string key;
  SettingType type = SettingType::kNumber;
  double min = 0;  // kNumber / kInteger: the inclusive range
  double max = 0;
  std::vector<std::string> choices;  // kChoice
  std::string default_value;
  SettingEditor editor = SettingEditor::kBroker;
  bool syncs = true;      // false: kept on the device only
  bool security = false;  // a security setting (e.g. the auto-lock): listed as such in FORMAT.md
  std::string meaning;
};

// Every known setting, in a stable order.
const std::vector<SettingSpec>& SettingSchema();
// The spec of `key`, or nullptr for a key the schema does not know.
const SettingSpec* FindSetting(std::string_view key);
// Ok when `value` is acceptable for `key`; kBadInput naming the key and its range (never echoing more
// than a short prefix of the value) otherwise. Unknown keys are kBadInput too.
Status ValidateSetting(std::string_view key, std::string_view value);
// A setting as every reader should see it: the stored value when the schema accepts it, else the
// default. `key` must be in the schema.
Result<std::string> SettingValue(Store& store, std::string_view key);

}  // namespace berth

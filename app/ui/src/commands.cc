// Names and slugs of the window's panels, as keys, screenshots and `--panel` use them.

#include "commands.h"

namespace berth::ui {

namespace {
struct PanelInfo {
  const char* name;
  const char* slug;
};
constexpr PanelInfo kPanels[] = {
    {"Huddle board", "huddle"},   {"Referral", "referral"}, {"Match", "match"},
    {"Huddle plan", "plan"},      {"Capacity", "capacity"}, {"Voids & utilisation", "voids"},
    {"Sync & conflicts", "sync"}, {"Settings", "settings"}, {"Case log", "case"},
};
static_assert(sizeof(kPanels) / sizeof(kPanels[0]) == static_cast<size_t>(PanelId::kCount));
}  // namespace

const char* PanelName(PanelId id) {
  return kPanels[static_cast<int>(id)].name;
}
const char* PanelSlug(PanelId id) {
  return kPanels[static_cast<int>(id)].slug;
}

bool PanelFromSlug(const std::string& slug, PanelId* out) {
  for (int i = 0; i < static_cast<int>(PanelId::kCount); ++i) {
    if (slug == kPanels[i].slug) {
      *out = static_cast<PanelId>(i);
      return true;
    }
  }
  return false;
}

}  // namespace berth::ui

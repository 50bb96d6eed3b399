// Settings kept in the store (so they sync with the team): scoring weights, hold duration, auto-lock,
// theme, font size. Each edit is saved when the field is left (kSaveSetting).
#pragma once

#include <map>
#include <string>

#include "panel.h"

namespace berth::ui {

class SettingsPanel : public Panel {
 public:
  PanelId id() const override { return PanelId::kSettings; }
  void Draw(PanelContext& ctx) override;
  void Clear() override { edits_.clear(); }

 private:
  std::map<std::string, std::string> edits_;  // key -> text being edited
};

}  // namespace berth::ui

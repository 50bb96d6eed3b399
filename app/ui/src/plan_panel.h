// The huddle plan: the proposed allocation for the whole open queue (from core's huddle plan), each
// allocation with its reason; accept one (A) or all (Shift+A). Unplaced referrals are listed with why.
#pragma once

#include "panel.h"

namespace berth::ui {

class PlanPanel : public Panel {
 public:
  PanelId id() const override { return PanelId::kPlan; }
  void Draw(PanelContext& ctx) override;
  void Clear() override { selected_ = 0; }

 private:
  int selected_ = 0;
};

}  // namespace berth::ui

// Sync status and the conflicts inbox. Until this device is enrolled with a hub (and the sync module is
// wired in), it says so plainly and shows what is waiting to go: the outbox, which exists from day one.
#pragma once

#include "panel.h"

namespace berth::ui {

class SyncPanel : public Panel {
 public:
  PanelId id() const override { return PanelId::kSync; }
  void Draw(PanelContext& ctx) override;
};

}  // namespace berth::ui

// Sync status and the conflicts inbox (berth/sync/client.h): whether this device is enrolled, what waits in
// the outbox, the last sync's outcome; Ctrl+Y syncs on the store's worker thread with progress and cancel.
// Conflicts (claims the hub refused) are listed with the hub's reason; Enter re-brokers the person.
#pragma once

#include <string>

#include "panel.h"

namespace berth::ui {

class SyncPanel : public Panel {
 public:
  PanelId id() const override { return PanelId::kSync; }
  void Draw(PanelContext& ctx) override;
  void Clear() override {
    selected_ = 0;
    note_.clear();
    code_.clear();
  }

 private:
  int selected_ = 0;
  std::string note_;            // how the selected conflict was resolved
  std::string hub_url_, code_;  // the enrolment form
};

}  // namespace berth::ui

// The offers of one person's package, shared by the match view and the case panel: who has it and by when
// (each offer's own deadline), each answer as it arrives (after a sync) or as the broker records it from a
// phone call (accepted, or declined with its coded reason), and withdrawing an offer. It draws and pushes
// events; app/core's workflow does the rest.
#pragma once

#include <vector>

#include "panel.h"

namespace berth::ui {

class OffersView {
 public:
  void Draw(PanelContext& ctx, const std::vector<OfferView>& offers);

 private:
  int decline_reason_ = 0;
};

}  // namespace berth::ui

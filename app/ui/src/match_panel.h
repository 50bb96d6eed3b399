// The match view: for the selected referral, the ranked options with each score component as a bar, the
// excluded candidates (behind a toggle, X) with the rule that excluded each, and the actions: hold (H or
// Enter), offer to the provider (O), confirm the placement (C), and the providers' answers to offers
// (accepted, or declined with a reason). Actions are events; the shell runs them through the workflow in
// app/core, which refuses what the workflow does not allow (a confirmation with no accepted offer).
#pragma once

#include "panel.h"

namespace berth::ui {

class MatchPanel : public Panel {
 public:
  PanelId id() const override { return PanelId::kMatch; }
  void Draw(PanelContext& ctx) override;
  void Clear() override;
  void OnReferralSelected(const std::string& id);

  int selected() const { return selected_; }
  bool show_excluded() const { return show_excluded_; }

 private:
  void DrawHeader(const PanelContext& ctx);
  void DrawOption(const MatchOption& o, int index, bool selected);
  void DrawWhy(const MatchData& m);
  void DrawOffers(PanelContext& ctx, const MatchData& m);
  void Act(PanelContext& ctx, Event::Kind kind);

  std::string referral_id_;
  int selected_ = 0;
  bool show_excluded_ = false;
  bool excluded_toggled_ = false;  // the broker chose; stop choosing for them
  bool scroll_ = false;
  int decline_reason_ = 2;  // not_compatible
};

}  // namespace berth::ui

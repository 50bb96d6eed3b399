// The match view: for the selected referral, the ranked options with a fit out of 100 and each score
// component as a bar and in words, the nearest misses when few options pass, the excluded candidates
// (behind a toggle, X) with the rule that excluded each, and the actions: hold (H or Enter), choose options
// (Space) and send the anonymised package to every chosen provider at once (O; the selected one when none
// is chosen), confirm the placement (C), and the offers view (OffersView: deadlines, answers, withdraw).
// Actions are events; the shell runs them through the workflow in app/core, which refuses what the workflow
// does not allow (a confirmation with no accepted offer).
#pragma once

#include <set>

#include "offers_view.h"
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
  const std::set<int>& chosen() const { return chosen_; }

 private:
  void DrawHeader(const PanelContext& ctx);
  void DrawOption(const MatchOption& o, int index, bool selected);
  void DrawWhy(const MatchData& m);
  template <class C>
  void Act(PanelContext& ctx);  // the selected option as a C (cmd::Hold, cmd::Offer, cmd::Confirm)
  void SendChosen(PanelContext& ctx);

  std::string referral_id_;
  int selected_ = 0;
  bool show_excluded_ = false;
  bool excluded_toggled_ = false;  // the broker chose; stop choosing for them
  bool scroll_ = false;
  std::set<int> chosen_;  // options chosen for one offer round (indices into the options)
  OffersView offers_;
};

}  // namespace berth::ui

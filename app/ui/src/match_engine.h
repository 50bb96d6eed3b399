// The matching engine as the UI uses it: app/core's supply index, settings and geography, owned by the
// store's worker thread (every method here runs there, never on the UI thread). It turns core's results
// into the view models the match and plan panels draw (MatchData, PlanData), and runs the workflow
// transitions the panels ask for (hold, offer, confirm, accept a plan allocation).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/scoring.h"
#include "berth/core/supply_index.h"
#include "berth/schema/store.h"
#include "commands.h"
#include "view_model.h"

namespace berth::ui {

class MatchEngine {
 public:
  // Drops the index: the next call rebuilds it from the store (after writes that change supply).
  void Invalidate() { index_.reset(); }

  Result<MatchData> Match(Store& store, const std::string& referral_id);
  Result<PlanData> Plan(Store& store);
  // The commissioning reports of the voids screen, on this engine's index, settings and geography.
  Result<CommissioningData> Commissioning(Store& store);

  // The workflow, for one command (hold, offer, confirm, answer, hand back, ...). Returns the message for the
  // status bar; `bed_id` receives the bed a hold, release or confirmation touched (for the capacity board).
  Result<std::string> Act(Store& store, const WorkflowCommand& c, std::string* bed_id);

 private:
  Status Ensure(Store& store);
  core::MatchContext Context() const;
  MatchOption Option(const core::MatchContext& ctx, const core::Needs& n, const core::Candidate& c) const;

  std::optional<core::SupplyIndex> index_;
  core::MatchSettings settings_;
  const core::Geography* geo_ = nullptr;
};

}  // namespace berth::ui

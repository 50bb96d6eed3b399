// The window's adapter over app/core's matching (not an engine: the rules are all in app/core). It keeps
// core's supply index, settings and geography for the store's worker thread (every method here runs there,
// never on the UI thread), turns core's results into the view models the match, plan and voids panels draw
// (MatchData, PlanData, CommissioningData), and runs the workflow commands the panels send (hold, offer,
// confirm, answer, hand back, cancel: WorkflowCommand in commands.h) through core's workflow API.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "berth/core/geo.h"
#include "berth/core/match.h"
#include "berth/core/scoring.h"
#include "berth/core/supply_index.h"
#include "berth/schema/store.h"
#include "berth/views/view_model.h"
#include "commands.h"

namespace berth::ui {

// The view models are app/views' (berth_views, shared with the CLI); the panels use them unqualified.
using namespace berth::views;  // NOLINT(google-build-using-namespace)

class MatchingAdapter {
 public:
  // Drops the index: the next call rebuilds it from the store (after writes that change supply).
  void Invalidate() { index_.reset(); }

  Result<MatchData> Match(Store& store, const std::string& referral_id);
  Result<PlanData> Plan(Store& store);
  // The commissioning reports of the voids screen, on this adapter's index, settings and geography.
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

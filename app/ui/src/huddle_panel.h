// The huddle board: the open queue by urgency, colour-coded, filterable, searchable, keyboard driven.
// Thousands of rows stay smooth: the filter runs only when it or the data changes, and only visible rows
// are submitted (ImGuiListClipper).
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "panel.h"

namespace berth::ui {

class HuddlePanel : public Panel {
 public:
  PanelId id() const override { return PanelId::kHuddle; }
  void Draw(PanelContext& ctx) override;
  void OnShow() override { focus_list_ = true; }
  void Clear() override;

  // What the panel holds now: its filter, the rows it shows and the selection (read by the benchmark too).
  QueueFilter& filter() { return filter_; }
  const std::vector<int>& visible() const { return visible_; }
  int selected() const { return selected_; }
  void FocusSearch() { focus_search_ = true; }

 private:
  void Refilter(const QueueData& data);
  void DrawFilters(PanelContext& ctx, const QueueData& data);
  void DrawTable(PanelContext& ctx, const QueueData& data);
  void HandleKeys(PanelContext& ctx, const QueueData& data);

  std::unordered_map<std::string, std::string> proposed_;  // referral id -> what the plan proposes
  std::unordered_map<std::string, std::string> unplaced_;  // referral id -> why the plan placed nobody
  int proposed_version_ = -1;
  QueueFilter filter_;
  QueueFilter applied_;
  int applied_version_ = -1;
  std::vector<int> visible_;
  QueueFacets facets_;
  int past_ = 0, handbacks_ = 0;  // counted among visible_ when it is rebuilt
  int selected_ = 0;              // index into visible_
  std::string selected_id_;       // kept across reloads and filter changes
  bool scroll_to_selected_ = false;
  bool focus_search_ = false;
  bool focus_list_ = false;
};

}  // namespace berth::ui

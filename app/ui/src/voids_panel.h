// Voids and utilisation: what empty block beds cost (by bed, and by week as a chart), block utilisation by
// home, and time to source (discharge-ready date to placement start). Charts are drawn with ImDrawList.
// Tabs beside the voids list show app/core's commissioning reports (commissioning.h) as tables: why each
// void stays empty, unmet demand, spend by contract type, provider responses; the same figures as `berth
// report why-voids|unmet|spend|responses`. Left and Right move between the tabs.
// Ctrl+E exports the voids and utilisation tables to CSV files (written on the store's worker thread).
#pragma once

#include <string>

#include "panel.h"

namespace berth::ui {

class VoidsPanel : public Panel {
 public:
  PanelId id() const override { return PanelId::kVoids; }
  void Draw(PanelContext& ctx) override;

  // Where Ctrl+E writes: DIR/berth-voids-DATE.csv and DIR/berth-utilisation-DATE.csv.
  void set_export_dir(std::string dir) { export_dir_ = std::move(dir); }
  // The tab shown: 0 voids and utilisation, 1 why voids, 2 unmet demand, 3 spend, 4 provider responses.
  int tab() const { return tab_; }
  static constexpr int kTabs = 5;

 private:
  void Export(PanelContext& ctx, const VoidsData& data);
  std::string export_dir_;
  int tab_ = 0;
  bool select_tab_ = false;  // a key moved the tab: select it in the tab bar this frame
};

// A bar chart in the space of one item: one bar per value, labels under every `label_every`th bar.
void BarChart(const char* id, const std::vector<double>& values, const std::vector<std::string>& labels,
              float height, unsigned int colour, const char* unit_prefix);

}  // namespace berth::ui

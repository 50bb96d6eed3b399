// The capacity board: beds by district and by home (vacant / held / occupied / unavailable), homes closed to
// admissions, homecare hours by zone and time band. A bed's status and a home's admissions can be changed in
// place (kBedStatus and kAdmissions commands, carried out by app/core's workflow through the shell).
#pragma once

#include <map>
#include <string>
#include <utility>

#include "panel.h"

namespace berth::ui {

class CapacityPanel : public Panel {
 public:
  PanelId id() const override { return PanelId::kCapacity; }
  void Draw(PanelContext& ctx) override;
  void Clear() override;

  int selected_home() const { return home_; }
  int selected_bed() const { return bed_; }

 private:
  void DrawImport(PanelContext& ctx);
  void DrawDistricts(const CapacityData& data);
  void DrawHomes(PanelContext& ctx, const CapacityData& data);
  void DrawBeds(PanelContext& ctx, const HomeView& home);
  void DrawHomecare(PanelContext& ctx, const CapacityData& data);
  void DrawHomecareRows(PanelContext& ctx, const CapacityData& data);
  void SetBedStatus(PanelContext& ctx, const HomeView& home, const BedView& bed, BedStatus status);
  void FocusBed(const CapacityData& data, const std::string& bed_id);

  int home_ = 0;
  int bed_ = 0;
  bool scroll_home_ = false;
  int close_reason_ = 1;  // ClosureReason::kOutbreak
  std::string focused_bed_;
  int tab_ = 0;
  int import_kind_ = 0;       // bed, homecare, cqc
  std::string import_path_;   // as typed, or the dropped file's
  std::string dropped_path_;  // the last path the shell put in the workspace
  // The homecare rows being edited: id -> (hours, double-up), until saved.
  std::map<std::string, std::pair<double, bool>> hours_edits_;
};

}  // namespace berth::ui

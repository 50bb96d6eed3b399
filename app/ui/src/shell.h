// The frame around every panel: the unlock screen while locked; once unlocked, the navigation, the current
// panel, the status bar (store, lock, sync, background job with cancel) and the help overlay. Owns the
// command queue: panels push commands (commands.h), the shell handles them between frames and posts store
// work to the session's worker thread, whose results update the view models (Workspace). Independent of GLFW
// and OpenGL, so tests drive it with a bare ImGui context.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "commands.h"
#include "matching_adapter.h"
#include "panel.h"
#include "session.h"
#include "unlock_panel.h"

namespace berth::ui {

class HuddlePanel;
class ReferralPanel;
class MatchPanel;
class CapacityPanel;
class VoidsPanel;

class Shell {
 public:
  Shell(std::string store_dir, std::string actor);
  ~Shell();

  // Draws one frame. `idle_seconds`: time since the user's last input, for auto-lock.
  void Draw(double idle_seconds);

  WindowSession& session() { return session_; }
  void set_auto_lock_seconds(double s) { auto_lock_seconds_ = s; }
  double auto_lock_seconds() const { return auto_lock_seconds_; }
  // The panel to show (a `--panel` slug); unknown slugs are ignored.
  void set_panel(const std::string& slug);
  PanelId current_panel() const { return current_; }
  // The referral to select once the queue has loaded (instead of the most urgent one).
  void set_initial_referral(std::string id) { initial_referral_ = std::move(id); }
  // The display scale (1 or 2): the theme's sizes are multiplied by it.
  void set_ui_scale(float s) { ui_scale_ = s; }

  // True once unlocked, loaded, and nothing is queued: what a screenshot waits for.
  bool settled();
  // Tests and screenshots: wait for the worker, then run its results (no frame is drawn).
  void Settle();

  const Workspace& workspace() const { return ws_; }
  // The status bar's sync part: what waits to be sent, the last sync, what the background sync is doing.
  std::string SyncStatusLine() const;
  CommandQueue& commands() { return commands_; }
  // Files dropped on the window (GLFW's drop callback): the first is put in the capacity board's import
  // field, which is shown; nothing is imported until the broker says which kind of file it is.
  void DropFiles(const std::vector<std::string>& paths);
  HuddlePanel& huddle();
  ReferralPanel& referral();
  MatchPanel& match();
  CapacityPanel& capacity();
  VoidsPanel& voids();
  bool help_open() const { return help_open_; }

 private:
  void DrawWorkspace();
  void DrawNav();
  void DrawStatusBar();
  void DrawHelp();
  void HandleShortcuts();
  void HandleCommands();
  void Handle(Command& c);
  // One handler per command (commands.h).
  void On(const cmd::ShowPanel& c);
  void On(const cmd::SelectReferral& c);
  void On(const cmd::EditReferral& c);
  void On(const cmd::ShowBed& c);
  void On(const cmd::Refresh&);
  void On(const cmd::Lock&);
  void On(const cmd::CancelJob&);
  void On(const cmd::SyncNow&);
  void On(const cmd::SaveReferral& c);
  void On(const cmd::SetBedStatus& c);
  void On(const cmd::SetAdmissions& c);
  void On(const cmd::SaveSetting& c);
  void On(const cmd::ExportCsv& c);
  void On(const cmd::AddNote& c);
  void On(const cmd::ReminderDone& c);
  void On(const cmd::Enroll& c);
  void On(const cmd::ImportFile& c);
  void On(const cmd::SetHomecareHours& c);
  void On(const cmd::ResolveConflict& c);
  void On(const cmd::AcceptPlan& c);
  // The workflow commands (WorkflowCommand) run through the match screen on the worker.
  template <class C>
  requires std::is_constructible_v<WorkflowCommand, const C&>
  void On(const C& c) { RunWorkflow(c); }
  void RunWorkflow(WorkflowCommand c);
  void CapacitySaved(const Status& st, const std::string& message);   // after a bed status or admissions
  void CaseLogWritten(const Status& st, const std::string& message);  // after a note or reminder
  void Show(PanelId p);
  void ReloadAll();
  void ReloadQueue();
  void ReloadCapacity();
  void ReloadVoids();
  void ReloadSettings();
  void ReloadDetail(const std::string& id);
  // The case panel's data; only while that panel shows the referral (reading it is an audited view).
  void ReloadCase(const std::string& id);
  void ReloadMatch(const std::string& id);
  void ReloadPlan();
  void ReloadSync();
  void SyncNow();
  void HandleSyncEvents();  // what the background sync finished since the last frame
  void SupplyChanged();     // after a write: the match and plan are redone on fresh supply
  void ApplySettings();
  void Report(const Status& st, const std::string& ok_message);
  void ClearPersonalData();

  WindowSession session_;
  UnlockPanel unlock_;
  CommandQueue commands_;
  Workspace ws_;
  // Used only by tasks on the store's worker thread; replaced (never shared) after a lock.
  std::unique_ptr<MatchingAdapter> matching_ = std::make_unique<MatchingAdapter>();
  std::array<std::unique_ptr<Panel>, static_cast<size_t>(PanelId::kCount)> panels_;
  PanelId current_ = PanelId::kHuddle;
  double auto_lock_seconds_ = 600;  // ten minutes, the council laptop standard
  float ui_scale_ = 1.0f;
  int loaded_generation_ = 0;
  int queue_version_ = 0;
  int plan_version_ = 0;
  std::string initial_referral_;
  bool help_open_ = false;
  bool had_data_ = false;
  std::string applied_theme_;
  std::string applied_font_scale_;
};

}  // namespace berth::ui

// The shell of the window (shell.h): owns the session and the panels, routes shortcuts and commands, and
// reloads each panel's data on the store worker.
// Sections, in order: panels; frame (Draw, nav, status bar, help); commands (one On() each) and workflow
// actions; sync; reloads.

#include "shell.h"

#include <fmt/format.h>
#include <imgui.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>

#include "berth/core/case_log.h"
#include "berth/core/conflicts.h"
#include "berth/core/csv.h"
#include "berth/core/geo.h"
#include "berth/core/importers.h"
#include "berth/core/workflow.h"
#include "berth/schema/repository.h"
#include "berth/sync/client.h"
#include "capacity_panel.h"
#include "case_panel.h"
#include "huddle_panel.h"
#include "keys.h"
#include "match_panel.h"
#include "plan_panel.h"
#include "referral_panel.h"
#include "settings_panel.h"
#include "sync_panel.h"
#include "theme.h"
#include "voids_panel.h"

namespace berth::ui {

Shell::Shell(std::string store_dir, std::string actor) : session_(std::move(store_dir), std::move(actor)) {
  panels_[static_cast<size_t>(PanelId::kHuddle)] = std::make_unique<HuddlePanel>();
  panels_[static_cast<size_t>(PanelId::kReferral)] = std::make_unique<ReferralPanel>();
  panels_[static_cast<size_t>(PanelId::kMatch)] = std::make_unique<MatchPanel>();
  panels_[static_cast<size_t>(PanelId::kPlan)] = std::make_unique<PlanPanel>();
  panels_[static_cast<size_t>(PanelId::kCapacity)] = std::make_unique<CapacityPanel>();
  panels_[static_cast<size_t>(PanelId::kVoids)] = std::make_unique<VoidsPanel>();
  panels_[static_cast<size_t>(PanelId::kSync)] = std::make_unique<SyncPanel>();
  panels_[static_cast<size_t>(PanelId::kSettings)] = std::make_unique<SettingsPanel>();
  panels_[static_cast<size_t>(PanelId::kCase)] = std::make_unique<CasePanel>();
}

// The worker's continuations capture `this`: stop it before the panels and view models go.
Shell::~Shell() {
  session_.worker().Stop();
}

HuddlePanel& Shell::huddle() {
  return static_cast<HuddlePanel&>(*panels_[static_cast<size_t>(PanelId::kHuddle)]);
}
ReferralPanel& Shell::referral() {
  return static_cast<ReferralPanel&>(*panels_[static_cast<size_t>(PanelId::kReferral)]);
}
MatchPanel& Shell::match() {
  return static_cast<MatchPanel&>(*panels_[static_cast<size_t>(PanelId::kMatch)]);
}
CapacityPanel& Shell::capacity() {
  return static_cast<CapacityPanel&>(*panels_[static_cast<size_t>(PanelId::kCapacity)]);
}

VoidsPanel& Shell::voids() {
  return static_cast<VoidsPanel&>(*panels_[static_cast<size_t>(PanelId::kVoids)]);
}

void Shell::set_panel(const std::string& slug) {
  PanelId p;
  if (PanelFromSlug(slug, &p)) current_ = p;
}

bool Shell::settled() {
  return session_.unlocked() && loaded_generation_ == session_.generation() && session_.worker().idle() &&
         commands_.empty();
}

void Shell::Settle() {
  for (int i = 0; i < 100; ++i) {
    session_.worker().WaitIdle();
    if (session_.worker().Pump() == 0 && commands_.empty()) return;
    HandleCommands();
  }
}

void Shell::Draw(double idle_seconds) {
  session_.Poll();
  if (session_.unlocked() && idle_seconds >= auto_lock_seconds_) session_.Lock();
  if (!session_.unlocked()) {
    ImGui::GetIO().ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    if (had_data_) ClearPersonalData();
    unlock_.Draw(session_);
    return;
  }
  had_data_ = true;
  if (loaded_generation_ != session_.generation()) {
    loaded_generation_ = session_.generation();
    ReloadAll();
  }
  session_.worker().Pump();
  HandleSyncEvents();
  HandleCommands();  // what the results asked for (e.g. selecting the most urgent referral) before drawing
  HandleShortcuts();
  DrawWorkspace();
  DrawHelp();
  DrawRecoveryKeyNotice(session_);
  HandleCommands();
  // ImGui's own arrow-key navigation only where it helps (the forms: combos, checkboxes). On the lists the
  // arrows and Enter are Berth's shortcuts, and two cursors answering the same keys would disagree.
  ImGuiIO& io = ImGui::GetIO();
  const bool form = current_ == PanelId::kReferral || current_ == PanelId::kSettings;
  if (form) {
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
  } else {
    io.ConfigFlags &= ~ImGuiConfigFlags_NavEnableKeyboard;
  }
}

void Shell::ClearPersonalData() {
  ws_ = Workspace{};
  matching_ = std::make_unique<MatchingAdapter>();  // the worker is stopped: nothing else touches it
  for (auto& p : panels_) p->Clear();
  had_data_ = false;
  help_open_ = false;
  loaded_generation_ = 0;
}

void Shell::DropFiles(const std::vector<std::string>& paths) {
  if (paths.empty() || !session_.unlocked()) return;
  ws_.import_path = paths.front();
  ws_.import_report.clear();
  Show(PanelId::kCapacity);
}

void Shell::Show(PanelId p) {
  current_ = p;
  panels_[static_cast<size_t>(p)]->OnShow();
  if (p == PanelId::kCase) ReloadCase(ws_.selected_referral);
}

void Shell::HandleShortcuts() {
  ImGuiIO& io = ImGui::GetIO();
  for (int i = 0; i < static_cast<int>(PanelId::kCount); ++i) {
    if (CtrlPressed(keys::k0 + 1 + i)) Show(static_cast<PanelId>(i));
  }
  if (CtrlPressed(keys::kL)) commands_.Push(cmd::Lock{});
  if (CtrlPressed(keys::kY)) commands_.Push(cmd::SyncNow{});
  if (CtrlPressed(keys::kN)) commands_.Push(cmd::EditReferral{});
  if (ImGui::IsKeyPressed(keys::kF1, false)) help_open_ = !help_open_;
  if (ImGui::IsKeyPressed(keys::kF5, false)) commands_.Push(cmd::Refresh{});
  if (help_open_ && ImGui::IsKeyPressed(keys::kEscape, false)) help_open_ = false;
  if (!io.WantTextInput && KeyPressed(keys::kSlash)) {
    Show(PanelId::kHuddle);
    huddle().FocusSearch();
  }
  if (io.KeyCtrl && io.KeyShift && ImGui::IsKeyPressed(keys::kX, false)) commands_.Push(cmd::CancelJob{});
}

void Shell::DrawWorkspace() {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->WorkPos);
  ImGui::SetNextWindowSize(vp->WorkSize);
  ImGui::Begin("Workspace", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus);
  const float status_h = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().ItemSpacing.y;
  ImGui::BeginChild("nav", ImVec2(ImGui::GetFontSize() * 12, -status_h), true);
  DrawNav();
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("panel", ImVec2(0, -status_h), true);
  ImGui::TextUnformatted(PanelName(current_));
  ImGui::Separator();
  PanelContext ctx{ws_, commands_, ImGui::GetIO().WantTextInput && !help_open_};
  if (help_open_) ctx.typing = true;  // the overlay has the keyboard
  panels_[static_cast<size_t>(current_)]->Draw(ctx);
  ImGui::EndChild();
  DrawStatusBar();
  ImGui::End();
}

void Shell::DrawNav() {
  ImGui::TextDisabled("Berth");
  ImGui::Spacing();
  for (int i = 0; i < static_cast<int>(PanelId::kCount); ++i) {
    const auto p = static_cast<PanelId>(i);
    // The current panel is marked "> " as well as highlighted, and its name stops short of its shortcut.
    ImGui::PushID(i);
    if (SelectableFit(PanelName(p), current_ == p, 0, ImGui::GetFrameHeight(),
                      ImGui::GetContentRegionAvail().x - ImGui::GetFontSize() * 2.4f)) {
      Show(p);
    }
    ImGui::PopID();
    ImGui::SameLine(ImGui::GetContentRegionAvail().x - ImGui::GetFontSize() * 2.2f);
    ImGui::TextDisabled("^%d", i + 1);
  }
  ImGui::Spacing();
  ImGui::Separator();
  if (ImGui::Selectable("New referral")) commands_.Push(cmd::EditReferral{});
  ImGui::SameLine(ImGui::GetContentRegionAvail().x - ImGui::GetFontSize() * 2.2f);
  ImGui::TextDisabled("^N");
  if (ImGui::Selectable("Keyboard help")) help_open_ = true;
  ImGui::SameLine(ImGui::GetContentRegionAvail().x - ImGui::GetFontSize() * 2.2f);
  ImGui::TextDisabled("F1");
  if (ImGui::Selectable("Lock")) commands_.Push(cmd::Lock{});
  ImGui::SameLine(ImGui::GetContentRegionAvail().x - ImGui::GetFontSize() * 2.2f);
  ImGui::TextDisabled("^L");
}

void Shell::DrawStatusBar() {
  ImGui::Separator();
  ImGui::TextDisabled("Unlocked");
  ImGui::SameLine();
  ImGui::TextDisabled("| store %s", session_.store_dir().c_str());
  ImGui::SameLine();
  ImGui::TextDisabled("| %s", SyncStatusLine().c_str());
  const sync::AutoSyncStatus bg = session_.auto_sync().status();
  if (bg.phase == sync::AutoSyncPhase::kSyncing || bg.phase == sync::AutoSyncPhase::kApplyingSpool) {
    ImGui::SameLine();
    ImGui::ProgressBar(bg.fraction < 0 ? 0.0f : bg.fraction, ImVec2(ImGui::GetFontSize() * 6, 0),
                       bg.phase == sync::AutoSyncPhase::kApplyingSpool ? "overnight" : bg.step.c_str());
  }
  int open_conflicts = 0;
  for (const ConflictView& c : ws_.sync.conflicts) open_conflicts += c.resolved ? 0 : 1;
  if (open_conflicts > 0) {
    ImGui::SameLine();
    ImGui::TextColored(ErrorTextColour(), "| %d conflicts (Ctrl+7)", open_conflicts);
  }
  const std::string job = session_.worker().current_label();
  if (!job.empty()) {
    ImGui::SameLine();
    ImGui::TextUnformatted("|");
    ImGui::SameLine();
    const float f = session_.worker().progress();
    ImGui::ProgressBar(f < 0 ? 0.0f : f, ImVec2(ImGui::GetFontSize() * 8, 0), job.c_str());
    ImGui::SameLine();
    if (ImGui::SmallButton("Cancel (Ctrl+Shift+X)")) commands_.Push(cmd::CancelJob{});
  }
  if (!ws_.last_message.empty()) {
    ImGui::SameLine();
    ImGui::TextUnformatted("|");
    ImGui::SameLine();
    ImGui::TextColored(ws_.last_message_is_error ? ErrorTextColour() : OkTextColour(), "%s",
                       ws_.last_message.c_str());
  }
}

void Shell::DrawHelp() {
  if (!help_open_) return;
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(
      ImVec2(vp->WorkPos.x + vp->WorkSize.x * 0.5f, vp->WorkPos.y + vp->WorkSize.y * 0.5f), ImGuiCond_Always,
      ImVec2(0.5f, 0.5f));
  ImGui::SetNextWindowFocus();
  ImGui::Begin(
      "Keyboard shortcuts (F1 or Esc to close)", &help_open_,
      ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoCollapse);
  static const char* kShortcuts[][2] = {
      {"Ctrl+1 .. Ctrl+9", "Huddle board, Referral, Match, Plan, Capacity, Voids, Sync, Settings, Case log"},
      {"/", "Search the queue by name or NHS number (Enter returns to the list)"},
      {"Up / Down, J / K", "Move through the list (PgUp, PgDn, Home, End too)"},
      {"Enter", "Huddle board: match the selected referral.  Match: hold the selected option"},
      {"E", "Huddle board: open the selected referral in the form"},
      {"Ctrl+N", "New referral"},
      {"Ctrl+S", "Referral form: save"},
      {"H / O / C", "Match view: hold, offer to the provider, confirm the placement"},
      {"Space, then O", "Match view: choose several options, then send the package to all of them"},
      {"X", "Match view: show or hide the excluded options and their reasons"},
      {"A / Shift+A", "Huddle plan: accept the selected allocation / accept all"},
      {"V / U / O / R",
       "Capacity board: mark the selected bed vacant / unavailable / occupied; release its hold"},
      {"Ctrl+E", "Voids: export the voids and utilisation reports to CSV"},
      {"Left / Right", "Voids: voids, why voids, unmet demand, spend, provider responses"},
      {"F5", "Reload everything from the store"},
      {"Ctrl+Shift+X", "Cancel the running background job"},
      {"Ctrl+Y", "Sync with the hub now (in the background)"},
      {"Ctrl+L", "Lock now (keys wiped; the store closes)"},
      {"Tab / Shift+Tab", "Move between fields; Space toggles a checkbox"},
      {"F1", "This help"},
  };
  if (ImGui::BeginTable("shortcuts", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH)) {
    for (const auto& s : kShortcuts) {
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(s[0]);
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(s[1]);
    }
    ImGui::EndTable();
  }
  ImGui::End();
}

void Shell::HandleCommands() {
  for (Command& c : commands_.Drain()) Handle(c);
}

void Shell::Report(const Status& st, const std::string& ok_message) {
  ws_.last_message_is_error = !st.ok();
  ws_.last_message = st.ok() ? ok_message : st.message();
}

void Shell::Handle(Command& c) {
  std::visit([this](auto& x) { On(x); }, c);
}

void Shell::On(const cmd::ShowPanel& c) {
  Show(c.panel);
}

void Shell::On(const cmd::SelectReferral& c) {
  ws_.selected_referral = c.referral_id;
  ReloadDetail(c.referral_id);
  ReloadMatch(c.referral_id);
  if (current_ == PanelId::kCase) ReloadCase(c.referral_id);
  match().OnReferralSelected(c.referral_id);
}

void Shell::On(const cmd::EditReferral& c) {
  referral().Open(c.referral_id);
  if (!c.referral_id.empty()) {
    ws_.selected_referral = c.referral_id;
    ReloadDetail(c.referral_id);
  }
  Show(PanelId::kReferral);
}

void Shell::On(const cmd::ShowBed& c) {
  ws_.focus_bed = c.bed_id;
  Show(PanelId::kCapacity);
}

void Shell::On(const cmd::Refresh&) {
  ReloadAll();
}

void Shell::On(const cmd::Lock&) {
  session_.Lock();
}

void Shell::On(const cmd::CancelJob&) {
  session_.worker().CancelCurrent();
  session_.auto_sync().Cancel();
}

void Shell::On(const cmd::SyncNow&) {
  SyncNow();
}

void Shell::On(const cmd::SaveReferral& c) {
  session_.worker().Post("Saving the referral", [this, c](Store& s, JobProgress&) {
    auto geo = core::DefaultGeography();
    auto saved = core::SaveReferral(s, geo.ok() ? *geo : nullptr, c.referral, core::WorkflowTime::Now());
    return [this, saved = std::move(saved), is_new = c.is_new] {
      Report(saved.status(), is_new ? "Referral created" : "Referral saved");
      if (saved.ok()) {
        referral().OnSaved(*saved);
        ws_.selected_referral = *saved;
        ReloadQueue();
        ReloadDetail(*saved);
        SupplyChanged();
      }
    };
  });
}

void Shell::CapacitySaved(const Status& st, const std::string& message) {
  Report(st, message.empty() ? "Saved" : message);
  ReloadCapacity();
  SupplyChanged();  // before the voids: their commissioning reports read the matching adapter's index
  ReloadVoids();
}

void Shell::On(const cmd::SetBedStatus& c) {
  session_.worker().Post("Saving", [this, c](Store& s, JobProgress&) {
    auto to = FromString<BedStatus>(c.status);
    auto why = FromString<UnavailableReason>(c.reason);
    const Status st = !to.ok()    ? to.status()
                      : !why.ok() ? why.status()
                                  : core::SetBedStatus(s, c.bed_id, *to, *why, core::WorkflowTime::Now());
    return [this, st, message = c.message] { CapacitySaved(st, message); };
  });
}

void Shell::On(const cmd::SetAdmissions& c) {
  session_.worker().Post("Saving", [this, c](Store& s, JobProgress&) {
    auto why = FromString<ClosureReason>(c.reason);
    const Status st = !why.ok()
                          ? why.status()
                          : core::SetAdmissions(s, c.provider_id, std::nullopt,
                                                c.close ? AdmissionsStatus::kClosed : AdmissionsStatus::kOpen,
                                                *why, "", core::WorkflowTime::Now());
    return [this, st, message = c.message] { CapacitySaved(st, message); };
  });
}

void Shell::On(const cmd::SaveSetting& c) {
  session_.worker().Post("Saving a setting", [this, c](Store& s, JobProgress&) {
    // The matcher's settings are validated and stored by app/core; the UI's own are plain keys.
    Status st = c.matcher ? core::SetMatchSetting(s, c.key, c.value) : s.SetSetting(c.key, c.value);
    return [this, st, matcher = c.matcher] {
      Report(st, "Setting saved");
      ReloadSettings();
      if (matcher) SupplyChanged();
    };
  });
}

void Shell::On(const cmd::ExportCsv& c) {
  session_.worker().Post("Exporting CSV", [this, c](Store&, JobProgress&) {
    std::ofstream out(c.path, std::ios::binary | std::ios::trunc);
    out << c.csv;
    out.close();
    Status st = out ? Status::Ok() : IoError("could not write " + c.path);
    return [this, st, path = c.path] { Report(st, "Exported " + path); };
  });
}

void Shell::CaseLogWritten(const Status& st, const std::string& message) {
  Report(st, message);
  ReloadQueue();  // a reminder due shows on the board
  if (!ws_.selected_referral.empty()) {
    ReloadDetail(ws_.selected_referral);
    ReloadCase(ws_.selected_referral);
  }
}

void Shell::On(const cmd::AddNote& c) {
  session_.worker().Post("Writing in the case log", [this, c](Store& s, JobProgress&) {
    auto kind = FromString<NoteKind>(c.kind);
    const Status st =
        kind.ok()
            ? core::AddCaseNote(s, c.referral_id, *kind, c.text, c.due, core::WorkflowTime::Now()).status()
            : kind.status();
    return [this, st, kind = c.kind] { CaseLogWritten(st, "Added the " + kind + " to the case log"); };
  });
}

void Shell::On(const cmd::ReminderDone& c) {
  session_.worker().Post("Writing in the case log", [this, c](Store& s, JobProgress&) {
    const Status st = core::CompleteReminder(s, c.reminder_id, core::WorkflowTime::Now());
    return [this, st] { CaseLogWritten(st, "Reminder done"); };
  });
}

void Shell::On(const cmd::Enroll& c) {
  session_.worker().Post("Enrolling with the hub", [this, c](Store& s, JobProgress&) {
    // The same enrolment as `berth enroll` (berth/sync/client.h): refused if already enrolled.
    auto r =
        c.hub_url.empty() || c.code.empty()
            ? Result<sync::EnrollResult>(BadInput("enrolling needs the hub's address and a one-time code"))
            : sync::Enroll(s, c.hub_url, c.code);
    return [this, r = std::move(r)] {
      Report(r.status(), r.ok() ? "Enrolled as " + r->role + " '" + r->name + "' (scope " + r->scope +
                                      "); hub key fingerprint " + r->hub_fingerprint +
                                      ": check it matches the one the hub administrator was shown"
                                : "");
      ReloadSync();
    };
  });
}

void Shell::On(const cmd::ImportFile& c) {
  ws_.import_path = c.path;
  session_.worker().Post("Importing " + c.what, [this, c](Store& s, JobProgress&) {
    // The same importers and the same row report as `berth import` (app/core/importers.h).
    auto run = [&]() -> Result<core::ImportReport> {
      BERTH_ASSIGN_OR_RETURN(std::string data, core::ReadInput(c.path));
      if (c.what == "bed") return core::ImportBedReturn(s, data);
      if (c.what == "homecare") return core::ImportHomecareReturn(s, data);
      if (c.what == "cqc") {
        BERTH_ASSIGN_OR_RETURN(const core::Geography* geo, core::DefaultGeography());
        return core::ImportCqcDirectory(s, *geo, data);
      }
      return BadInput("import what: bed, homecare or cqc (got '" + c.what + "')");
    };
    auto r = run();
    return [this, r = std::move(r)] {
      ws_.import_report = r.ok() ? r->Text() : std::string();
      Report(r.status(), "Imported: " + (r.ok() ? r->Text().substr(0, r->Text().find('\n')) : ""));
      if (r.ok()) {
        SupplyChanged();
        ReloadCapacity();
      }
    };
  });
}

void Shell::On(const cmd::SetHomecareHours& c) {
  session_.worker().Post("Saving homecare hours", [this, c](Store& s, JobProgress&) {
    char* end = nullptr;
    const double hours = std::strtod(c.hours.c_str(), &end);
    const Status st = c.hours.empty() || end == nullptr || *end != '\0'
                          ? BadInput("hours per week must be a number (got '" + c.hours + "')")
                          : core::SetHomecareHours(s, c.capacity_id, hours, c.double_up);
    return [this, st] {
      Report(st, "Homecare hours saved");
      if (st.ok()) SupplyChanged();
      ReloadCapacity();
    };
  });
}

void Shell::On(const cmd::ResolveConflict& c) {
  session_.worker().Post("Resolving a conflict", [this, c](Store& s, JobProgress&) {
    Status st = BadInput("no conflict " + c.conflict_id);
    char* end = nullptr;
    const long long id = std::strtoll(c.conflict_id.c_str(), &end, 10);
    if (!c.conflict_id.empty() && end != nullptr && *end == '\0') {
      st = core::ResolveConflict(s, id, c.note, core::WorkflowTime::Now());
    }
    return [this, st] {
      Report(st, "Conflict marked resolved; the note is in the case log");
      ReloadSync();
      if (!ws_.selected_referral.empty()) ReloadCase(ws_.selected_referral);
    };
  });
}

void Shell::On(const cmd::AcceptPlan& c) {
  // Accepting an allocation holds its bed (or offers its homecare package): a Hold of the plan's option.
  // With no referral, every allocation of the plan on screen, in queue order, each its own transition.
  bool found = false;
  for (const PlanAllocation& a : ws_.plan.allocations) {
    if (!c.referral_id.empty() && a.referral_id != c.referral_id) continue;
    found = true;
    RunWorkflow(cmd::Hold{
        .referral_id = a.referral_id,
        .provider_id = a.option.provider_id,
        .bed_id = a.option.bed_id,
        .label = a.option.provider_name + (a.option.room.empty() ? "" : ", room " + a.option.room)});
  }
  if (!found && !c.referral_id.empty())
    Report(BadInput("that referral has no allocation in the huddle plan"), "");
}

void Shell::RunWorkflow(WorkflowCommand c) {
  MatchingAdapter* matching = matching_.get();
  session_.worker().Post("Recording", [this, matching, c = std::move(c)](Store& s, JobProgress&) {
    std::string bed;
    auto r = matching->Act(s, c, &bed);
    return [this, r = std::move(r), bed] {
      if (!r.ok()) return Report(r.status(), "");
      Report(Status::Ok(), *r);
      if (!bed.empty()) ws_.focus_bed = bed;
      ReloadQueue();
      ReloadCapacity();
      if (!ws_.selected_referral.empty()) {
        ReloadDetail(ws_.selected_referral);
        if (current_ == PanelId::kCase || ws_.case_data.referral_id == ws_.selected_referral)
          ReloadCase(ws_.selected_referral);
      }
      SupplyChanged();  // before the voids: their commissioning reports read the matching adapter's index
      ReloadVoids();
    };
  });
}

void Shell::SupplyChanged() {
  MatchingAdapter* matching = matching_.get();
  session_.worker().Post("Refreshing supply", [matching](Store&, JobProgress&) {
    matching->Invalidate();
    return StoreWorker::Continuation();
  });
  if (!ws_.selected_referral.empty()) ReloadMatch(ws_.selected_referral);
  ReloadPlan();
}

void Shell::ReloadMatch(const std::string& id) {
  if (id.empty()) return;
  MatchingAdapter* matching = matching_.get();
  session_.worker().Post("Matching", [this, matching, id](Store& s, JobProgress&) {
    auto r = matching->Match(s, id);
    return [this, id, r = std::move(r)]() mutable {
      if (ws_.selected_referral != id) return;
      if (!r.ok()) return Report(r.status(), "");
      ws_.match = std::move(r).value();
    };
  });
}

void Shell::ReloadSync() {
  session_.worker().Post("Reading sync state", [this](Store& s, JobProgress&) {
    auto r = LoadSync(s);
    return [this, r = std::move(r)]() mutable {
      if (!r.ok()) return Report(r.status(), "");
      ws_.sync = std::move(r).value();
    };
  });
}

void Shell::SyncNow() {
  if (!ws_.sync.enrolled) {
    Report(UsageError("this device is not enrolled with a hub (berth enroll URL CODE)"), "");
    return;
  }
  // The background sync runs it on its own thread and connection; Ctrl+Shift+X cancels it at once.
  session_.auto_sync().SyncNow();
  Report(Status::Ok(), "Syncing with the hub in the background");
}

void Shell::HandleSyncEvents() {
  for (sync::AutoSyncEvent& e : session_.auto_sync().TakeEvents()) {
    switch (e.kind) {
      case sync::AutoSyncEvent::Kind::kSynced: {
        const sync::SyncSummary& sum = e.summary;
        ws_.last_sync = fmt::format("sent {} ({} applied, {} rejected), received {} rows, {} new conflicts",
                                    sum.pushed, sum.applied, sum.rejected, sum.pulled_rows, sum.conflicts);
        if (sum.conflicts > 0)
          Report(Status::Ok(), fmt::format("Sync: {} new conflicts (Ctrl+7)", sum.conflicts));
        // Only a sync that changed something here needs the views read again.
        if (sum.pulled_rows > 0 || sum.rejected > 0 || sum.snapshot) {
          ReloadAll();
        } else {
          ReloadSync();
        }
        break;
      }
      case sync::AutoSyncEvent::Kind::kSpoolApplied: {
        const sync::SpoolApplySummary& night = e.spool;
        ws_.last_sync = fmt::format("while locked: received {} rows, {} changes settled, {} conflicts",
                                    night.rows, night.acknowledged, night.conflicts);
        ReloadAll();
        if (night.conflicts > 0) {
          // What the hub decided overnight is the first thing to see.
          Report(Status::Ok(), fmt::format("While this laptop was locked the hub refused {} claims: see the "
                                           "conflicts below",
                                           night.conflicts));
          Show(PanelId::kSync);
        } else {
          Report(Status::Ok(), "Applied the sync made while locked: " + ws_.last_sync);
        }
        break;
      }
      case sync::AutoSyncEvent::Kind::kFailed:
        ws_.last_sync = "failed: " + e.status.message();  // the status bar says it; no pop-up for offline
        break;
      case sync::AutoSyncEvent::Kind::kRevoked:
        session_.LockBecause(e.status.message());
        return;
    }
  }
}

namespace {
std::string ClockTime(int64_t ms) {
  const time_t t = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  localtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M", &tm);
  return buf;
}
}  // namespace

std::string Shell::SyncStatusLine() const {
  if (!ws_.sync.loaded) return "sync: ...";
  if (!ws_.sync.enrolled) return "sync: not enrolled with a hub";
  const sync::AutoSyncStatus s = session_.auto_sync().status();
  const int64_t waiting = s.pending >= 0 ? s.pending : ws_.sync.pending;
  std::string line = fmt::format("sync: {} to send", waiting);
  if (s.last_ok_ms > 0) line += ", last " + ClockTime(s.last_ok_ms);
  switch (s.phase) {
    case sync::AutoSyncPhase::kApplyingSpool:
      line += ", applying what arrived while locked";
      break;
    case sync::AutoSyncPhase::kSyncing:
      line += ", syncing (" + s.step + ")";
      break;
    case sync::AutoSyncPhase::kWaiting:
      if (s.offline) line += ", hub unreachable: next try " + ClockTime(s.next_due_ms);
      break;
    case sync::AutoSyncPhase::kCourier:
    case sync::AutoSyncPhase::kStopped:
      break;
  }
  if (s.phase != sync::AutoSyncPhase::kSyncing && !ws_.last_sync.empty()) {
    line += " (" + ws_.last_sync.substr(0, 60) + ")";
  }
  return line;
}

void Shell::ReloadPlan() {
  MatchingAdapter* matching = matching_.get();
  session_.worker().Post("Planning the huddle", [this, matching](Store& s, JobProgress& progress) {
    if (progress.cancelled()) return StoreWorker::Continuation();
    auto r = matching->Plan(s);
    return StoreWorker::Continuation([this, r = std::move(r)]() mutable {
      if (!r.ok()) return Report(r.status(), "");
      ws_.plan = std::move(r).value();
      ws_.plan.version = ++plan_version_;
    });
  });
}

void Shell::ReloadAll() {
  MatchingAdapter* matching = matching_.get();
  session_.worker().Post("Reading supply", [matching](Store&, JobProgress&) {
    matching->Invalidate();
    return StoreWorker::Continuation();
  });
  ReloadSettings();
  ReloadQueue();
  ReloadCapacity();
  ReloadVoids();
  if (!ws_.selected_referral.empty()) {
    ReloadDetail(ws_.selected_referral);
    ReloadMatch(ws_.selected_referral);
  }
  ReloadPlan();
  ReloadSync();
}

void Shell::ReloadQueue() {
  session_.worker().Post("Loading the queue", [this](Store& s, JobProgress&) {
    auto r = LoadQueue(s);
    return [this, r = std::move(r)]() mutable {
      if (!r.ok()) return Report(r.status(), "");
      ws_.queue = std::move(r).value();
      ws_.queue.version = ++queue_version_;
      // With nothing chosen yet, the most urgent referral is the one the match view and plan start from.
      if (ws_.selected_referral.empty() && !initial_referral_.empty()) {
        commands_.Push(cmd::SelectReferral{initial_referral_});
        initial_referral_.clear();
      } else if (ws_.selected_referral.empty() && !ws_.queue.rows.empty()) {
        for (const QueueRow& row : ws_.queue.rows) {
          if (IsOpen(row.status)) {
            commands_.Push(cmd::SelectReferral{row.id});
            break;
          }
        }
      }
    };
  });
}

void Shell::ReloadCapacity() {
  session_.worker().Post("Loading capacity", [this](Store& s, JobProgress&) {
    auto r = LoadCapacity(s);
    return [this, r = std::move(r)]() mutable {
      if (!r.ok()) return Report(r.status(), "");
      ws_.capacity = std::move(r).value();
    };
  });
}

void Shell::ReloadVoids() {
  MatchingAdapter* matching = matching_.get();
  session_.worker().Post("Loading voids", [this, matching](Store& s, JobProgress&) {
    auto r = LoadVoids(s);
    if (r.ok() && r->available) {
      auto c = matching->Commissioning(s);
      if (c.ok()) {
        r->commissioning = std::move(c).value();
      } else {
        r = c.status();
      }
    }
    return [this, r = std::move(r)]() mutable {
      if (!r.ok()) return Report(r.status(), "");
      ws_.voids = std::move(r).value();
    };
  });
}

void Shell::ReloadSettings() {
  session_.worker().Post("Loading settings", [this](Store& s, JobProgress&) {
    auto r = LoadSettings(s);
    return [this, r = std::move(r)]() mutable {
      if (!r.ok()) return Report(r.status(), "");
      ws_.settings = std::move(r).value();
      ApplySettings();
    };
  });
}

void Shell::ReloadDetail(const std::string& id) {
  if (id.empty()) return;
  session_.worker().Post("Opening the referral", [this, id](Store& s, JobProgress&) {
    auto r = LoadReferralDetail(s, id);
    return [this, id, r = std::move(r)]() mutable {
      if (!r.ok()) return Report(r.status(), "");
      if (ws_.selected_referral != id) return;  // the user has moved on
      ws_.detail = std::move(r).value();
    };
  });
}

void Shell::ReloadCase(const std::string& id) {
  if (id.empty()) return;
  session_.worker().Post("Opening the case", [this, id](Store& s, JobProgress&) {
    auto r = LoadCase(s, id);
    return [this, id, r = std::move(r)]() mutable {
      if (!r.ok()) return Report(r.status(), "");
      if (ws_.selected_referral != id) return;  // the user has moved on
      ws_.case_data = std::move(r).value();
    };
  });
}

void Shell::ApplySettings() {
  const std::string minutes = ws_.settings.Get("ui.auto_lock_minutes", "10");
  const double m = std::atof(minutes.c_str());
  if (m > 0) auto_lock_seconds_ = m * 60;
  // Minutes between background syncs while the hub answers (1 to 240); unset keeps the default.
  const double every = std::atof(ws_.settings.Get("sync.interval_minutes", "0").c_str());
  if (every >= 1 && every <= 240) session_.SetSyncInterval(static_cast<int64_t>(every * 60 * 1000));
  const std::string theme = ws_.settings.Get("ui.theme", "light");
  const std::string font = ws_.settings.Get("ui.font_scale", "1.0");
  if (theme != applied_theme_) {
    ApplyTheme(ThemeFromName(theme), ui_scale_);
    applied_theme_ = theme;
  }
  // Reduced motion: nothing on screen moves by itself (ImGui's only such motion is the blinking caret).
  ImGui::GetIO().ConfigInputTextCursorBlink = ws_.settings.Get("ui.reduced_motion", "off") != "on";
  if (font != applied_font_scale_) {
    const float f = static_cast<float>(std::atof(font.c_str()));
    ImGui::GetIO().FontGlobalScale = f >= 0.5f && f <= 3.0f ? f : 1.0f;
    applied_font_scale_ = font;
  }
}

}  // namespace berth::ui

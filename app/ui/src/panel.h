// One class per panel (one file per view). Each frame the shell calls Draw() on the current panel with the
// view models and the event queue; a panel keeps only its own UI state (selection, filter, form buffers).
#pragma once

#include <string>
#include <string_view>

#include "berth/views/view_model.h"
#include "commands.h"

namespace berth::ui {

// The view models are app/views' (berth_views, shared with the CLI); the panels use them unqualified.
using namespace berth::views;  // NOLINT(google-build-using-namespace)

// Everything a panel may read. Built by the shell; the data comes from the store's worker thread.
struct Workspace {
  QueueData queue;
  CapacityData capacity;
  VoidsData voids;
  SettingsData settings;
  MatchData match;  // for selected_referral
  PlanData plan;
  SyncData sync;
  std::string last_sync;          // the last sync session's outcome, in words
  ReferralDetail detail;          // the referral open in the form (or selected), with its history
  CaseData case_data;             // the selected referral's case (offers, log, reminders), for the case panel
  std::string selected_referral;  // the focus of the match view, the form and the plan
  std::string focus_bed;          // the bed the capacity board should show (after a hold)
  std::string last_message;       // the last action's outcome, for the status bar
  std::string import_path;        // a file dropped on the window (or typed) to import on the capacity board
  std::string import_report;      // the last import's row report, as `berth import` prints it
  bool last_message_is_error = false;
};

struct PanelContext {
  const Workspace& data;
  CommandQueue& commands;
  bool typing;  // a text field has the keyboard: single-key shortcuts are off
};

class Panel {
 public:
  virtual ~Panel() = default;
  virtual PanelId id() const = 0;
  virtual void Draw(PanelContext& ctx) = 0;
  // Called when the panel becomes current, so it can put the keyboard focus where work starts.
  virtual void OnShow() {}
  // Called when the store locks: forget anything that shows a person.
  virtual void Clear() {}
};

// Helpers shared by panels.
bool KeyPressed(int key);                              // pressed this frame, no modifiers
bool CtrlPressed(int key);                             // Ctrl+key pressed this frame
void EmptyState(const char* title, const char* text);  // centred honest "nothing here yet"
void Chip(const char* text, unsigned int colour);      // a small rounded label
// Text that must stay inside the room it has (a table cell, the rest of a line): `text` shortened to fit
// `width` pixels, ending in "..." when it did not fit (`cut` says so). Unchanged when it fits.
std::string FitText(std::string_view text, float width, bool* cut = nullptr);
// Draws `text` in `width` pixels (0: the room left on the line), shortened with "..." when it does not
// fit; hovering the shortened text shows the whole of it. `colour` 0 draws in the text colour.
void TextFit(std::string_view text, unsigned int colour = 0, float width = 0);
void TextFitDisabled(std::string_view text, float width = 0);
// A selectable row whose label is shortened to the room left on the line, with the whole label as its
// tooltip. The ID does not depend on the shortening (callers push a row ID). A selected row's label starts
// with "> ", so the selection is never shown by colour alone.
bool SelectableFit(std::string_view label, bool selected, int flags = 0, float height = 0, float width = 0);
// A checkbox whose label is shortened to the room left on the line, with the whole label as its tooltip.
bool CheckboxFit(std::string_view label, bool* on);
// A combo's preview shortened to the combo's width (`width` pixels); the whole of it as a tooltip.
bool BeginComboFit(const char* label, std::string_view preview, float width);
// Keeps the next item on this line when `next_width` pixels are left for it, else starts a new line: a row
// of buttons flows onto a second line rather than running past the window's edge.
void SameLineIfRoom(float next_width);
float ButtonWidth(const char* label);  // a Button's or SmallButton's width for `label`
// After an item drawn from a shortened label: the whole text as a tooltip while it is hovered.
void FullTextTooltip(bool cut, std::string_view text);
// Wrapped text in the disabled colour, for details that may be long.
void TextWrappedDisabled(std::string_view text);
void ScoreBar(const char* label, float fraction, unsigned int colour, const char* value_text);

}  // namespace berth::ui

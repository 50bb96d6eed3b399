// One class per panel (one file per view). Each frame the shell calls Draw() on the current panel with the
// view models and the event queue; a panel keeps only its own UI state (selection, filter, form buffers).
#pragma once

#include <string>

#include "events.h"
#include "view_model.h"

namespace berth::ui {

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
  bool last_message_is_error = false;
};

struct PanelContext {
  const Workspace& data;
  EventQueue& events;
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
void ScoreBar(const char* label, float fraction, unsigned int colour, const char* value_text);

}  // namespace berth::ui

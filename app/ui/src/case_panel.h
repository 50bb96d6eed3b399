// The case panel (Ctrl+9): one referral's case as a broker works it. The offers of the package (who has it,
// by when, each answer, record an answer from a phone call, withdraw), the case log in words (every change,
// offer and answer, and the notes, calls and chase reminders), a box to add a note, a call or a reminder,
// and the open reminders with "Done". The log can be filtered as typed. Everything it changes is an event
// the shell hands to app/core (case_log.h, workflow.h); it writes no rows.
#pragma once

#include <string>

#include "offers_view.h"
#include "panel.h"

namespace berth::ui {

class CasePanel : public Panel {
 public:
  PanelId id() const override { return PanelId::kCase; }
  void Draw(PanelContext& ctx) override;
  void Clear() override;

 private:
  void DrawAdd(PanelContext& ctx, const CaseData& c);
  void DrawLog(const CaseData& c);

  OffersView offers_;
  int kind_ = 0;        // note, call, reminder
  std::string text_;    // what the broker writes
  std::string due_;     // a reminder: YYYY-MM-DD or an instant
  std::string filter_;  // narrows the log as typed
};

}  // namespace berth::ui

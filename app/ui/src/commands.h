// How panels talk: a panel never calls another panel or the store. It pushes a Command; the shell handles
// every command between frames (switching panels, selecting a referral, posting work to the store's
// worker) and the next frame's view models show the result. Each command is its own small struct with
// only the fields it needs, so a field cannot mean one thing for one command and another for the next;
// the shell and the match screen handle them with std::visit. Every change to the store is a command of
// app/core's workflow API (workflow.h); no command carries rows to write.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "berth/schema/model.h"

namespace berth::ui {

enum class PanelId { kHuddle, kReferral, kMatch, kPlan, kCapacity, kVoids, kSync, kSettings, kCase, kCount };

const char* PanelName(PanelId id);  // "Huddle board"
const char* PanelSlug(PanelId id);  // "huddle", as `--panel` takes it
bool PanelFromSlug(const std::string& slug, PanelId* out);

namespace cmd {

// Moving around the window.
struct ShowPanel {
  PanelId panel = PanelId::kHuddle;
};
struct SelectReferral {  // the referral the match view, form and plan focus on
  std::string referral_id;
};
struct EditReferral {       // opens the form
  std::string referral_id;  // '' = a new referral
};
struct ShowBed {  // the capacity board scrolls to the bed's home
  std::string bed_id;
};
struct Refresh {};
struct Lock {};
struct CancelJob {};
struct SyncNow {};

// The workflow on one referral and its options (app/core/workflow.h), run by the match screen.
struct Hold {  // a bed (or, for a homecare option, an offer of the package to the agency)
  std::string referral_id;
  std::string provider_id;
  std::string bed_id;  // '' for a homecare option
  std::string label;   // "Riverside, room 3", for the message
};
struct Offer {  // the anonymised package to one provider (and bed)
  std::string referral_id;
  std::string provider_id;
  std::string bed_id;  // '' for the provider as a whole (homecare, or any bed)
  std::string label;
};
struct OfferTarget {
  std::string provider_id;
  std::string bed_id;  // '' for the provider as a whole (homecare, or any bed)
};
struct SendOffers {  // the package to several providers at once
  std::string referral_id;
  std::vector<OfferTarget> targets;
  std::string names;  // the providers' names, for the message
};
struct WithdrawOffer {
  std::string offer_id;
  std::string provider_name;  // for the message
};
struct AnswerOffer {  // the provider's answer, as the broker records it
  std::string offer_id;
  std::string provider_name;  // for the message
  bool accept = false;
  std::string decline_reason;  // DeclineReason as text, when declined
};
struct Confirm {  // the placement, once the provider has accepted
  std::string referral_id;
  std::string provider_id;
  std::string bed_id;  // '' for homecare
  std::string label;
};
struct Release {  // a held bed
  std::string bed_id;
  std::string label;  // "room 3 at Riverside", for the message
};
struct HandBack {
  std::string referral_id;
  std::string last_day;  // the last day of care, YYYY-MM-DD
  std::string reason;    // HandbackReason as text
};
struct CancelReferral {
  std::string referral_id;
  std::string reason;  // CancelReason as text
};
struct ReopenReferral {
  std::string referral_id;
};
struct AcceptPlan {         // the huddle plan's allocation for one referral, as a Hold
  std::string referral_id;  // '' = accept every allocation
};

// Records and settings.
struct SaveReferral {  // for core::SaveReferral
  Referral referral;   // as edited (id '' for a new one)
  bool is_new = false;
};
struct AddNote {  // to the case log
  std::string referral_id;
  std::string kind;  // note | call | reminder (NoteKind as text)
  std::string text;
  std::string due;  // when a reminder falls due
};
struct ReminderDone {
  std::string reminder_id;
};
struct SetBedStatus {
  std::string bed_id;
  std::string status;   // vacant | occupied | unavailable (BedStatus as text)
  std::string reason;   // UnavailableReason as text
  std::string message;  // for the status bar ('' = "Saved")
};
struct SetAdmissions {
  std::string provider_id;
  bool close = false;
  std::string reason;   // ClosureReason as text
  std::string message;  // for the status bar ('' = "Saved")
};
struct SetHomecareHours {
  std::string capacity_id;  // the homecare capacity row
  std::string hours;        // hours per week, as typed
  bool double_up = false;
};
struct SaveSetting {
  std::string key;
  std::string value;
  bool matcher = false;  // one of app/core's matching settings, not a plain key
};
struct ExportCsv {
  std::string path;
  std::string csv;
};
struct ImportFile {
  std::string path;
  std::string what;  // bed | homecare | cqc (which return or directory)
};

// Sync.
struct Enroll {
  std::string hub_url;
  std::string code;  // the one-time code from the hub's administrator
};
struct ResolveConflict {
  std::string conflict_id;
  std::string note;  // how it was resolved (it goes into the person's case log)
};

}  // namespace cmd

// What the match screen runs on the store's worker (MatchScreen::Act).
using WorkflowCommand =
    std::variant<cmd::Hold, cmd::Offer, cmd::SendOffers, cmd::WithdrawOffer, cmd::AnswerOffer, cmd::Confirm,
                 cmd::Release, cmd::HandBack, cmd::CancelReferral, cmd::ReopenReferral>;

using Command =
    std::variant<cmd::ShowPanel, cmd::SelectReferral, cmd::EditReferral, cmd::ShowBed, cmd::Refresh,
                 cmd::Lock, cmd::CancelJob, cmd::SyncNow, cmd::Hold, cmd::Offer, cmd::SendOffers,
                 cmd::WithdrawOffer, cmd::AnswerOffer, cmd::Confirm, cmd::Release, cmd::HandBack,
                 cmd::CancelReferral, cmd::ReopenReferral, cmd::AcceptPlan, cmd::SaveReferral, cmd::AddNote,
                 cmd::ReminderDone, cmd::SetBedStatus, cmd::SetAdmissions, cmd::SetHomecareHours,
                 cmd::SaveSetting, cmd::ExportCsv, cmd::ImportFile, cmd::Enroll, cmd::ResolveConflict>;

// The std::visit idiom: one lambda per alternative.
template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

class CommandQueue {
 public:
  void Push(Command c) { commands_.push_back(std::move(c)); }
  std::vector<Command> Drain() {
    std::vector<Command> out;
    out.swap(commands_);
    return out;
  }
  bool empty() const { return commands_.empty(); }

 private:
  std::vector<Command> commands_;
};

}  // namespace berth::ui

// How panels talk: a panel never calls another panel or the store. It pushes an Event; the shell handles
// every event between frames (switching panels, selecting a referral, posting a command to the store's
// worker) and the next frame's view models show the result. Every change to the store is a command of
// app/core's workflow API (workflow.h); no event carries rows to write.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "berth/schema/model.h"
#include "berth/schema/mutation.h"

namespace berth::ui {

enum class PanelId { kHuddle, kReferral, kMatch, kPlan, kCapacity, kVoids, kSync, kSettings, kCase, kCount };

const char* PanelName(PanelId id);  // "Huddle board"
const char* PanelSlug(PanelId id);  // "huddle", as `--panel` takes it
bool PanelFromSlug(const std::string& slug, PanelId* out);

struct Event {
  enum class Kind {
    kShowPanel,       // panel
    kSelectReferral,  // id: the referral the match view, form and plan focus on
    kEditReferral,    // id ('' = a new referral): opens the form
    kSaveReferral,    // referral: the record as edited (id '' = new), for core::SaveReferral
    kHold,            // id: referral, target: bed id
    kOffer,           // id: referral, target: provider id (bed id in fields["bed_id"] when a bed)
    kSendOffers,      // id: referral, targets: the chosen providers (and beds), text: their names
    kWithdrawOffer,   // target: offer id, id: the provider's name (for the message)
    kAddNote,         // id: referral, entity: note | call | reminder, text: the words, target: when due
    kReminderDone,    // target: the reminder's id
    kConfirm,         // id: referral, target: bed id
    kRelease,         // target: a held bed
    kAnswerOffer,     // target: offer id, text: accept | decline, entity: decline reason
    kHandBack,        // id: referral, text: the last day of care, entity: hand-back reason
    kCancelReferral,  // id: referral, entity: cancel reason
    kReopenReferral,  // id: referral
    kAcceptPlan,      // id: referral ('' = accept every allocation)
    kBedStatus,       // target: bed id, text: vacant | occupied | unavailable, entity: unavailable reason
    kAdmissions,      // target: provider id, text: open | close, entity: closure reason
    kSaveSetting,     // target: key, text: value
    kExportCsv,       // target: path, text: which report
    kShowBed,         // target: bed id (the capacity board scrolls to its home)
    kRefresh,
    kLock,
    kCancelJob,
    kSyncNow,
    kResolveConflict,
    kEnroll,         // target: the hub's URL, text: the one-time code from its administrator
    kImportFile,     // target: the file's path, text: bed | homecare | cqc (which return or directory)
    kHomecareHours,  // target: homecare capacity row, text: hours per week, entity: "1" double-up or "0"  //
                     // target: the conflict's id, text: the note saying how it was resolved
  };
  Kind kind = Kind::kRefresh;
  PanelId panel = PanelId::kHuddle;
  std::string id;
  std::string target;
  std::string entity;
  std::string text;
  std::map<std::string, Value> fields;
  Referral referral;  // kSaveReferral
  struct Target {
    std::string provider_id;
    std::string bed_id;  // '' for the provider as a whole (homecare, or any bed)
  };
  std::vector<Target> targets;  // kSendOffers
};

class EventQueue {
 public:
  void Push(Event e) { events_.push_back(std::move(e)); }
  void ShowPanel(PanelId p) {
    Event e;
    e.kind = Event::Kind::kShowPanel;
    e.panel = p;
    Push(std::move(e));
  }
  void Simple(Event::Kind kind, std::string id = "", std::string target = "") {
    Event e;
    e.kind = kind;
    e.id = std::move(id);
    e.target = std::move(target);
    Push(std::move(e));
  }
  std::vector<Event> Drain() {
    std::vector<Event> out;
    out.swap(events_);
    return out;
  }
  bool empty() const { return events_.empty(); }

 private:
  std::vector<Event> events_;
};

}  // namespace berth::ui

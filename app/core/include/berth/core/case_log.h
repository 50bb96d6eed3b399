// A referral's case log: its life told in words, oldest first, one line per step, e.g.
//   2026-11-20 14:02 broker.ahmed: room 3 at Field Lodge held until 2026-11-20 18:02; status new -> sourcing
//   2026-11-20 14:05 broker.ahmed: offer sent to 3 homes: Field Lodge, Oak House, Elm Court, answer by ...
//   2026-11-20 15:10 broker.ahmed: Field Lodge declined: not_compatible
//   2026-11-20 15:12 broker.ahmed: call: rang the daughter, visiting Oak House tomorrow
// and the notes, calls and chase reminders brokers and ward staff add to it. Times are UTC.
//
// Where each line comes from:
// - The workflow's transitions (workflow.h) made on this device: their audit entries on the referral,
//   written in these words and stamped with the moment the workflow was given (CaseDetail).
// - Rows that sync, so steps taken on other devices show too: discharge-ready date changes, offers sent
//   or answered elsewhere (a provider's answer recorded on another laptop arrives with a sync: "via sync",
//   at the time of the answer's clock), offers that expired unanswered, and the notes (`referral_note`).
// Personal values never enter the audit trail: an edit of a personal field says which field changed, not
// its value. A note's text is personal data: it syncs only within its referral's area and roles, is
// sealed like every page of the store, and reading it (the case log, a search) is audited.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "berth/core/workflow.h"
#include "berth/schema/model.h"
#include "berth/schema/status.h"
#include "berth/schema/store.h"

namespace berth::core {

// --- the entries people add -------------------------------------------------------------------------------
// Adds a note, a call or a chase reminder to a referral (any status: a closed case may still be written
// about). The text is required (1-2000 characters, no NUL). A reminder needs `due` (an instant
// 'YYYY-MM-DDTHH:MM:SSZ', or a date, meaning 09:00 UTC that day); a note or call takes none. Written as a
// synced row (outbox, audit). Returns the entry's id. kBadInput / kNotFound and nothing written otherwise.
Result<std::string> AddCaseNote(Store& store, const std::string& referral_id, NoteKind kind,
                                const std::string& text, const std::string& due, const WorkflowTime& t);
// Marks an open reminder done (it leaves the board). kConflict when it is not a reminder or already done.
Status CompleteReminder(Store& store, const std::string& note_id, const WorkflowTime& t);

// A reminder that has fallen due and is not done. Carries no text, so the board can show that one is due
// without reading (and auditing) the note; the case log shows the text.
struct DueReminder {
  std::string note_id;
  std::string referral_id;
  std::string due_at;
};
// Every open reminder due at or before `now_iso`, earliest first.
Result<std::vector<DueReminder>> DueReminders(Db& db, const std::string& now_iso);

// The referrals whose notes contain `text` (case-insensitive; 2-200 characters), for searching on the
// device. Audited (the search, never the text searched for).
Result<std::vector<std::string>> SearchCaseNotes(Store& store, const std::string& text);

// --- the log ---------------------------------------------------------------------------------------------
struct CaseEntry {
  std::string at;    // ISO instant (UTC)
  std::string who;   // the user, or "via sync" for a step recorded on another device
  std::string kind;  // the workflow action ("hold", "offer", "decline", ...), "date", "note", "call",
                     // "reminder", "answer" (an answer that arrived by sync), "expired", "sent"
  std::string text;  // the words
};

// The referral's case log, oldest first (kNotFound for an unknown referral). Reading it is audited (it
// shows the notes): a "view" of `referral_note` for this referral.
Result<std::vector<CaseEntry>> CaseLog(Store& store, const std::string& referral_id);
// "2026-11-20 14:02 broker.ahmed: status new -> sourcing".
std::string CaseLine(const CaseEntry& e);
// Every line, each ending in '\n'.
std::string CaseLogText(const std::vector<CaseEntry>& entries);

// --- the words, shared with the workflow -------------------------------------------------------------------
// The detail of a workflow audit entry: "[<t.now_iso>] <words>". The case log takes the time from it.
std::string CaseDetail(const WorkflowTime& t, std::string_view words);
// "2026-11-20 14:02" for "2026-11-20T14:02:00Z" (anything else is returned as it is).
std::string CaseTime(const std::string& iso);
// What an edit changed: "pathway P2 -> P3; name changed" (personal fields by name only).
std::string ReferralChangeWords(const Referral& before, const Referral& after);
// "offer sent to 3 homes: Field Lodge, Oak House, Elm Court" (agencies for homecare, providers when mixed).
std::string OfferSentWords(const std::vector<Provider>& to);
// "Field Lodge accepted", "Field Lodge declined: not_compatible", "offer to Field Lodge withdrawn".
std::string AnswerWords(const std::string& provider_name, OfferStatus status, DeclineReason reason);

}  // namespace berth::core

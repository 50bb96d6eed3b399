// The case log of a referral (case_log.h): every change, offer and answer in words, from the audit trail
// and the synced referral_note rows, plus adding notes, calls and chase reminders through the store.

#include "berth/core/case_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <set>

#include "berth/schema/ids.h"
#include "berth/schema/repository.h"

namespace berth::core {
namespace {

constexpr size_t kMaxNoteChars = 2000;

// The workflow actions whose audit entries are the case log's own lines. Others are not steps of the case
// ("view", the store's "write"/"claim" lines) or come from synced rows instead ("drd_change", "note").
const std::set<std::string>& CaseActions() {
  static const std::set<std::string> actions = {"create", "edit",     "hold",         "release",  "offer",
                                                "accept", "decline",  "withdraw",     "confirm",  "cancel",
                                                "reopen", "handback", "delay_reason", "note_done"};
  return actions;
}

// Splits "[2026-11-20T14:02:00Z] words" into the instant and the words; entries written before the case
// log have no stamp and take the audit entry's own time.
void SplitDetail(const AuditEntry& e, std::string* at, std::string* words) {
  const std::string& d = e.detail;
  if (d.size() > 23 && d[0] == '[' && d[21] == ']' && d[22] == ' ' &&
      WorkflowTime::At(d.substr(1, 20)).ok()) {
    *at = d.substr(1, 20);
    *words = d.substr(23);
    return;
  }
  *at = IsoInstantOfMs(e.at_ms);
  *words = d;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string NoteWords(const ReferralNote& n) {
  switch (n.kind) {
    case NoteKind::kNote:
      return "note: " + n.text;
    case NoteKind::kCall:
      return "call: " + n.text;
    case NoteKind::kReminder:
      return fmt::format("reminder for {}: {}{}", CaseTime(n.due_at), n.text,
                         n.done_at.empty() ? "" : " (done " + CaseTime(n.done_at) + ")");
  }
  return n.text;
}

// The instant the offer's status took its current value: the clock of that field (else of the row).
Result<std::string> StatusClockIso(Db& db, const std::string& offer_id) {
  BERTH_ASSIGN_OR_RETURN(
      Statement q, db.Prepare("SELECT coalesce((SELECT hlc FROM field_clock WHERE entity = 'offer' AND"
                              " row_id = ?1 AND field = 'status'), (SELECT hlc FROM offer WHERE id = ?1),"
                              " '')"));
  q.Bind(1, offer_id);
  BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
  auto hlc = Hlc::Parse(row ? q.Text(0) : std::string());
  return hlc.ok() ? IsoInstantOfMs(hlc->wall_ms) : std::string();
}

// How many of this device's writes of the offer set its status (its creation is one).
Result<int> LocalStatusWrites(Store& store, const std::string& offer_id) {
  BERTH_ASSIGN_OR_RETURN(auto trail, store.AuditTrail("offer", offer_id));
  int n = 0;
  for (const AuditEntry& e : trail) {
    const std::string fields = "," + e.detail + ",";
    if (fields.find(",status,") != std::string::npos) ++n;
  }
  return n;
}

Status CheckText(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return BadInput("the text is required");
  if (text.size() > kMaxNoteChars)
    return BadInput(fmt::format("the text is longer than {} characters", kMaxNoteChars));
  if (text.find('\0') != std::string::npos) return BadInput("the text holds a NUL character");
  return Status::Ok();
}

// The personal fields of a referral: an edit names them, never their values.
bool PersonalField(const std::string& field) {
  static const std::set<std::string> personal = {"nhs_number",         "name", "date_of_birth", "postcode",
                                                 "preferred_postcode", "notes"};
  return personal.count(field) > 0;
}

std::string ValueWords(const Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return s->empty() ? "(none)" : *s;
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return fmt::format("{:g}", *d);
  return "(none)";
}

}  // namespace

// --- words -----------------------------------------------------------------------------------------------

std::string CaseDetail(const WorkflowTime& t, std::string_view words) {
  return "[" + t.now_iso + "] " + std::string(words);
}

std::string CaseTime(const std::string& iso) {
  if (iso.size() == 20 && iso[10] == 'T' && iso[19] == 'Z')
    return iso.substr(0, 10) + " " + iso.substr(11, 5);
  return iso;
}

std::string ReferralChangeWords(const Referral& before, const Referral& after) {
  const Fields a = ToFields(before), b = ToFields(after);
  std::string out;
  for (const auto& [field, value] : b) {
    auto old = a.find(field);
    if (old != a.end() && old->second == value) continue;
    out += out.empty() ? "" : "; ";
    if (PersonalField(field)) {
      out += field + " changed";
    } else {
      out += fmt::format("{} {} -> {}", field, old == a.end() ? "(none)" : ValueWords(old->second),
                         ValueWords(value));
    }
  }
  return out.empty() ? "nothing changed" : out;
}

std::string OfferSentWords(const std::vector<Provider>& to) {
  bool homes = true, agencies = true;
  std::string names;
  for (const Provider& p : to) {
    homes = homes && p.kind == ProviderKind::kCareHome;
    agencies = agencies && p.kind == ProviderKind::kHomecareAgency;
    names += (names.empty() ? "" : ", ") + p.name;
  }
  const char* noun = homes      ? (to.size() == 1 ? "home" : "homes")
                     : agencies ? (to.size() == 1 ? "agency" : "agencies")
                                : (to.size() == 1 ? "provider" : "providers");
  return fmt::format("offer sent to {} {}: {}", to.size(), noun, names);
}

std::string AnswerWords(const std::string& provider_name, OfferStatus status, DeclineReason reason) {
  switch (status) {
    case OfferStatus::kAccepted:
      return provider_name + " accepted";
    case OfferStatus::kDeclined:
      return provider_name + " declined: " + std::string(ToString(reason));
    case OfferStatus::kWithdrawn:
      return "offer to " + provider_name + " withdrawn";
    case OfferStatus::kExpired:
      return "no answer from " + provider_name + ": offer expired";
    case OfferStatus::kPending:
      break;
  }
  return "offer to " + provider_name + " pending";
}

// --- notes -----------------------------------------------------------------------------------------------

Result<std::string> AddCaseNote(Store& store, const std::string& referral_id, NoteKind kind,
                                const std::string& text, const std::string& due, const WorkflowTime& t) {
  BERTH_RETURN_IF_ERROR(CheckText(text));
  std::string due_at;
  if (kind == NoteKind::kReminder) {
    if (due.empty()) return BadInput("a reminder needs the moment it falls due (YYYY-MM-DD or an instant)");
    due_at = IsIsoDate(due) ? due + "T09:00:00Z" : due;
    if (!WorkflowTime::At(due_at).ok())
      return BadInput("the due time must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (got '" + due.substr(0, 30) +
                      "')");
  } else if (!due.empty()) {
    return BadInput("only a reminder falls due");
  }
  if (referral_id.empty()) return BadInput("a referral id is required");
  BERTH_ASSIGN_OR_RETURN(Referral r, LoadReferral(store.db(), referral_id));
  ReferralNote n;
  n.id = NewUuidV7(&store.env());
  n.referral_id = r.id;
  n.kind = kind;
  n.text = text;
  n.written_by = store.actor();
  n.written_at = t.now_iso;
  n.due_at = due_at;
  const Status tx = store.db().Transaction([&]() -> Status {
    BERTH_RETURN_IF_ERROR(Save(store, n));
    // The audit says that an entry was added, never what it says.
    return store.AppendAudit("note", "referral", r.id,
                             CaseDetail(t, fmt::format("{} added", ToString(kind))));
  });
  if (!tx.ok()) return tx;
  return n.id;
}

Status CompleteReminder(Store& store, const std::string& note_id, const WorkflowTime& t) {
  if (note_id.empty()) return BadInput("a reminder id is required");
  BERTH_ASSIGN_OR_RETURN(ReferralNote n, LoadNote(store.db(), note_id));
  if (n.kind != NoteKind::kReminder)
    return ConflictError("cannot mark " + std::string(ToString(n.kind)) + " " + n.id +
                         " done: only a reminder is");
  if (!n.done_at.empty())
    return ConflictError("cannot mark reminder " + n.id + " done: it was done at " + CaseTime(n.done_at));
  return store.db().Transaction([&]() -> Status {
    Mutation m;
    m.entity = "referral_note";
    m.row_id = n.id;
    m.fields = {{"done_at", t.now_iso}};
    BERTH_RETURN_IF_ERROR(store.Write(std::move(m)));
    return store.AppendAudit("note_done", "referral", n.referral_id,
                             CaseDetail(t, "reminder due " + CaseTime(n.due_at) + " done"));
  });
}

Result<std::vector<DueReminder>> DueReminders(Db& db, const std::string& now_iso) {
  BERTH_ASSIGN_OR_RETURN(Statement q,
                         db.Prepare("SELECT id, referral_id, due_at FROM referral_note WHERE deleted = 0 AND"
                                    " kind = 'reminder' AND done_at = '' AND due_at <> '' AND due_at <= ?"
                                    " ORDER BY due_at, id"));
  q.Bind(1, now_iso);
  std::vector<DueReminder> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back({q.Text(0), q.Text(1), q.Text(2)});
  }
  return out;
}

Result<std::vector<std::string>> SearchCaseNotes(Store& store, const std::string& text) {
  if (text.size() < 2 || text.size() > 200) return BadInput("search for 2 to 200 characters");
  // instr over lower() rather than LIKE: the text searched for may hold % or _.
  BERTH_ASSIGN_OR_RETURN(Statement q, store.db().Prepare("SELECT DISTINCT referral_id FROM referral_note"
                                                         " WHERE deleted = 0 AND instr(lower(text), ?) > 0"
                                                         " ORDER BY referral_id"));
  q.Bind(1, Lower(text));
  std::vector<std::string> out;
  while (true) {
    BERTH_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(q.Text(0));
  }
  BERTH_RETURN_IF_ERROR(store.AppendAudit("search", "referral_note", "",
                                          fmt::format("case notes searched: {} referral(s)", out.size())));
  return out;
}

// --- the log ---------------------------------------------------------------------------------------------

Result<std::vector<CaseEntry>> CaseLog(Store& store, const std::string& referral_id) {
  if (referral_id.empty()) return BadInput("a referral id is required");
  Db& db = store.db();
  BERTH_ASSIGN_OR_RETURN(Referral r, LoadReferral(db, referral_id));
  std::vector<CaseEntry> out;
  BERTH_ASSIGN_OR_RETURN(auto trail, store.AuditTrail("referral", r.id));
  for (const AuditEntry& e : trail) {
    if (!CaseActions().count(e.action)) continue;
    CaseEntry c;
    SplitDetail(e, &c.at, &c.text);
    c.who = e.actor;
    c.kind = e.action;
    out.push_back(std::move(c));
  }
  BERTH_ASSIGN_OR_RETURN(auto dates, LoadDateChanges(db, r.id));
  for (const ReferralDateChange& d : dates) {
    out.push_back({d.changed_at, d.changed_by, "date",
                   fmt::format("discharge-ready date {} -> {}{}", d.old_date.empty() ? "(none)" : d.old_date,
                               d.new_date, d.note.empty() ? "" : " (" + d.note + ")")});
  }
  BERTH_ASSIGN_OR_RETURN(auto notes, LoadNotes(db, r.id));
  for (const ReferralNote& n : notes) {
    out.push_back({n.written_at, n.written_by, std::string(ToString(n.kind)), NoteWords(n)});
  }
  // Offers: what this device did is in its audit entries above; what was done elsewhere comes from the rows.
  BERTH_ASSIGN_OR_RETURN(auto offers, LoadOffersForReferral(db, r.id));
  std::map<std::string, std::vector<Provider>> sent_elsewhere;  // by sent_at
  for (const Offer& o : offers) {
    BERTH_ASSIGN_OR_RETURN(int local_writes, LocalStatusWrites(store, o.id));
    auto p = LoadProvider(db, o.provider_id);
    Provider provider = p.ok() ? *p : Provider{};
    if (!p.ok()) provider.name = o.provider_id;
    if (local_writes == 0) sent_elsewhere[o.sent_at].push_back(provider);
    if (o.status == OfferStatus::kExpired) {
      out.push_back({o.respond_by, "", "expired", AnswerWords(provider.name, o.status, o.decline_reason)});
    } else if (o.status != OfferStatus::kPending && local_writes < 2) {
      BERTH_ASSIGN_OR_RETURN(std::string at, StatusClockIso(db, o.id));
      out.push_back({at, "via sync", "answer", AnswerWords(provider.name, o.status, o.decline_reason)});
    }
  }
  for (const auto& [at, to] : sent_elsewhere) out.push_back({at, "via sync", "sent", OfferSentWords(to)});
  std::stable_sort(out.begin(), out.end(),
                   [](const CaseEntry& a, const CaseEntry& b) { return a.at < b.at; });
  BERTH_RETURN_IF_ERROR(store.AppendAudit("view", "referral_note", r.id, "case log"));
  return out;
}

std::string CaseLine(const CaseEntry& e) {
  return e.who.empty() ? fmt::format("{} {}", CaseTime(e.at), e.text)
                       : fmt::format("{} {}: {}", CaseTime(e.at), e.who, e.text);
}

std::string CaseLogText(const std::vector<CaseEntry>& entries) {
  std::string out;
  for (const CaseEntry& e : entries) out += CaseLine(e) + "\n";
  return out;
}

}  // namespace berth::core

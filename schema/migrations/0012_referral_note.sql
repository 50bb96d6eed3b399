-- The case log's own entries: what a broker or ward worker writes about a referral as the case goes on. A
-- note (free text), a call (who rang whom and what was said) or a chase reminder (a note with a moment it
-- falls due, shown on the huddle board from then until it is marked done). One row per entry, so entries
-- written on two devices both survive the merge. The text is personal data (it may name the person, their
-- family, their health): it follows its referral's area and roles on the hub (sync/PROTOCOL.md section 6),
-- is sealed like every other page of the store (FORMAT.md), and reading it is audited (app/core
-- case_log.h).
CREATE TABLE referral_note (
  id TEXT PRIMARY KEY,
  referral_id TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT 'note' CHECK (kind = 'note' OR kind = 'call' OR kind = 'reminder'),
  text TEXT NOT NULL DEFAULT '',
  written_by TEXT NOT NULL DEFAULT '',          -- the user (as in the audit log)
  written_at TEXT NOT NULL DEFAULT '',          -- ISO instant
  due_at TEXT NOT NULL DEFAULT '',              -- a reminder: when it falls due (ISO instant)
  done_at TEXT NOT NULL DEFAULT '',             -- a reminder: when it was marked done ('' while open)
  hlc TEXT NOT NULL,
  origin TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX referral_note_by_referral ON referral_note (referral_id, written_at);
CREATE INDEX referral_note_due ON referral_note (due_at) WHERE kind = 'reminder' AND done_at = '';

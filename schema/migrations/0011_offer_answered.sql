-- When a provider answered an offer (accepted or declined): an ISO instant, the moment the workflow
-- recorded the answer. It is what the commissioners' responses report measures response times from
-- (sent_at to answered_at). '' while pending, for offers withdrawn or expired without an answer, and for
-- offers answered before this migration. Added at the end of the table, so existing rows and the sync
-- column order are unchanged.
ALTER TABLE offer ADD COLUMN answered_at TEXT NOT NULL DEFAULT '';

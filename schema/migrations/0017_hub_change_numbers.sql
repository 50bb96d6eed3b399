-- The hub's change log numbers its entries without AUTOINCREMENT. AUTOINCREMENT read and rewrote the
-- table's row in sqlite_sequence on every insert, a fifth of the instructions of logging a pushed change
-- (callgrind, bench_sync's initial push). Without it an entry takes the highest number in the table plus
-- one, so a number is never given twice as long as the highest entry never goes: a REPLACE moves a row's
-- entry to the end before the old one is removed, and a purge that removes the newest entry leaves a
-- marker at its number (sync/PROTOCOL.md section 10). Here the marker keeps the number AUTOINCREMENT had
-- reached when a purge had already removed the entries at the end. A marker names no table, so pulls
-- skip it. On a laptop the table is empty and stays so.
CREATE TABLE hub_change_next (
  seq INTEGER PRIMARY KEY,
  entity TEXT NOT NULL,
  row_id TEXT NOT NULL,
  area TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  changed_ms INTEGER NOT NULL,
  writer TEXT NOT NULL DEFAULT '',
  echo_ok INTEGER NOT NULL DEFAULT 0
);
INSERT INTO hub_change_next (seq, entity, row_id, area, deleted, changed_ms, writer, echo_ok)
  SELECT seq, entity, row_id, area, deleted, changed_ms, writer, echo_ok FROM hub_change;
INSERT INTO hub_change_next (seq, entity, row_id, area, deleted, changed_ms, writer, echo_ok)
  SELECT s.seq, '', '', '', 0, 0, '', 0 FROM sqlite_sequence s
  WHERE s.name = 'hub_change' AND s.seq > (SELECT coalesce(max(seq), 0) FROM hub_change);
DROP TABLE hub_change;
ALTER TABLE hub_change_next RENAME TO hub_change;
CREATE UNIQUE INDEX hub_change_by_row ON hub_change (entity, row_id);
CREATE INDEX hub_change_by_area ON hub_change (area, seq);

-- A batch (Store::Batch: imports, the demo, a device's pulls) writes ONE audit entry for all its records
-- (action 'batch', its detail "<count> records, digest <hex>"), chained by its hash like any entry; the
-- records it names are kept here, one row per record, appended in batch order, with an index so that a
-- record's trail is still found by (entity, row_id). `seq` is the batch's audit entry, `n` the record's
-- place in the batch (1, 2, ...). Verify recomputes each batch entry's count and digest from these rows
-- (schema/FORMAT.md, "Audit log"). Only adds: entries written before it stay as they were.
CREATE TABLE audit_record (
  seq INTEGER NOT NULL,
  n INTEGER NOT NULL,
  entity TEXT NOT NULL,
  row_id TEXT NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX audit_record_by_row ON audit_record (entity, row_id);

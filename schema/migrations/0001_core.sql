-- Store bookkeeping: device identity, the outbox of local mutations, per-field clocks for
-- last-writer-wins merges, the hash-chained audit log, and settings.
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- Every local change, in order, until the hub acknowledges it. payload: the cereal-encoded Mutation.
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  mutation_id TEXT NOT NULL UNIQUE,
  kind INTEGER NOT NULL,
  entity TEXT NOT NULL,
  row_id TEXT NOT NULL,
  hlc TEXT NOT NULL,
  payload BLOB NOT NULL,
  created_ms INTEGER NOT NULL
);

-- The clock of a field written after its row was created. A field with no entry has its row's hlc.
CREATE TABLE field_clock (
  entity TEXT NOT NULL,
  row_id TEXT NOT NULL,
  field TEXT NOT NULL,
  hlc TEXT NOT NULL,
  origin TEXT NOT NULL,
  PRIMARY KEY (entity, row_id, field)
) WITHOUT ROWID;

-- Who viewed or changed which record. hash = BLAKE2b-256(prev_hash || entry): tampering breaks the chain.
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  actor TEXT NOT NULL,
  device_id TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT NOT NULL,
  row_id TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL
);
CREATE INDEX audit_by_row ON audit (entity, row_id);

-- Settings sync like any row: id is the setting's name.
CREATE TABLE setting (
  id TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  hlc TEXT NOT NULL,
  origin TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);

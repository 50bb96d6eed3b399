-- Sync state (see sync/PROTOCOL.md). None of these tables sync (no hlc/origin columns): they describe
-- this store's relationship with the hub. A device uses sync_state and sync_conflict; a hub store
-- (berth-hub) uses the hub_* tables. SQL kept portable to PostgreSQL.

-- Device: key/value sync state: hub URL, pinned hub keys, own keys, cursor, request counter.
CREATE TABLE sync_state (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL
);

-- Device: the Conflicts inbox. One row per mutation the hub rejected.
CREATE TABLE sync_conflict (
  id INTEGER PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  mutation_id TEXT NOT NULL UNIQUE,
  claim TEXT NOT NULL,
  entity TEXT NOT NULL,
  row_id TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  reason TEXT NOT NULL,
  referral_id TEXT NOT NULL,
  bed_id TEXT NOT NULL,
  capacity_id TEXT NOT NULL,
  authoritative TEXT NOT NULL,   -- JSON: the hub's rows at the time of the rejection
  resolved INTEGER NOT NULL DEFAULT 0
);

-- Hub: key/value state (its own key pairs, the tombstone horizon).
CREATE TABLE hub_state (
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL
);

-- Hub: enrolled devices.
CREATE TABLE hub_device (
  device_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  scope TEXT NOT NULL,             -- comma-separated areas, '*' for all
  sign_pk BLOB NOT NULL,
  kx_pk BLOB NOT NULL,
  enrolled_ms INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0,
  last_counter INTEGER NOT NULL DEFAULT 0,
  acked_seq INTEGER NOT NULL DEFAULT 0,
  last_seen_ms INTEGER NOT NULL DEFAULT 0
);

-- Hub: one-time enrollment codes, by hash; the code itself is never stored.
CREATE TABLE hub_code (
  code_id BLOB PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  scope TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  code_key BLOB NOT NULL,         -- the envelope key derived from the code (the code is never stored)
  used_by TEXT NOT NULL DEFAULT ''
);

-- Hub: the mutations it rejected, so a repeated push gets the same answer.
CREATE TABLE hub_rejection (
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  mutation_id TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (device_id, seq)
);

-- Hub: the latest change number of every row, and its area (for scope filtering on pull).
CREATE TABLE hub_change (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  entity TEXT NOT NULL,
  row_id TEXT NOT NULL,
  area TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  changed_ms INTEGER NOT NULL,
  writer TEXT NOT NULL DEFAULT '',         -- the device whose mutation made this change
  echo_ok INTEGER NOT NULL DEFAULT 0       -- 1: the writer already holds exactly this row (no echo needed)
);
CREATE UNIQUE INDEX hub_change_by_row ON hub_change (entity, row_id);
CREATE INDEX hub_change_by_area ON hub_change (area, seq);

-- Hub: the courier key of each device (sync while locked, sync/PROTOCOL.md section 11): the public keys
-- of the locked-side credential the device registered last, when, and the courier's own replay counter.
-- One row per device: registering a new key replaces the old one, which stops working at once.
CREATE TABLE hub_courier (
  device_id TEXT PRIMARY KEY,
  sign_pk BLOB NOT NULL,
  kx_pk BLOB NOT NULL,
  registered_ms INTEGER NOT NULL,
  last_counter INTEGER NOT NULL DEFAULT 0
);

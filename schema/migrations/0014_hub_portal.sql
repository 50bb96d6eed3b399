-- Hub: the provider portal (sync/PROTOCOL.md section 14). Provider accounts (one per CQC location), each
-- made by a one-time invite whose id (BLAKE2b-128 of the token, never the token) is kept until it is used;
-- the password as an Argon2id string (crypto_pwhash_str); failed sign-ins and the lockout they lead to.
-- Sessions are kept by the BLAKE2b-256 of their cookie (a copy of the store cannot sign in), each with
-- the CSRF token its forms carry. The audit names accounts, actions and row ids, never a row's values.
-- On a laptop these tables stay empty.
CREATE TABLE hub_provider_account (
  account_id TEXT PRIMARY KEY,
  cqc_location_id TEXT NOT NULL,
  email TEXT NOT NULL,
  password_hash TEXT NOT NULL DEFAULT '',
  invite_id BLOB NOT NULL,
  invite_expires_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0,
  failed_sign_ins INTEGER NOT NULL DEFAULT 0,
  locked_until_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE hub_portal_session (
  session_hash BLOB PRIMARY KEY,
  account_id TEXT NOT NULL,
  csrf TEXT NOT NULL,
  expires_ms INTEGER NOT NULL
);
CREATE TABLE hub_portal_audit (
  at_ms INTEGER NOT NULL,
  account_id TEXT NOT NULL,
  action TEXT NOT NULL,
  object TEXT NOT NULL
);

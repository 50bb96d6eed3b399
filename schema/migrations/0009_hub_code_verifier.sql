-- Hub: enrollment codes keep a verifier (the public half of a key pair derived from the code; sync
-- protocol 4), never anything that could enrol a device. Keys kept by earlier hubs are wiped: such codes
-- cannot be used with protocol 4 and must be issued again. A code cancelled by the administrator is
-- marked used_by = 'cancelled'.
ALTER TABLE hub_code RENAME COLUMN code_key TO verifier;
UPDATE hub_code SET verifier = x'';

-- Where the person is: the district (or unitary council) of their hospital site or postcode, e.g.
-- 'Fenland'. It is the referral's area for sync scope (sync/PROTOCOL.md, section 6), so a referral made
-- on a county-wide device reaches the devices of that district only. Never '*': a data value is never a
-- wildcard. Empty on rows made before this migration (the hub then files them as before).
ALTER TABLE referral ADD COLUMN district TEXT NOT NULL DEFAULT '';

-- A placement confirmed without an accepted offer (arranged outside Berth, e.g. by the family or a
-- provider's phone call) keeps the broker's reason for the override. '' for placements that followed an
-- accepted offer. Added at the end of the table, so existing rows and the sync column order are unchanged.
ALTER TABLE placement ADD COLUMN override_reason TEXT NOT NULL DEFAULT '';

-- The workflow reads a capacity row's placements (the hours they take, day by day) when it confirms
-- homecare, and a referral's hand backs when it ranks the queue.
CREATE INDEX IF NOT EXISTS placement_by_capacity ON placement (homecare_capacity_id);
CREATE INDEX IF NOT EXISTS handback_by_referral ON handback (referral_id);

-- A referral's whole life: why it was cancelled (coded), why the person's discharge is delayed (the NHS
-- delayed transfer of care reason codes councils report), and every change of the discharge-ready date
-- (who, when, the old date and the new). Columns are added at the end of `referral`, so existing rows and
-- the sync column order are unchanged; the new table syncs like every domain table.
ALTER TABLE referral ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '' CHECK ((cancel_reason = ''
  OR cancel_reason = 'died' OR cancel_reason = 'readmitted' OR cancel_reason = 'home_without_support'
  OR cancel_reason = 'self_arranged' OR cancel_reason = 'moved_out_of_area' OR cancel_reason = 'declined_care'
  OR cancel_reason = 'duplicate' OR cancel_reason = 'other'));
ALTER TABLE referral ADD COLUMN delay_reason TEXT NOT NULL DEFAULT '' CHECK ((delay_reason = ''
  OR delay_reason = 'a_assessment' OR delay_reason = 'b_public_funding' OR delay_reason = 'c_further_nhs_care'
  OR delay_reason = 'di_residential_home' OR delay_reason = 'dii_nursing_home'
  OR delay_reason = 'e_care_package_at_home' OR delay_reason = 'f_equipment_adaptations'
  OR delay_reason = 'g_patient_family_choice' OR delay_reason = 'h_disputes' OR delay_reason = 'i_housing'
  OR delay_reason = 'o_other'));

-- One row per change of a referral's discharge-ready date. A separate row for each change (rather than a
-- list in the referral) so changes made on two devices both survive the merge.
CREATE TABLE referral_date_change (
  id TEXT PRIMARY KEY,
  referral_id TEXT NOT NULL DEFAULT '',
  old_date TEXT NOT NULL DEFAULT '',
  new_date TEXT NOT NULL DEFAULT '',
  changed_by TEXT NOT NULL DEFAULT '',         -- the user (as in the audit log)
  changed_at TEXT NOT NULL DEFAULT '',         -- ISO instant
  note TEXT NOT NULL DEFAULT '',               -- why, when given (no personal data)
  hlc TEXT NOT NULL,
  origin TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX referral_date_change_by_referral ON referral_date_change (referral_id, changed_at);

-- The brokerage domain: providers (care homes and homecare agencies), their beds and homecare hours,
-- referrals (the people waiting), offers to providers, placements and hand backs.
--
-- Conventions (see schema/include/berth/schema/model.h for the C++ records):
--   * Every table here syncs: id TEXT PRIMARY KEY, hlc, origin, deleted (tombstone). Rows change only
--     through Store::Write, so each change reaches the outbox and the audit log.
--   * Enumerations are lower-case TEXT codes guarded by CHECK constraints; '' means "not given".
--   * Dates are ISO 'YYYY-MM-DD' text ('' when unknown); instants are ISO 'YYYY-MM-DDTHH:MM:SSZ'.
--   * Money is INTEGER pence (exact sums for void costs; no float rounding in totals).
--   * Homecare hours are REAL hours per week (quarter hours are exact in binary floating point).
--   * Multi-valued codes (specialisms, needs, bands) are comma-separated lists of codes, sorted.
--   * Flags are INTEGER 0/1.
--   * Personal data (name, NHS number, date of birth, notes) lives on `referral` only.
-- Every column has a default so that a partial upsert from sync can create a row.

CREATE TABLE provider (
  id TEXT PRIMARY KEY,
  cqc_location_id TEXT NOT NULL DEFAULT '',   -- e.g. '1-1000210669'; '' for providers not registered with CQC
  cqc_provider_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT '',
  also_known_as TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT 'care_home' CHECK (kind IN ('care_home', 'homecare_agency', 'other')),
  operator_name TEXT NOT NULL DEFAULT '',      -- the CQC "provider" (the company running the location)
  address TEXT NOT NULL DEFAULT '',
  postcode TEXT NOT NULL DEFAULT '',
  latitude REAL,                               -- NULL when the postcode could not be placed
  longitude REAL,
  local_authority TEXT NOT NULL DEFAULT '',    -- the council, e.g. 'Cambridgeshire', 'Peterborough'
  district TEXT NOT NULL DEFAULT '',           -- lower-tier district, e.g. 'Huntingdonshire'
  region TEXT NOT NULL DEFAULT '',
  registration TEXT NOT NULL DEFAULT '' CHECK (registration IN ('', 'residential', 'nursing', 'residential_nursing')),
  specialisms TEXT NOT NULL DEFAULT '',        -- codes: dementia,learning_disability,mental_health,...
  service_types TEXT NOT NULL DEFAULT '',      -- CQC's service types as published, '|'-separated
  cqc_rating TEXT NOT NULL DEFAULT '' CHECK (cqc_rating IN ('', 'outstanding', 'good', 'requires_improvement', 'inadequate')),
  last_inspection TEXT NOT NULL DEFAULT '',
  registered_beds INTEGER NOT NULL DEFAULT 0,  -- from CQC extracts that carry it; 0 when unknown
  trusted_assessor INTEGER NOT NULL DEFAULT 0, -- accepts a trusted assessor's assessment instead of visiting
  phone TEXT NOT NULL DEFAULT '',
  website TEXT NOT NULL DEFAULT '',
  contact_name TEXT NOT NULL DEFAULT '',       -- the home's manager or placements contact (a work contact)
  contact_email TEXT NOT NULL DEFAULT '',
  hlc TEXT NOT NULL,
  origin TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX provider_by_cqc ON provider (cqc_location_id);
CREATE INDEX provider_by_area ON provider (local_authority, district);

-- Admissions status per provider and bed category: one row per (provider, category) that has ever been
-- set (id = provider_id || '/' || category). A child table rather than a JSON column on provider, because
-- different brokers close and reopen different categories concurrently: each row merges on its own
-- clock, and matching reads closures with an indexed join instead of parsing text. category '' = all.
CREATE TABLE provider_admissions (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL DEFAULT '' CHECK (category IN ('', 'residential', 'residential_dementia', 'nursing',
    'nursing_dementia', 'learning_disability', 'mental_health', 'young_physical_disability', 'respite', 'short_stay')),
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  reason TEXT NOT NULL DEFAULT '' CHECK (reason IN ('', 'outbreak', 'quality', 'staffing', 'other')),
  since TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  hlc TEXT NOT NULL,
  origin TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX provider_admissions_by_provider ON provider_admissions (provider_id, status);

CREATE TABLE bed (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL DEFAULT '',
  room TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL DEFAULT 'residential' CHECK (category IN ('residential', 'residential_dementia', 'nursing',
    'nursing_dementia', 'learning_disability', 'mental_health', 'young_physical_disability', 'respite', 'short_stay')),
  contract TEXT NOT NULL DEFAULT 'spot' CHECK (contract IN ('block', 'framework', 'spot')),
  block_tier TEXT NOT NULL DEFAULT '' CHECK (block_tier IN ('', 'T1', 'T2', 'T3')),
  weekly_rate_pence INTEGER NOT NULL DEFAULT 0,
  en_suite INTEGER NOT NULL DEFAULT 0,
  ground_floor INTEGER NOT NULL DEFAULT 0,
  bariatric INTEGER NOT NULL DEFAULT 0,
  hoist INTEGER NOT NULL DEFAULT 0,
  single_sex_unit TEXT NOT NULL DEFAULT '' CHECK (single_sex_unit IN ('', 'female', 'male')),
  flexibility_clause INTEGER NOT NULL DEFAULT 0, -- a long-term block bed that may be used short-term
  status TEXT NOT NULL DEFAULT 'vacant' CHECK (status IN ('vacant', 'held', 'occupied', 'unavailable')),
  status_since TEXT NOT NULL DEFAULT '',         -- vacant since / held since / occupied since / unavailable since
  held_for_referral_id TEXT NOT NULL DEFAULT '', -- status 'held': the referral, until held_until
  held_until TEXT NOT NULL DEFAULT '',           -- ISO instant
  unavailable_reason TEXT NOT NULL DEFAULT '' CHECK (unavailable_reason IN ('', 'outbreak', 'maintenance',
    'staffing', 'quality', 'other')),
  hlc TEXT NOT NULL,
  origin TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX bed_by_provider ON bed (provider_id, status);
CREATE INDEX bed_by_status ON bed (status, category, contract);

-- Homecare hours a provider has free per week, by zone and time band, from a date.
CREATE TABLE homecare_capacity (
  id TEXT PRIMARY KEY,
  provider_id TEXT NOT NULL DEFAULT '',
  zone TEXT NOT NULL DEFAULT '',                -- the council's homecare zone, e.g. 'Huntingdon', 'PE29'
  band TEXT NOT NULL DEFAULT 'morning' CHECK (band IN ('morning', 'lunch', 'tea', 'bed', 'night')),
  hours_per_week REAL NOT NULL DEFAULT 0,
  available_from TEXT NOT NULL DEFAULT '',
  double_up INTEGER NOT NULL DEFAULT 0,         -- can staff double-up (two-carer) calls
  female_carers INTEGER NOT NULL DEFAULT 1,
  male_carers INTEGER NOT NULL DEFAULT 1,
  contract TEXT NOT NULL DEFAULT 'dps' CHECK (contract IN ('block', 'dps', 'spot')), -- block car or DPS
  hourly_rate_pence INTEGER NOT NULL DEFAULT 0,
  hlc TEXT NOT NULL,
  origin TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX homecare_capacity_by_zone ON homecare_capacity (zone, band);
CREATE INDEX homecare_capacity_by_provider ON homecare_capacity (provider_id);

CREATE TABLE referral (
  id TEXT PRIMARY KEY,
  nhs_number TEXT NOT NULL DEFAULT '',          -- 10 digits, modulus-11 checked on entry
  name TEXT NOT NULL DEFAULT '',
  date_of_birth TEXT NOT NULL DEFAULT '',
  gender TEXT NOT NULL DEFAULT '' CHECK (gender IN ('', 'female', 'male', 'other')),
  location_kind TEXT NOT NULL DEFAULT 'hospital' CHECK (location_kind IN ('hospital', 'community')),
  hospital_code TEXT NOT NULL DEFAULT '',       -- ODS site code of the hospital, when in hospital
  postcode TEXT NOT NULL DEFAULT '',            -- where the person is now (hospital site or home)
  preferred_postcode TEXT NOT NULL DEFAULT '',
  max_distance_km REAL NOT NULL DEFAULT 0,      -- 0: no limit
  pathway TEXT NOT NULL DEFAULT 'P3' CHECK (pathway IN ('P1', 'P2', 'P3', 'community_crisis', 'respite')),
  category TEXT NOT NULL DEFAULT '' CHECK (category IN ('', 'residential', 'residential_dementia', 'nursing',
    'nursing_dementia', 'learning_disability', 'mental_health', 'young_physical_disability', 'respite', 'short_stay')),
  needs TEXT NOT NULL DEFAULT '',               -- codes: dementia,nursing,hoist,double_up,bariatric,...
  homecare_calls_per_day INTEGER NOT NULL DEFAULT 0,  -- the homecare pattern (P1); 0 calls: none
  homecare_minutes_per_call INTEGER NOT NULL DEFAULT 0,
  homecare_bands TEXT NOT NULL DEFAULT '',
  homecare_double_up INTEGER NOT NULL DEFAULT 0,
  homecare_carer_gender TEXT NOT NULL DEFAULT '' CHECK (homecare_carer_gender IN ('', 'female', 'male')),
  infection_status TEXT NOT NULL DEFAULT 'unknown' CHECK (infection_status IN ('unknown', 'negative', 'positive', 'contact')),
  funding TEXT NOT NULL DEFAULT 'la' CHECK (funding IN ('la', 'chc', 'joint', 'fnc', 'self_funder', 'top_up')),
  weekly_budget_pence INTEGER NOT NULL DEFAULT 0,
  discharge_ready_date TEXT NOT NULL DEFAULT '',
  priority TEXT NOT NULL DEFAULT 'routine' CHECK (priority IN ('routine', 'urgent', 'hand_back')),
  status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'sourcing', 'offered', 'accepted', 'placed', 'cancelled')),
  assigned_broker TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  created_date TEXT NOT NULL DEFAULT '',
  hlc TEXT NOT NULL,
  origin TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX referral_by_status ON referral (status, discharge_ready_date);
CREATE INDEX referral_by_nhs_number ON referral (nhs_number);

-- A package sent to a provider (anonymised: needs, area, start date; never the name) and its answer.
CREATE TABLE offer (
  id TEXT PRIMARY KEY,
  referral_id TEXT NOT NULL DEFAULT '',
  provider_id TEXT NOT NULL DEFAULT '',
  bed_id TEXT NOT NULL DEFAULT '',              -- a care home offer for a particular bed, if any
  homecare_capacity_id TEXT NOT NULL DEFAULT '',
  sent_at TEXT NOT NULL DEFAULT '',
  respond_by TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn', 'expired')),
  decline_reason TEXT NOT NULL DEFAULT '' CHECK (decline_reason IN ('', 'no_capacity', 'cannot_meet_needs',
    'not_compatible', 'infection', 'staffing', 'price', 'other')),
  weekly_cost_pence INTEGER NOT NULL DEFAULT 0,
  note TEXT NOT NULL DEFAULT '',
  hlc TEXT NOT NULL,
  origin TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX offer_by_referral ON offer (referral_id);
CREATE INDEX offer_by_provider ON offer (provider_id, status);

-- A person placed: in a bed, or with a homecare package (hours taken from a capacity row).
CREATE TABLE placement (
  id TEXT PRIMARY KEY,
  referral_id TEXT NOT NULL DEFAULT '',
  provider_id TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT 'care_home' CHECK (kind IN ('care_home', 'homecare')),
  bed_id TEXT NOT NULL DEFAULT '',
  homecare_capacity_id TEXT NOT NULL DEFAULT '',
  hours_per_week REAL NOT NULL DEFAULT 0,
  start_date TEXT NOT NULL DEFAULT '',
  end_date TEXT NOT NULL DEFAULT '',            -- '' while open
  weekly_cost_pence INTEGER NOT NULL DEFAULT 0,
  funding TEXT NOT NULL DEFAULT 'la' CHECK (funding IN ('la', 'chc', 'joint', 'fnc', 'self_funder', 'top_up')),
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('planned', 'active', 'ended', 'handed_back')),
  hlc TEXT NOT NULL,
  origin TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX placement_by_bed ON placement (bed_id, start_date);
CREATE INDEX placement_by_referral ON placement (referral_id);
CREATE INDEX placement_by_provider ON placement (provider_id, status);

-- A provider giving a package back: the person must be re-brokered ahead of the queue.
CREATE TABLE handback (
  id TEXT PRIMARY KEY,
  placement_id TEXT NOT NULL DEFAULT '',
  referral_id TEXT NOT NULL DEFAULT '',
  provider_id TEXT NOT NULL DEFAULT '',
  notice_date TEXT NOT NULL DEFAULT '',
  end_date TEXT NOT NULL DEFAULT '',            -- the last day the provider will deliver
  hours_per_week REAL NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT '' CHECK (reason IN ('', 'staffing', 'needs_changed', 'unsafe', 'price', 'other')),
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'rebrokered', 'withdrawn')),
  hlc TEXT NOT NULL,
  origin TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX handback_by_status ON handback (status);

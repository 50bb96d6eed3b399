-- Real CQC data in (issue 22). A provider's rating may be one of CQC's two outcomes that are not ratings
-- ('inspected_but_not_rated', 'insufficient_evidence'), and a provider records where its position came
-- from: the import file's own latitude/longitude ('exact') or its postcode district's centre ('outcode').
-- SQLite cannot alter a CHECK, so the table is rebuilt as in 0004; the new column goes last (after
-- `deleted`), as ALTER TABLE ADD COLUMN would put it, so earlier columns keep their places.

CREATE TABLE provider_next (
  id TEXT PRIMARY KEY,
  cqc_location_id TEXT NOT NULL DEFAULT '',   -- e.g. '1-1000210669'; '' for providers not registered with CQC
  cqc_provider_id TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL DEFAULT '',
  also_known_as TEXT NOT NULL DEFAULT '',
  kind TEXT NOT NULL DEFAULT 'care_home' CHECK ((kind = 'care_home' OR kind = 'homecare_agency' OR kind = 'other')),
  operator_name TEXT NOT NULL DEFAULT '',      -- the CQC "provider" (the company running the location)
  address TEXT NOT NULL DEFAULT '',
  postcode TEXT NOT NULL DEFAULT '',
  latitude REAL,                               -- NULL when the postcode could not be placed
  longitude REAL,
  local_authority TEXT NOT NULL DEFAULT '',    -- the council, e.g. 'Cambridgeshire', 'Peterborough'
  district TEXT NOT NULL DEFAULT '',           -- lower-tier district, e.g. 'Huntingdonshire'
  region TEXT NOT NULL DEFAULT '',
  registration TEXT NOT NULL DEFAULT '' CHECK ((registration = '' OR registration = 'residential' OR registration = 'nursing' OR registration = 'residential_nursing')),
  specialisms TEXT NOT NULL DEFAULT '',        -- codes: dementia,learning_disability,mental_health,...
  service_types TEXT NOT NULL DEFAULT '',      -- CQC's service types as published, '|'-separated
  cqc_rating TEXT NOT NULL DEFAULT '' CHECK ((cqc_rating = '' OR cqc_rating = 'outstanding' OR cqc_rating = 'good' OR cqc_rating = 'requires_improvement' OR cqc_rating = 'inadequate' OR cqc_rating = 'inspected_but_not_rated' OR cqc_rating = 'insufficient_evidence')),
  last_inspection TEXT NOT NULL DEFAULT '',
  registered_beds INTEGER NOT NULL DEFAULT 0,  -- from CQC extracts that carry it; 0 when unknown
  trusted_assessor INTEGER NOT NULL DEFAULT 0, -- accepts a trusted assessor's assessment instead of visiting
  phone TEXT NOT NULL DEFAULT '',
  website TEXT NOT NULL DEFAULT '',
  contact_name TEXT NOT NULL DEFAULT '',       -- the home's manager or placements contact (a work contact)
  contact_email TEXT NOT NULL DEFAULT '',
  hlc TEXT NOT NULL,
  origin TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  position_source TEXT NOT NULL DEFAULT '' CHECK ((position_source = '' OR position_source = 'exact' OR position_source = 'outcode'))
);
-- Every position stored so far came from a postcode district's centre.
INSERT INTO provider_next SELECT *, CASE WHEN latitude IS NULL THEN '' ELSE 'outcode' END FROM provider;
DROP TABLE provider;
ALTER TABLE provider_next RENAME TO provider;
CREATE INDEX provider_by_cqc ON provider (cqc_location_id);
CREATE INDEX provider_by_area ON provider (local_authority, district);

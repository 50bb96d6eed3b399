-- Beds are looked up by status only for holds: the expiry sweep, releasing a placed person's other holds,
-- and the names of the people beds are held for. A bed is held for hours, so the index on (status,
-- category, contract), which every bed paid for on every insert and status change, becomes a partial
-- index of the held beds only. It leads with `status`, as the old one did, so that SQLite (which keeps no
-- statistics here) sees an equality on its first column and takes it for the lookups. Measured
-- (tests/bench/bench_bulk, 200,000 pulled beds applied in pages of 5,000, Release, quiet machine):
-- 147,000 -> 199,000 rows/s. The sweep for care that has ended reads the occupied beds, most of a
-- council's beds, and scans the table either way. A hub has already dropped bed_by_status (it keeps only
-- the indexes its own queries use), hence IF EXISTS.
DROP INDEX IF EXISTS bed_by_status;
CREATE INDEX bed_held ON bed (status, held_for_referral_id, held_until) WHERE status = 'held';

-- Outbox payloads in a compact encoding (FORMAT.md, "Outbox"). The cereal-encoded Mutation repeated the
-- entry's own columns (id, kind, entity, row, clock) and spent eight bytes on every length: more than half
-- of an England demo store (1.2 GB) was outbox. New entries are written with encoding 2; entries already
-- in the outbox keep encoding 1 and are pushed as they are.
ALTER TABLE outbox ADD COLUMN encoding INTEGER NOT NULL DEFAULT 1;

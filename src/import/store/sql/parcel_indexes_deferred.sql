-- The indexes a first load of parcels builds after its COPYs instead of row by row: every index
-- of the parcels and their recorded holders but a constraint's (its index cannot be dropped
-- alone; uids come in order, so the primary key's inserts stay cheap), and none of a table that
-- already holds a row, nor a partial one: its rows are the few its predicate takes (parcels whose
-- commune is unknown), cheap to add one by one, while building it scans the whole table (18 ms
-- of a 100,000-parcel import's last steps). Their definitions come from the catalogue, so the
-- migrations stay the one place they are written. Parcels' first, as they were made.
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i
WHERE NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
  AND i.indpred IS NULL
  AND ((i.indrelid = 'parcels'::regclass AND NOT EXISTS (SELECT FROM parcels))
    OR (i.indrelid = 'personal.recorded_holders'::regclass
        AND NOT EXISTS (SELECT FROM personal.recorded_holders)))
ORDER BY i.indrelid = 'parcels'::regclass DESC, i.indexrelid

-- The indexes a first load of parcels builds after its COPY instead of row by row: every index
-- of the table but its primary key's (a constraint's index cannot be dropped alone; uids come in
-- order, so its inserts stay cheap), and none at all unless the table holds no row yet. Their
-- definitions come from the catalogue, so the migrations stay the one place they are written.
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i
WHERE i.indrelid = 'parcels'::regclass
  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
  AND NOT EXISTS (SELECT FROM parcels)
ORDER BY i.indexrelid

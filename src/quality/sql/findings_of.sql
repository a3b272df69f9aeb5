-- The findings of some communes (all with NULL), of one kind or all, for the list and the CLI.
SELECT q.id, q.kind, q.commune_code, q.parcels, q.measure, q.unit, q.detail,
       ST_X(ST_PointOnSurface(q.geom)) AS lon, ST_Y(ST_PointOnSurface(q.geom)) AS lat, q.found_at,
       t.no AS ticket
FROM quality_findings q
LEFT JOIN personal.correction_tickets t ON t.finding_id = q.id
WHERE ($1::text[] IS NULL OR q.commune_code = ANY ($1)) AND ($2::text IS NULL OR q.kind = $2)
ORDER BY q.commune_code, q.kind, q.parcels

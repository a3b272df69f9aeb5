-- The communes (recorded and current) of the parcel versions event $1 closed or opened.
SELECT DISTINCT c
FROM parcel_events e
JOIN parcels p ON p.uid = ANY (e.closed || e.opened)
CROSS JOIN LATERAL unnest(ARRAY[p.commune_code_recorded, p.commune_code]) AS c
WHERE e.id = $1 AND c IS NOT NULL

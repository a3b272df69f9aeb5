-- Legacy keys that two current parcels share once pre-reform communes are read as their 2025
-- commune; and parcels an import repaired (MakeValid), from the imports' reports.
INSERT INTO found
SELECT 'duplicate_key', coalesce(a.commune_code, a.commune_code_recorded), ARRAY[a.parcel_id, b.parcel_id], NULL::float8, NULL::text,
       format('sheet %s parcel %s of commune %s is recorded twice: as %s and as %s', a.sheet, a.parcel_no,
              a.commune_code, a.commune_code_recorded, b.commune_code_recorded),
       ST_PointOnSurface(a.geom)
FROM parcels a
JOIN parcels b ON b.valid_to IS NULL AND b.commune_code = a.commune_code AND b.sheet = a.sheet
              AND b.parcel_no = a.parcel_no AND a.parcel_id < b.parcel_id
WHERE a.valid_to IS NULL AND coalesce(a.commune_code, a.commune_code_recorded) = ANY ($1)
UNION ALL
SELECT DISTINCT ON (p.parcel_id) 'repaired', coalesce(p.commune_code, p.commune_code_recorded), ARRAY[p.parcel_id], NULL::float8, NULL::text,
       format('parcel %s was repaired when imported from %s: %s', p.parcel_id, array_to_string(i.sources, ', '),
              l.line->>'detail'),
       ST_PointOnSurface(p.geom)
FROM parcels p
JOIN imports i ON i.id = p.import_id
CROSS JOIN LATERAL jsonb_array_elements(i.report) AS l (line)
WHERE p.valid_to IS NULL AND coalesce(p.commune_code, p.commune_code_recorded) = ANY ($1) AND l.line->>'action' = 'repaired'
  AND split_part(l.line->>'subject', ' ', 1) = p.commune_code_recorded || '-' || p.sheet || '-' || p.parcel_no

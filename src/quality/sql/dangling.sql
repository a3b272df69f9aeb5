-- Housing units pointing at a parcel that is no longer current (split, merged or retired), in
-- the communes its last version lay in.
INSERT INTO found
SELECT 'dangling_reference', last.commune_code, ARRAY[u.parcel_id], count(*), 'units',
       format('%s unit(s) of project %s point at parcel %s, which is no longer current', count(*), u.project_code,
              u.parcel_id),
       ST_PointOnSurface(last.geom)
FROM units u
CROSS JOIN LATERAL (SELECT coalesce(p.commune_code, p.commune_code_recorded) AS commune_code, p.geom
                    FROM parcels p WHERE p.parcel_id = u.parcel_id
                    ORDER BY p.valid_from DESC LIMIT 1) last
WHERE last.commune_code = ANY ($1)
  AND NOT EXISTS (SELECT 1 FROM parcels c WHERE c.parcel_id = u.parcel_id AND c.valid_to IS NULL)
GROUP BY last.commune_code, last.geom, u.parcel_id, u.project_code

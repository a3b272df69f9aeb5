-- Refreshes the communes $1: parcel count and main land use always, the outline (the union of
-- current parcels, streets closed: commune_outline) only for those of $2 whose geometries changed.
UPDATE admin_outlines o
SET parcels = g.parcels, land_use_main = g.land_use, geom = CASE WHEN o.code = ANY ($2) THEN g.geom ELSE o.geom END
FROM unnest($1::text[]) AS u (code)
CROSS JOIN LATERAL (
    SELECT count(*) AS parcels, mode() WITHIN GROUP (ORDER BY p.land_use[1]) AS land_use,
           CASE WHEN u.code = ANY ($2) THEN commune_outline(ST_Union(p.geom)) END AS geom
    FROM parcels p
    WHERE p.valid_to IS NULL
      AND (p.commune_code = u.code OR (p.commune_code IS NULL AND p.commune_code_recorded = u.code))
) AS g
WHERE o.kind = 'commune' AND o.code = u.code
  -- A row that would stay as it is is not written (nor notified, nor reloaded).
  AND (o.code = ANY ($2) OR (o.parcels, o.land_use_main) IS DISTINCT FROM (g.parcels, g.land_use))

-- Refreshes the communes $1: parcel count and main land use always, the outline only for those
-- of $2 whose geometries changed, to $3 (their outlines as EWKB, from outlines_shapes.sql).
UPDATE admin_outlines o
SET parcels = g.parcels, land_use_main = g.land_use, geom = CASE WHEN s.code IS NULL THEN o.geom ELSE s.geom END
FROM unnest($1::text[]) AS u (code)
CROSS JOIN LATERAL (
    SELECT count(*) AS parcels, mode() WITHIN GROUP (ORDER BY p.land_use[1]) AS land_use
    FROM parcels p
    WHERE p.valid_to IS NULL
      AND (p.commune_code = u.code OR (p.commune_code IS NULL AND p.commune_code_recorded = u.code))
) AS g
LEFT JOIN (SELECT code, ST_GeomFromEWKB(wkb) AS geom FROM unnest($2::text[], $3::bytea[]) AS s (code, wkb)) AS s
    ON s.code = u.code
WHERE o.kind = 'commune' AND o.code = u.code
  -- A row that would stay as it is is not written (nor notified, nor reloaded).
  AND (s.code IS NOT NULL OR (o.parcels, o.land_use_main) IS DISTINCT FROM (g.parcels, g.land_use))

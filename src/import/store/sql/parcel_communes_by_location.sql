-- Parcels whose recorded commune code is not a 2025 commune: the loaded boundary that holds them.
UPDATE parcels p SET commune_code = c.code
FROM communes c
WHERE p.import_id = $1 AND p.commune_code IS NULL
    AND c.geom IS NOT NULL AND ST_Contains(c.geom, ST_PointOnSurface(p.geom))

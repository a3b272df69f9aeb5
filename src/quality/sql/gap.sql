-- Holes inside a surveyed block (the parcels of one sheet as recorded) of $2 to $3 m²: larger
-- ones are roads, water or land not yet surveyed rather than a gap between parcels.
INSERT INTO found
SELECT 'gap', h.commune_code, array(SELECT p.parcel_id FROM parcels p
                                    WHERE p.valid_to IS NULL AND coalesce(p.commune_code, p.commune_code_recorded) = h.commune_code
                                      AND ST_Intersects(p.geom, ST_Buffer(h.ring, 1e-7)) ORDER BY p.parcel_id),
       round(h.m2::numeric, 2), 'm2',
       format('a gap of %s m² between parcels of sheet %s', round(h.m2::numeric, 2), h.sheet),
       ST_PointOnSurface(h.ring)
FROM (
    SELECT b.commune_code, b.sheet, r.geom AS ring, ST_Area(r.geom::geography) AS m2
    FROM (SELECT coalesce(p.commune_code, p.commune_code_recorded) AS commune_code, p.sheet,
                 ST_Union(p.geom) AS geom
          FROM parcels p WHERE p.valid_to IS NULL AND coalesce(p.commune_code, p.commune_code_recorded) = ANY ($1)
          GROUP BY p.commune_code, p.commune_code_recorded, p.sheet) b
    CROSS JOIN LATERAL ST_Dump(b.geom) AS d
    CROSS JOIN LATERAL (SELECT ST_MakePolygon(ST_InteriorRingN(d.geom, n)) AS geom
                        FROM generate_series(1, ST_NumInteriorRings(d.geom)) AS n) r
) h
WHERE h.m2 BETWEEN $2 AND $3

-- Thin small parcels: under $3 m² with a compactness (4πA/P²) under $2.
INSERT INTO found
SELECT 'sliver', coalesce(p.commune_code, p.commune_code_recorded), ARRAY[p.parcel_id], round(s.compactness::numeric, 3), 'compactness',
       format('parcel %s is a sliver: %s m², compactness %s', p.parcel_id, round(s.m2::numeric, 1),
              round(s.compactness::numeric, 3)),
       ST_PointOnSurface(p.geom)
FROM parcels p
CROSS JOIN LATERAL (SELECT ST_Area(p.geom::geography) AS m2, ST_Perimeter(p.geom::geography) AS perimeter) a
CROSS JOIN LATERAL (SELECT a.m2 AS m2, 4 * pi() * a.m2 / nullif(a.perimeter ^ 2, 0) AS compactness) s
WHERE p.valid_to IS NULL AND coalesce(p.commune_code, p.commune_code_recorded) = ANY ($1) AND s.m2 < $3 AND s.compactness < $2

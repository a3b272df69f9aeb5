-- Parcels reaching more than $2 m² outside their commune's boundary (where one is loaded).
INSERT INTO found
SELECT 'outside_commune', p.commune_code, ARRAY[p.parcel_id], round(o.m2::numeric, 2), 'm2',
       format('parcel %s lies %s m² outside commune %s', p.parcel_id, round(o.m2::numeric, 2), c.code),
       ST_PointOnSurface(o.g)
FROM parcels p
JOIN communes c ON c.code = p.commune_code AND c.geom IS NOT NULL
CROSS JOIN LATERAL (SELECT ST_Difference(p.geom, c.geom) AS g) d
CROSS JOIN LATERAL (SELECT d.g AS g, ST_Area(d.g::geography) AS m2) o
WHERE p.valid_to IS NULL AND p.commune_code = ANY ($1) AND NOT ST_CoveredBy(p.geom, c.geom) AND o.m2 > $2

-- Current parcels whose interiors overlap by more than $2 m².
INSERT INTO found
SELECT 'overlap', coalesce(a.commune_code, a.commune_code_recorded), ARRAY[a.parcel_id, b.parcel_id], round(o.m2::numeric, 2), 'm2',
       format('parcels %s and %s overlap by %s m²', a.parcel_id, b.parcel_id, round(o.m2::numeric, 2)),
       ST_PointOnSurface(i.g)
FROM parcels a
JOIN parcels b ON b.valid_to IS NULL AND a.geom && b.geom AND a.parcel_id < b.parcel_id
CROSS JOIN LATERAL (SELECT ST_Intersection(a.geom, b.geom) AS g) i
CROSS JOIN LATERAL (SELECT ST_Area(i.g::geography) AS m2) o
WHERE a.valid_to IS NULL AND coalesce(a.commune_code, a.commune_code_recorded) = ANY ($1) AND ST_Relate(a.geom, b.geom, '2********') AND o.m2 > $2

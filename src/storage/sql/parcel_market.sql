-- The project whose boundary holds a parcel version ($1, its uid), and the units recorded on it.
SELECT (SELECT pj.code FROM projects pj WHERE ST_Contains(pj.geom, ST_PointOnSurface(p.geom)) ORDER BY pj.code LIMIT 1),
       (SELECT count(*) FROM units u WHERE u.parcel_id = p.parcel_id)
FROM parcels p
WHERE p.uid = $1

-- Versions $1 joined: whether they form one connected piece (allowing gaps of about 10 cm
-- between edges digitised apart), and their union (EWKB, WGS84).
SELECT ST_NumGeometries(ST_Union(ST_Buffer(geom, 0.000001))) = 1 AS connected,
       ST_Multi(ST_Union(geom)) AS geom
FROM parcels
WHERE uid = ANY ($1)

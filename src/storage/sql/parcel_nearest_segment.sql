-- The price segment nearest a current parcel (the index finds candidates, geography ranks them).
SELECT s.code, s.street, s.from_point, s.to_point, ST_Distance(s.geom::geography, p.geom::geography) AS distance_m
FROM parcels p
CROSS JOIN LATERAL (SELECT * FROM price_segments s ORDER BY s.geom <-> p.geom LIMIT 5) AS s
WHERE p.parcel_id = $1 AND p.valid_to IS NULL
ORDER BY distance_m
LIMIT 1

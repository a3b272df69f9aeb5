-- Planning zones meeting a current parcel, with the share of the parcel's area in each.
SELECT z.zone_code, z.plan_name, z.plan_level, z.land_use, z.status, z.decision_no, z.decision_date,
       (ST_Area(ST_Intersection(z.geom, p.geom)::geography) / ST_Area(p.geom::geography))::float8 AS share
FROM parcels p
JOIN planning_zones z ON ST_Intersects(z.geom, p.geom)
WHERE p.parcel_id = $1 AND p.valid_to IS NULL
ORDER BY share DESC

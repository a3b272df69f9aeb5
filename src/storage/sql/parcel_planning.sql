-- Planning zones meeting a parcel version ($1, its uid), with the share of the parcel's area in each.
SELECT z.zone_code, z.plan_name, z.plan_level, z.land_use, z.status, z.decision_no, z.decision_date,
       (ST_Area(ST_Intersection(z.geom, p.geom)::geography) / ST_Area(p.geom::geography))::float8 AS share
FROM parcels p
JOIN planning_zones z ON ST_Intersects(z.geom, p.geom)
WHERE p.uid = $1
ORDER BY share DESC

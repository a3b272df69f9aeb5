SELECT z.zone_code, z.plan_name, z.plan_level, z.land_use, z.status, z.decision_no, z.decision_date,
       z.period_start, z.period_end, ST_AsGeoJSON(z.geom)::json AS geometry
FROM planning_zones z
WHERE ST_Intersects(z.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))
ORDER BY z.plan_name, z.zone_code

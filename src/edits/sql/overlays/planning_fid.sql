-- The id of the zone with identity $1 (plan / zone code).
SELECT id::text FROM planning_zones WHERE plan_name || ' / ' || zone_code = $1

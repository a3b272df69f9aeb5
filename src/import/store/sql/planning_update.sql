-- Zones an edit replaces, found by their key (plan and zone code); the parameters of
-- planning_insert.sql.
UPDATE planning_zones z
SET plan_level = x.plan_level, period_start = x.period_start, period_end = x.period_end,
    decision_no = x.decision_no, decision_date = x.decision_date, status = x.status,
    land_use = string_to_array(x.land_use, '+'), geom = ST_Multi(ST_GeomFromEWKB(x.geom)), import_id = $11
FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::date[], $8::text[],
            $9::text[], $10::bytea[])
    AS x (zone_code, plan_name, plan_level, period_start, period_end, decision_no, decision_date, status,
          land_use, geom)
WHERE z.zone_code = x.zone_code AND z.plan_name = x.plan_name

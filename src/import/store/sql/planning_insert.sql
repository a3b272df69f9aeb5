INSERT INTO planning_zones (zone_code, plan_name, plan_level, period_start, period_end, decision_no,
                            decision_date, status, land_use, geom, import_id)
SELECT z.zone_code, z.plan_name, z.plan_level, z.period_start, z.period_end, z.decision_no,
       z.decision_date, z.status, string_to_array(z.land_use, '+'), ST_Multi(ST_GeomFromEWKB(z.geom)), $11
FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::date[], $8::text[],
            $9::text[], $10::bytea[])
    AS z (zone_code, plan_name, plan_level, period_start, period_end, decision_no, decision_date, status,
          land_use, geom)

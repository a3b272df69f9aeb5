-- Projects an edit replaces, found by code; the parameters of projects_insert.sql.
UPDATE projects p
SET name = x.name, investor = x.investor, kind = x.kind, status = x.status, progress_pct = x.progress_pct,
    total_investment_vnd = x.total_investment_vnd, land_area_m2 = x.land_area_m2,
    policy_decision_no = x.policy_decision_no, policy_decision_date = x.policy_decision_date,
    geom = ST_Multi(ST_GeomFromEWKB(x.geom)), import_id = $12
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::bigint[], $8::float8[],
            $9::text[], $10::date[], $11::bytea[])
    AS x (code, name, investor, kind, status, progress_pct, total_investment_vnd, land_area_m2,
          policy_decision_no, policy_decision_date, geom)
WHERE p.code = x.code

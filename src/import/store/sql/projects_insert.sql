INSERT INTO projects (code, name, investor, kind, status, progress_pct, total_investment_vnd, land_area_m2,
                      policy_decision_no, policy_decision_date, geom, import_id)
SELECT p.code, p.name, p.investor, p.kind, p.status, p.progress_pct, p.total_investment_vnd, p.land_area_m2,
       p.policy_decision_no, p.policy_decision_date, ST_Multi(ST_GeomFromEWKB(p.geom)), $12
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::bigint[], $8::float8[],
            $9::text[], $10::date[], $11::bytea[])
    AS p (code, name, investor, kind, status, progress_pct, total_investment_vnd, land_area_m2,
          policy_decision_no, policy_decision_date, geom)

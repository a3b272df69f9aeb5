INSERT INTO land_prices (segment_code, land_use, position, price_vnd_m2, decision_no, effective_from,
                         effective_to, import_id)
SELECT p.segment_code, p.land_use, p.position, p.price, p.decision_no, p.effective_from, p.effective_to, $8
FROM unnest($1::text[], $2::text[], $3::smallint[], $4::bigint[], $5::text[], $6::date[], $7::date[])
    AS p (segment_code, land_use, position, price, decision_no, effective_from, effective_to)

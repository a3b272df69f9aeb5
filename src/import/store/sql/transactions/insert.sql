-- The transactions of one change (the one this transaction opened: its id is the sequence's
-- current value), recorded as submitted by the change's actor.
WITH c AS (SELECT id, actor FROM changes WHERE id = currval(pg_get_serial_sequence('changes', 'id')))
INSERT INTO personal.transactions
    (contract_no, contract_date, kind, stage, product_id, parcel_id, price_vnd, area_m2, lease_end, seller, buyer,
     notarised, notary_office, source, broker_certificate, submitted_by, change_id, import_id)
SELECT r.contract_no, r.contract_date, r.kind, r.stage, r.product_id, r.parcel_id, r.price_vnd, r.area_m2,
       r.lease_end, r.seller, r.buyer, r.notary_office IS NOT NULL, r.notary_office, r.source, r.broker,
       c.actor, c.id, $15
FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::float8[],
            $9::date[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
         AS r (contract_no, contract_date, kind, stage, product_id, parcel_id, price_vnd, area_m2, lease_end, seller,
               buyer, notary_office, source, broker)
CROSS JOIN c
RETURNING id

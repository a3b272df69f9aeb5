-- For each transaction ($1 product IDs, $2 parcel IDs, one of the two per row; $3 contract dates;
-- $4 broker certificate IDs): the parcel concerned, whether the product is known, whether the
-- parcel was current on the contract date (a version in force during that day, Vietnam time; a
-- version loaded by an import stands for the parcel's whole past before it), and whether the
-- broker's certificate, if named, was in force that day.
SELECT coalesce(s.parcel_id, u.parcel_id) AS parcel_id,
       s.product_id IS NULL OR u.product_id IS NOT NULL AS known,
       EXISTS (
           SELECT 1 FROM parcels p
           WHERE p.parcel_id = coalesce(s.parcel_id, u.parcel_id)
             AND (p.import_id IS NOT NULL OR p.valid_from < (s.on_date + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
             AND (p.valid_to IS NULL OR p.valid_to > s.on_date::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh')
       ) AS current_then,
       s.broker IS NULL OR EXISTS (
           SELECT 1 FROM personal.brokers b
           WHERE b.province_code || b.holder_id || to_char(b.issued_on, 'YYYYMMDD') || lpad(b.certificate_no::text, 6, '0')
                 = left(s.broker, 28)
             AND b.issued_on <= s.on_date AND (b.revoked_on IS NULL OR b.revoked_on > s.on_date)
       ) AS broker_in_force
FROM unnest($1::text[], $2::text[], $3::date[], $4::text[]) WITH ORDINALITY AS s (product_id, parcel_id, on_date, broker, n)
LEFT JOIN units u ON u.product_id = s.product_id
ORDER BY s.n

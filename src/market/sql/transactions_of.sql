-- Transactions of product $1 or parcel $2 (cancelled ones too), in contract order; $3: only those
-- submitted by this account, or of projects whose investor is $4 (NULL: all).
SELECT t.id, t.contract_no, t.contract_date, t.kind, t.stage, t.product_id, t.parcel_id, t.price_vnd, t.area_m2,
       round((t.price_vnd / t.area_m2)::numeric)::bigint AS price_vnd_m2, t.lease_end, t.seller, t.buyer,
       t.notarised, t.notary_office, t.source, t.broker_certificate, t.submitted_by, c.made_at AS recorded_at,
       t.cancelled_at, t.cancel_reason
FROM personal.transactions t
JOIN changes c ON c.id = t.change_id
LEFT JOIN units u ON u.product_id = t.product_id
LEFT JOIN projects pr ON pr.code = u.project_code
WHERE (t.product_id = $1 OR t.parcel_id = $2)
  AND ($3::text IS NULL OR t.submitted_by = $3 OR lower(pr.investor) = lower($4))
ORDER BY t.contract_date, t.id

-- Province $1's registries in year $2, month by month: registrations, amendments and releases
-- (events of its security interests), transactions recorded (by the time they were recorded, of
-- units and parcels in the province), and information provided (successful reads of either
-- registry about its parcels, from the audit trail).
WITH months AS (
    SELECT generate_series(1, 12) AS month
), events AS (
    SELECT extract(month FROM e.at AT TIME ZONE 'Asia/Ho_Chi_Minh')::int AS month, e.kind
    FROM personal.security_interest_events e
    WHERE e.registration_no LIKE 'TC-' || $1 || '-%'
      AND extract(year FROM e.at AT TIME ZONE 'Asia/Ho_Chi_Minh') = $2
), recorded AS (
    SELECT extract(month FROM c.made_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::int AS month
    FROM personal.transactions t
    JOIN changes c ON c.id = t.change_id
    LEFT JOIN units u ON u.product_id = t.product_id
    JOIN parcels p ON p.parcel_id = coalesce(t.parcel_id, u.parcel_id) AND p.valid_to IS NULL
    JOIN communes m ON m.code = p.commune_code
    WHERE m.province_code = $1 AND extract(year FROM c.made_at AT TIME ZONE 'Asia/Ho_Chi_Minh') = $2
), provided AS (
    SELECT extract(month FROM l.at AT TIME ZONE 'Asia/Ho_Chi_Minh')::int AS month
    FROM audit.log l
    JOIN parcels p ON p.parcel_id = substring(l.object FROM 'parcel=([0-9b-hjkmnp-z]{12})') AND p.valid_to IS NULL
    JOIN communes c ON c.code = p.commune_code
    WHERE l.action IN ('GET /api/mortgages', 'GET /api/transactions') AND l.outcome = 200 AND c.province_code = $1
      AND extract(year FROM l.at AT TIME ZONE 'Asia/Ho_Chi_Minh') = $2
)
SELECT m.month,
       (SELECT count(*) FROM events e WHERE e.month = m.month AND e.kind = 'registration') AS registrations,
       (SELECT count(*) FROM events e WHERE e.month = m.month AND e.kind = 'amendment') AS amendments,
       (SELECT count(*) FROM events e WHERE e.month = m.month AND e.kind = 'release') AS releases,
       (SELECT count(*) FROM recorded r WHERE r.month = m.month) AS transactions_recorded,
       (SELECT count(*) FROM provided i WHERE i.month = m.month) AS information_provided
FROM months m
ORDER BY m.month

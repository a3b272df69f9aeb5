-- The status of units $1 as their transactions not cancelled make it: leased while a signed lease
-- runs, else sold once a signed sale or transfer exists, else reserved by a deposit, else
-- available. Returns the units whose status changed.
WITH derived AS (
    SELECT u.product_id,
           CASE
               WHEN bool_or(t.kind = 'lease' AND t.stage = 'signed' AND current_date BETWEEN t.contract_date AND t.lease_end - 1)
                   THEN 'leased'
               WHEN bool_or(t.kind <> 'lease' AND t.stage = 'signed') THEN 'sold'
               WHEN bool_or(t.stage = 'deposit') THEN 'reserved'
               ELSE 'available'
           END AS status
    FROM units u
    LEFT JOIN personal.transactions t ON t.product_id = u.product_id AND t.cancelled_at IS NULL
    WHERE u.product_id = ANY ($1)
    GROUP BY u.product_id
)
UPDATE units u SET status = d.status
FROM derived d
WHERE u.product_id = d.product_id AND u.status <> d.status
RETURNING u.product_id

-- Conflicts of the transactions $1 with others not cancelled: a sale or transfer whose seller is
-- not the buyer of the sale before it (a second sale of what is already sold, rather than a
-- resale by its buyer), and leases of one thing on overlapping dates. One row per conflict: the
-- new transaction, the other contract's number and date, and which rule.
WITH touched AS (SELECT DISTINCT n.product_id, n.parcel_id FROM personal.transactions n WHERE n.id = ANY ($1)),
chain AS (
    SELECT t.id, t.seller, t.contract_no, t.contract_date,
           lag(t.id) OVER w AS before_id, lag(t.buyer) OVER w AS before_buyer,
           lag(t.contract_no) OVER w AS before_no, lag(t.contract_date) OVER w AS before_date
    FROM personal.transactions t
    JOIN touched s ON t.product_id IS NOT DISTINCT FROM s.product_id AND t.parcel_id IS NOT DISTINCT FROM s.parcel_id
    WHERE t.kind <> 'lease' AND t.stage = 'signed' AND t.cancelled_at IS NULL
    WINDOW w AS (PARTITION BY t.product_id, t.parcel_id ORDER BY t.contract_date, t.id)
)
SELECT CASE WHEN c.id = ANY ($1) THEN c.id ELSE c.before_id END AS id,
       CASE WHEN c.id = ANY ($1) THEN c.before_no ELSE c.contract_no END AS other_no,
       CASE WHEN c.id = ANY ($1) THEN c.before_date ELSE c.contract_date END AS other_date,
       'sale' AS rule
FROM chain c
WHERE c.before_id IS NOT NULL AND lower(c.seller) <> lower(c.before_buyer)
  AND (c.id = ANY ($1) OR c.before_id = ANY ($1))
UNION ALL
SELECT a.id, b.contract_no, b.contract_date, 'lease'
FROM personal.transactions a
JOIN personal.transactions b
  ON b.id <> a.id AND b.product_id IS NOT DISTINCT FROM a.product_id AND b.parcel_id IS NOT DISTINCT FROM a.parcel_id
WHERE a.id = ANY ($1) AND a.kind = 'lease' AND b.kind = 'lease' AND a.stage = 'signed' AND b.stage = 'signed'
  AND a.cancelled_at IS NULL AND b.cancelled_at IS NULL
  AND daterange(a.contract_date, a.lease_end) && daterange(b.contract_date, b.lease_end)
  AND (b.id < a.id OR NOT b.id = ANY ($1))

-- Market statistics of area $2 (a commune or province code) at level $1, of granularity $3
-- (month or quarter), in period $4 (NULL: every period), per product kind, in time order.
SELECT s.period, s.product_kind, s.suppressed, s.transactions, s.leases, s.total_value_vnd,
       s.median_price_mvnd_m2, s.mean_price_mvnd_m2, s.unsold_units
FROM market_stats s
WHERE s.level = $1 AND s.code = $2 AND s.granularity = $3 AND ($4::text IS NULL OR s.period = $4)
ORDER BY s.period, s.product_kind

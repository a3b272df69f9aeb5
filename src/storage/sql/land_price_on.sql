-- The price in force on a date for a segment, land use and position.
SELECT price_vnd_m2, decision_no, effective_from, effective_to
FROM land_prices
WHERE segment_code = $1 AND land_use = $2 AND position = $3
    AND effective_from <= $4 AND (effective_to IS NULL OR effective_to > $4)
ORDER BY effective_from DESC
LIMIT 1

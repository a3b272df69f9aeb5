-- Who may record a transaction of product $1 or parcel $2: the parcel's recorded and current
-- communes (its latest version) and, for a unit, its project's investor.
SELECT p.commune_code_recorded, p.commune_code, pr.investor
FROM (SELECT $1::text AS product_id, $2::text AS parcel_id) s
LEFT JOIN units u ON u.product_id = s.product_id
LEFT JOIN projects pr ON pr.code = u.project_code
JOIN LATERAL (
    SELECT p.commune_code_recorded, p.commune_code FROM parcels p
    WHERE p.parcel_id = coalesce(s.parcel_id, u.parcel_id)
    ORDER BY p.valid_to DESC NULLS FIRST LIMIT 1
) p ON true

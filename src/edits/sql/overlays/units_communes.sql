-- The communes (recorded and current) of the parcel unit $1 stands on.
SELECT DISTINCT c FROM units u
JOIN parcels p ON p.parcel_id = u.parcel_id AND p.valid_to IS NULL
CROSS JOIN LATERAL unnest(ARRAY[p.commune_code_recorded, p.commune_code]) AS c
WHERE u.product_id = $1 AND c IS NOT NULL

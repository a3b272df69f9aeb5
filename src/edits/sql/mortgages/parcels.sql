-- The current parcels among $1 with their recorded and current communes and its province.
SELECT p.parcel_id, p.commune_code_recorded, p.commune_code, c.province_code
FROM parcels p LEFT JOIN communes c ON c.code = p.commune_code
WHERE p.parcel_id = ANY ($1) AND p.valid_to IS NULL
ORDER BY array_position($1, p.parcel_id)

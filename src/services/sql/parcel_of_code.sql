-- The current parcel a code names (its parcel ID, or COMMUNE-SHEET-PARCEL as recorded) and its commune.
SELECT p.parcel_id, coalesce(p.commune_code, p.commune_code_recorded) AS commune_code
FROM parcels p
WHERE p.valid_to IS NULL
  AND (p.parcel_id = $1 OR (p.commune_code_recorded = $2 AND p.sheet = $3 AND p.parcel_no = $4))
LIMIT 1

-- The current version of a parcel, locked until the edit's transaction ends.
SELECT p.uid, p.commune_code_recorded, p.commune_code
FROM parcels p
WHERE p.parcel_id = $1 AND p.valid_to IS NULL
FOR UPDATE

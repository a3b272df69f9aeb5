-- The current version of a parcel, locked until the edit's transaction ends. Run after the
-- parcel's edit lock is held, so it sees the version the previous edit left.
SELECT p.uid, p.commune_code_recorded, p.commune_code
FROM parcels p
WHERE p.parcel_id = $1 AND p.valid_to IS NULL
FOR UPDATE

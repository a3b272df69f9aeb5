-- The current version of a parcel, locked until the edit's transaction ends. Run after the
-- parcel's edit lock is held, so it sees the version the previous edit left.
SELECT p.uid, p.parcel_id, p.commune_code_recorded, p.sheet, p.parcel_no, p.commune_code, p.land_use,
       p.legal_area_m2, p.alley_width_m, p.address, p.digital_address, p.source_crs, p.geom
FROM parcels p
WHERE p.parcel_id = $1 AND p.valid_to IS NULL
FOR UPDATE

-- Current parcels with what the index serves; all of them when $1 is NULL, else those uids.
SELECT p.uid, p.parcel_id, p.commune_code_recorded, p.sheet, p.parcel_no,
       p.commune_code, c.name AS commune_name, c.province_code, pr.name AS province_name,
       p.land_use, p.legal_area_m2, p.alley_width_m, p.address, p.digital_address, p.source_crs, p.geom
FROM parcels p
LEFT JOIN communes c ON c.code = p.commune_code
LEFT JOIN provinces pr ON pr.code = c.province_code
WHERE p.valid_to IS NULL AND ($1::bigint[] IS NULL OR p.uid = ANY ($1))

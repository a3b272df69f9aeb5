-- A parcel version with the names of its commune and province: one definition for every read
-- that serves parcels (the index's current ones, the map on a past date, an edit's current one).
CREATE VIEW parcel_rows AS
SELECT p.uid, p.parcel_id, p.commune_code_recorded, p.sheet, p.parcel_no,
       p.commune_code, c.name AS commune_name, c.province_code, pr.name AS province_name,
       p.land_use, p.legal_area_m2, p.alley_width_m, p.address, p.digital_address, p.source_crs, p.geom,
       p.valid_from, p.valid_to
FROM parcels p
LEFT JOIN communes c ON c.code = p.commune_code
LEFT JOIN provinces pr ON pr.code = c.province_code;

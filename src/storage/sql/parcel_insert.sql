-- The current commune is the recorded one when it still exists, else the loaded boundary that
-- holds the parcel, else unknown (reported as a warning).
INSERT INTO parcels (parcel_id, commune_code_recorded, sheet, parcel_no, commune_code, land_use,
                     legal_area_m2, address, digital_address, source_crs, geom, import_id)
SELECT s.parcel_id, s.commune_code_recorded, s.sheet, s.parcel_no,
       COALESCE(c.code, (SELECT b.code FROM communes b
                         WHERE b.geom IS NOT NULL AND ST_Contains(b.geom, ST_PointOnSurface(s.geom))
                         LIMIT 1)),
       s.land_use, s.legal_area_m2, s.address, s.digital_address, s.source_crs, s.geom, $1
FROM parcel_stage s
LEFT JOIN communes c ON c.code = s.commune_code_recorded
ORDER BY s.ord

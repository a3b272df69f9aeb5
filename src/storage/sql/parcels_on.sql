-- Parcel versions valid at moment $1, with what the index serves: the parcel with ID $2, or
-- legacy key $3-$4-$5, or those holding point ($6, $7).
SELECT p.uid, p.parcel_id, p.commune_code_recorded, p.sheet, p.parcel_no,
       p.commune_code, c.name AS commune_name, c.province_code, pr.name AS province_name,
       p.land_use, p.legal_area_m2, p.alley_width_m, p.address, p.digital_address, p.source_crs, p.geom
FROM parcels p
LEFT JOIN communes c ON c.code = p.commune_code
LEFT JOIN provinces pr ON pr.code = c.province_code
WHERE tstzrange(p.valid_from, p.valid_to) @> $1::timestamptz
    AND (p.parcel_id = $2
         OR (p.commune_code_recorded = $3 AND p.sheet = $4 AND p.parcel_no = $5)
         OR ST_Intersects(p.geom, ST_SetSRID(ST_MakePoint($6, $7), 4326)))
ORDER BY p.parcel_id

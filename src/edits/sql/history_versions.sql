-- Every version of parcel $1, oldest first, with its public attributes.
SELECT uid, valid_from, valid_to,
       commune_code_recorded || '-' || sheet || '-' || parcel_no AS legacy_key, commune_code,
       array_to_string(land_use, '+') AS land_use, legal_area_m2, address, digital_address, alley_width_m,
       source_crs, round(ST_Area(geom::geography)::numeric, 2)::float8 AS mapped_area_m2
FROM parcels
WHERE parcel_id = $1
ORDER BY valid_from, uid

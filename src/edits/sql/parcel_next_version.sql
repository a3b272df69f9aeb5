-- Closes version $1 and adds the next: the same parcel (same ID, key and geometry) with the
-- edited attributes; a NULL in $3..$6 with its flag ($7..$10) set clears that attribute. The
-- moment is the clock's, not the transaction's start: an edit that waited on the row lock
-- begins after the one it waited for ended.
WITH moment AS (
    SELECT clock_timestamp() AS at
), closed AS (
    UPDATE parcels SET valid_to = (SELECT at FROM moment) WHERE uid = $1 AND valid_to IS NULL RETURNING *
)
INSERT INTO parcels (parcel_id, commune_code_recorded, sheet, parcel_no, commune_code, land_use, legal_area_m2,
                     address, digital_address, source_crs, geom, import_id, alley_width_m, valid_from)
SELECT c.parcel_id, c.commune_code_recorded, c.sheet, c.parcel_no, c.commune_code,
       coalesce($2::text[], c.land_use),
       CASE WHEN $7 THEN $3::float8 ELSE c.legal_area_m2 END,
       CASE WHEN $8 THEN $4::text ELSE c.address END,
       CASE WHEN $9 THEN $5::text ELSE c.digital_address END,
       c.source_crs, c.geom, c.import_id,
       CASE WHEN $10 THEN $6::float8 ELSE c.alley_width_m END,
       c.valid_to
FROM closed c
RETURNING uid

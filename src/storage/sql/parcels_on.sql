-- Parcel versions valid at moment $1, with what the index serves: the parcel with ID $2, or
-- legacy key $3-$4-$5, or those holding point ($6, $7).
SELECT * FROM parcel_rows
WHERE tstzrange(valid_from, valid_to) @> $1::timestamptz
    AND (parcel_id = $2
         OR (commune_code_recorded = $3 AND sheet = $4 AND parcel_no = $5)
         OR ST_Intersects(geom, ST_SetSRID(ST_MakePoint($6, $7), 4326)))
ORDER BY parcel_id

-- The current rights of parcel $1 end at moment $2.
UPDATE personal.rights SET valid_to = $2 WHERE parcel_id = $1 AND valid_to IS NULL

-- Current parcels with what the index serves; all of them when $1 is NULL, else those uids.
SELECT * FROM parcel_rows WHERE valid_to IS NULL AND ($1::bigint[] IS NULL OR uid = ANY ($1))

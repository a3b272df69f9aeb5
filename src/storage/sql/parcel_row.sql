-- One parcel version, by uid.
SELECT * FROM parcel_rows WHERE uid = $1

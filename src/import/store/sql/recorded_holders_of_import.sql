-- The holders of parcels an import has just loaded: $1 their parcel IDs, $2 the names (a parcel
-- may have several), $3 the import. The parcels take their uids from the identity as they are
-- COPYed, so holders find them by parcel ID, which one current parcel holds.
INSERT INTO personal.recorded_holders (parcel_uid, name, import_id)
SELECT p.uid, h.name, $3
FROM unnest($1::text[], $2::text[]) AS h (parcel_id, name)
JOIN parcels p ON p.parcel_id = h.parcel_id AND p.valid_to IS NULL

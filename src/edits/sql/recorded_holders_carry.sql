-- The holders recorded with versions $1 stay with the version $2 that follows them (each name
-- once, when a merge joins parcels of the same holder).
INSERT INTO personal.recorded_holders (parcel_uid, name, import_id)
SELECT DISTINCT ON (h.name) $2::bigint, h.name, h.import_id
FROM personal.recorded_holders h
WHERE h.parcel_uid = ANY ($1)
ORDER BY h.name, h.parcel_uid

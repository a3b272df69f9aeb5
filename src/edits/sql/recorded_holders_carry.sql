-- The holders recorded with version $1 stay with the parcel's next version $2.
INSERT INTO personal.recorded_holders (parcel_uid, name, import_id)
SELECT $2, h.name, h.import_id FROM personal.recorded_holders h WHERE h.parcel_uid = $1

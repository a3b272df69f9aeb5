-- The current version of a parcel, its row locked until the edit's transaction ends. Run after
-- the parcel's edit lock is held, so it sees the version the previous edit left.
SELECT uid FROM parcels WHERE parcel_id = $1 AND valid_to IS NULL FOR UPDATE

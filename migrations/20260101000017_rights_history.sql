-- Rights change hands (transfer of land use rights, seed 002 Art. 4.6): a transfer ends the
-- parcel's current rights and begins others, as an event; rights that ended stay, as history.
ALTER TABLE personal.rights
    ADD COLUMN valid_from timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN valid_to timestamptz,
    ADD COLUMN event_id bigint REFERENCES parcel_events (id),
    ADD CHECK (valid_to IS NULL OR valid_to > valid_from);
CREATE INDEX rights_parcel_current ON personal.rights (parcel_id) WHERE valid_to IS NULL;

CREATE OR REPLACE VIEW parcel_ownership AS
SELECT r.parcel_id,
       CASE WHEN count(DISTINCT r.holder_id) > 1 THEN 'shared' ELSE min(h.kind) END AS category
FROM personal.rights r
JOIN personal.holders h ON h.id = r.holder_id
WHERE r.kind = 'land_use' AND r.valid_to IS NULL
GROUP BY r.parcel_id;

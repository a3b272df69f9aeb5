-- Ancestors (direction 'up') and descendants ('down') of parcel $1 through splits and merges,
-- with how many steps away each is and whether it is current.
WITH RECURSIVE up AS (
    SELECT parent AS id, child AS via, 1 AS steps, event_id FROM parcel_lineage WHERE child = $1
    UNION
    SELECT l.parent, l.child, up.steps + 1, l.event_id FROM parcel_lineage l JOIN up ON l.child = up.id WHERE up.steps < 1000
), down AS (
    SELECT child AS id, parent AS via, 1 AS steps, event_id FROM parcel_lineage WHERE parent = $1
    UNION
    SELECT l.child, l.parent, down.steps + 1, l.event_id FROM parcel_lineage l JOIN down ON l.parent = down.id WHERE down.steps < 1000
)
SELECT 'up' AS direction, id, via, steps, event_id,
       EXISTS (SELECT 1 FROM parcels p WHERE p.parcel_id = up.id AND p.valid_to IS NULL) AS current
FROM up
UNION ALL
SELECT 'down', id, via, steps, event_id,
       EXISTS (SELECT 1 FROM parcels p WHERE p.parcel_id = down.id AND p.valid_to IS NULL)
FROM down
ORDER BY direction, steps, id

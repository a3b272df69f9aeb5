-- The run's findings replace those of the communes checked: gone ones are deleted, found ones
-- kept (with their first time found) or added. Returns the ids of the new ones.
WITH gone AS (
    DELETE FROM quality_findings q
    WHERE q.commune_code = ANY ($1)
      AND NOT EXISTS (SELECT 1 FROM found f WHERE (f.kind, f.commune_code, f.parcels) = (q.kind, q.commune_code, q.parcels))
), kept AS (
    UPDATE quality_findings q SET measure = f.measure, detail = f.detail, geom = ST_Force2D(f.geom)
    FROM found f WHERE (f.kind, f.commune_code, f.parcels) = (q.kind, q.commune_code, q.parcels)
)
INSERT INTO quality_findings (kind, commune_code, parcels, measure, unit, detail, geom, change_id)
SELECT DISTINCT ON (f.kind, f.commune_code, f.parcels) f.kind, f.commune_code, f.parcels, f.measure, f.unit,
       f.detail, ST_Force2D(f.geom), $2
FROM found f
WHERE NOT EXISTS (SELECT 1 FROM quality_findings q
                  WHERE (f.kind, f.commune_code, f.parcels) = (q.kind, q.commune_code, q.parcels))
ORDER BY f.kind, f.commune_code, f.parcels
RETURNING id

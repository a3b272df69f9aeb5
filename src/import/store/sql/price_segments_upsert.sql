-- A segment seen again (a new price table for the same road) keeps its code; its description
-- and geometry are those of the latest import.
INSERT INTO price_segments (code, street, from_point, to_point, geom, import_id)
SELECT s.code, s.street, s.from_point, s.to_point, ST_Multi(ST_GeomFromEWKB(s.geom)), $6
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[]) AS s (code, street, from_point, to_point, geom)
ON CONFLICT (code) DO UPDATE
SET street = excluded.street, from_point = excluded.from_point, to_point = excluded.to_point,
    geom = excluded.geom, import_id = excluded.import_id

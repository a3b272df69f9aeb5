-- The outline of each commune of $1 (its current parcels' union, streets closed), as EWKB.
-- Read-only, so a refresh runs several at once, on connections of their own, each on some of
-- the communes: the unions are the refresh's work, and this spreads them over the cores.
SELECT u.code,
       (SELECT ST_AsEWKB(commune_outline(ST_Union(p.geom)))
        FROM parcels p
        WHERE p.valid_to IS NULL
          AND (p.commune_code = u.code OR (p.commune_code IS NULL AND p.commune_code_recorded = u.code))) AS geom
FROM unnest($1::text[]) AS u (code)

-- How well parts $2 (EWKB, WGS84) cover parent version $1, in m² on the ellipsoid: the parent's
-- area, what the parts leave uncovered, what they add outside it, and where they overlap.
WITH parts AS (
    SELECT ord, ST_GeomFromEWKB(g) AS g FROM unnest($2::bytea[]) WITH ORDINALITY AS t (g, ord)
), parent AS (
    SELECT geom FROM parcels WHERE uid = $1
), joined AS (
    SELECT ST_Union(g) AS g FROM parts
)
SELECT ST_Area(parent.geom::geography) AS parent_area,
       coalesce(ST_Area(ST_Difference(parent.geom, joined.g)::geography), 0) AS uncovered,
       coalesce(ST_Area(ST_Difference(joined.g, parent.geom)::geography), 0) AS outside,
       (SELECT coalesce(sum(ST_Area(ST_Intersection(a.g, b.g)::geography)), 0)
        FROM parts a JOIN parts b ON a.ord < b.ord AND ST_Intersects(a.g, b.g)) AS overlap
FROM parent, joined

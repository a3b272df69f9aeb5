-- Adds a parcel version valid from $12. Its 2025 commune is the recorded one ($5) when that is a
-- 2025 commune, else the loaded boundary that holds it, as an import decides; `located` is the
-- boundary that holds it in any case, for the scope check.
WITH g AS (
    SELECT ST_Multi(ST_GeomFromEWKB($11)) AS geom
), located AS (
    SELECT (SELECT c.code FROM communes c, g
            WHERE c.geom IS NOT NULL AND ST_Contains(c.geom, ST_PointOnSurface(g.geom)) LIMIT 1) AS code
), added AS (
    INSERT INTO parcels (parcel_id, commune_code_recorded, sheet, parcel_no, commune_code, land_use, legal_area_m2,
                         alley_width_m, address, digital_address, source_crs, geom, valid_from)
    SELECT $1, $2, $3, $4, coalesce($5, l.code), $6, $7, $8, $9, $10, $13, g.geom, $12
    FROM g, located l
    RETURNING uid, commune_code
)
SELECT a.uid, a.commune_code, l.code AS located FROM added a, located l

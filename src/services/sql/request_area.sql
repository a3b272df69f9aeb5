-- The area a request is cut to, from what it names ($1 parcel IDs, $2 a commune, or $3 a GeoJSON
-- polygon as WKB in CRS84), as WKB, with its size, whether it is valid, and the communes whose current
-- parcels it overlaps.
WITH a AS (
    SELECT CASE
        WHEN cardinality($1::text[]) > 0 THEN
            (SELECT ST_Multi(ST_Union(p.geom)) FROM parcels p WHERE p.valid_to IS NULL AND p.parcel_id = ANY ($1))
        WHEN $2::text IS NOT NULL THEN
            -- Its surveyed boundary, else the outline of its parcels kept in admin_outlines.
            (SELECT coalesce(c.geom, o.geom) FROM communes c
             LEFT JOIN admin_outlines o ON o.kind = 'commune' AND o.code = c.code
             WHERE c.code = $2)
        ELSE ST_Multi(ST_GeomFromWKB($3, 4326))
    END AS geom
)
SELECT ST_AsBinary(a.geom) AS wkb, coalesce(ST_IsValid(a.geom) AND NOT ST_IsEmpty(a.geom), false) AS valid,
       coalesce(ST_Area(a.geom::geography) / 1e6, 0) AS km2,
       array(SELECT DISTINCT coalesce(p.commune_code, p.commune_code_recorded) FROM parcels p
             WHERE p.valid_to IS NULL AND p.geom && a.geom AND ST_Relate(p.geom, a.geom, '2********')
             ORDER BY 1) AS communes
FROM a

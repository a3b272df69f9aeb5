-- Refreshes the provinces $1 from their communes' outlines: parcel count always, the outline only
-- for those of $2 that a reshaped commune lies in. A province's outline is the union of its
-- communes' convex hulls: what a map at province zoom needs to show where data is, in
-- milliseconds (the union of the communes' own outlines, tens of thousands of blocks for a
-- province, took minutes).
UPDATE admin_outlines o
SET parcels = g.parcels, geom = CASE WHEN o.code = ANY ($2) THEN g.geom ELSE o.geom END
FROM unnest($1::text[]) AS u (code)
CROSS JOIN LATERAL (
    SELECT coalesce(sum(c.parcels), 0) AS parcels,
           CASE WHEN u.code = ANY ($2)
                THEN ST_Multi(ST_CollectionExtract(ST_Union(ST_ConvexHull(c.geom)), 3)) END AS geom
    FROM admin_outlines c
    WHERE c.kind = 'commune' AND c.province_code = u.code
) AS g
WHERE o.kind = 'province' AND o.code = u.code AND (o.code = ANY ($2) OR o.parcels IS DISTINCT FROM g.parcels)

-- Land-use codes of an older classification ($2: codes, $3: whether legacy, $4: their class:
-- agricultural, non_agricultural or unused), and parcels built on (a non-agricultural main use)
-- where the approved plan covering most of the parcel keeps agricultural land; the reverse is a
-- conversion the plan foresees, not a conflict.
INSERT INTO found
SELECT 'legacy_land_use', coalesce(p.commune_code, p.commune_code_recorded), ARRAY[p.parcel_id], NULL::float8, NULL::text,
       format('parcel %s carries legacy land-use code(s) %s', p.parcel_id, array_to_string(l.codes, ', ')),
       ST_PointOnSurface(p.geom)
FROM parcels p
CROSS JOIN LATERAL (SELECT array_agg(u) AS codes FROM unnest(p.land_use) AS u
                    JOIN unnest($2::text[], $3::bool[]) AS k (code, legacy) ON k.code = u AND k.legacy) l
WHERE p.valid_to IS NULL AND coalesce(p.commune_code, p.commune_code_recorded) = ANY ($1) AND l.codes IS NOT NULL
UNION ALL
SELECT 'planning_conflict', coalesce(p.commune_code, p.commune_code_recorded), ARRAY[p.parcel_id], round(z.share::numeric, 3), 'share',
       format('parcel %s is used as %s (%s) but %s%% of it is planned as %s (%s) by zone %s of %s',
              p.parcel_id, p.land_use[1], pg.grp, round(100 * z.share::numeric), z.use, z.grp, z.zone_code, z.plan_name),
       ST_PointOnSurface(p.geom)
FROM parcels p
JOIN unnest($2::text[], $4::text[]) AS pg (code, grp) ON pg.code = p.land_use[1]
CROSS JOIN LATERAL (
    SELECT z.zone_code, z.plan_name, z.land_use[1] AS use, zg.grp,
           ST_Area(ST_Intersection(z.geom, p.geom)) / nullif(ST_Area(p.geom), 0) AS share
    FROM planning_zones z
    JOIN unnest($2::text[], $4::text[]) AS zg (code, grp) ON zg.code = z.land_use[1]
    WHERE z.status = 'approved' AND z.geom && p.geom AND ST_Intersects(z.geom, p.geom)
    ORDER BY share DESC
    LIMIT 1
) z
WHERE p.valid_to IS NULL AND coalesce(p.commune_code, p.commune_code_recorded) = ANY ($1) AND z.share > 0.5 AND pg.grp = 'non_agricultural' AND z.grp = 'agricultural'

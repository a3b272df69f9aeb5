-- Parcels whose computed area differs from the legal area by more than the share $2.
INSERT INTO found
SELECT 'area_mismatch', coalesce(p.commune_code, p.commune_code_recorded), ARRAY[p.parcel_id], round(a.share::numeric, 4), 'share',
       format('parcel %s measures %s m² against a legal area of %s m²', p.parcel_id, round(a.m2::numeric, 1),
              p.legal_area_m2),
       ST_PointOnSurface(p.geom)
FROM parcels p
CROSS JOIN LATERAL (SELECT ST_Area(p.geom::geography) AS m2) g
CROSS JOIN LATERAL (SELECT g.m2 AS m2, abs(g.m2 - p.legal_area_m2) / p.legal_area_m2 AS share) a
WHERE p.valid_to IS NULL AND coalesce(p.commune_code, p.commune_code_recorded) = ANY ($1) AND p.legal_area_m2 IS NOT NULL AND a.share > $2

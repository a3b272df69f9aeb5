-- Projects by code ($1), or meeting a bbox ($2 = [W,S,E,N]) after code $3, at most $4, by code.
SELECT p.code, p.name, p.investor, p.kind, p.status, p.progress_pct, p.total_investment_vnd, p.land_area_m2,
       p.policy_decision_no, p.policy_decision_date, ST_AsGeoJSON(p.geom)::json AS geometry,
       coalesce((SELECT json_agg(json_build_object('id', d.id, 'title', d.title, 'file_name', d.file_name,
                                                   'media_type', d.media_type, 'size_bytes', d.size_bytes,
                                                   'sha256', d.sha256) ORDER BY d.id)
                 FROM project_documents d WHERE d.project_code = p.code), '[]') AS documents,
       coalesce((SELECT json_agg(q.parcel_id ORDER BY q.parcel_id) FROM parcels q
                 WHERE q.valid_to IS NULL AND ST_Contains(p.geom, ST_PointOnSurface(q.geom))), '[]') AS parcels,
       (SELECT count(*) FROM units u WHERE u.project_code = p.code) AS units
FROM projects p
WHERE ($1::text IS NULL OR p.code = $1)
    AND ($2::float8[] IS NULL OR ST_Intersects(p.geom, ST_MakeEnvelope($2[1], $2[2], $2[3], $2[4], 4326)))
    AND ($3::text IS NULL OR p.code > $3)
ORDER BY p.code
LIMIT $4

SELECT s.code, s.street, s.from_point, s.to_point, ST_AsGeoJSON(s.geom)::json AS geometry,
       coalesce(json_agg(json_build_object(
           'land_use', p.land_use, 'position', p.position, 'price_vnd_m2', p.price_vnd_m2,
           'decision_no', p.decision_no, 'effective_from', p.effective_from, 'effective_to', p.effective_to)
           ORDER BY p.land_use, p.position, p.effective_from) FILTER (WHERE p.segment_code IS NOT NULL), '[]') AS prices
FROM price_segments s
LEFT JOIN land_prices p ON p.segment_code = s.code
WHERE s.code = $1
GROUP BY s.code

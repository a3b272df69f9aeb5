INSERT INTO imports (kind, sources, source_crs, feature_count, report)
VALUES ($1, $2, $3, $4, '[]')
RETURNING id

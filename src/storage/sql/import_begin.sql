INSERT INTO imports (kind, sources, source_crs, feature_count, report, change_id)
VALUES ($1, $2, $3, $4, '[]', $5)
RETURNING id

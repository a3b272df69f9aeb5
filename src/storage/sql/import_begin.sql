-- The CRS and feature count are known when the import ends (`import_finish.sql`), in the same
-- transaction: no one sees these blanks.
INSERT INTO imports (kind, sources, source_crs, feature_count, report, change_id)
VALUES ($1, $2, '', 0, '[]', $3)
RETURNING id

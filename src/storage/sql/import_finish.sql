UPDATE imports SET report = $2, source_crs = $3, feature_count = $4 WHERE id = $1

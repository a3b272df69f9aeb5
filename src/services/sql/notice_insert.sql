INSERT INTO notices (kind, starts_at, ends_at, message, change_id) VALUES ($1, $2, $3, $4, $5) RETURNING id

INSERT INTO personal.api_tokens (username, digest, scope, expires_at)
VALUES ($1, $2, $3, now() + make_interval(days => $4))
RETURNING id, expires_at

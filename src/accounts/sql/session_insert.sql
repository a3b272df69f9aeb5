INSERT INTO personal.sessions (digest, username, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3))

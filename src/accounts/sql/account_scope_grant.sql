INSERT INTO personal.account_scopes (username, code) VALUES ($1, $2) ON CONFLICT DO NOTHING

INSERT INTO personal.account_roles (username, role) VALUES ($1, $2) ON CONFLICT DO NOTHING

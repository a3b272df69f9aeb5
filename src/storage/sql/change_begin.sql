INSERT INTO changes (actor, action, reason) VALUES ($1, $2, $3) RETURNING id

INSERT INTO audit.entries (actor, roles, action, object, outcome, request_id, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, '', '')

INSERT INTO audit.entries (actor, roles, action, object, outcome, request_id, address, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7::inet, '', '')

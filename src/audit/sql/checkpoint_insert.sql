INSERT INTO audit.checkpoints (at, entries, head, public_key, signature) VALUES ($1, $2, $3, $4, $5)

-- A batch of accesses as one entry (the chain trigger numbers and hashes it).
INSERT INTO audit.entries (actor, action, outcome, accesses, prev_hash, hash)
VALUES ('service', 'accesses', jsonb_array_length($1), $1, '', '')

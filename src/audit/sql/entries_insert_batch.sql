-- A batch of accesses as one entry (the chain trigger numbers and hashes it); $1 is a JSON array
-- of them, $2 how many.
INSERT INTO audit.entries (actor, action, outcome, accesses, prev_hash, hash)
VALUES ('service', 'accesses', $2, $1, '', '')

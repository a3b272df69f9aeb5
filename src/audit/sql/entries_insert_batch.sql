-- Entries of accesses, in the order they were recorded (the chain trigger numbers and hashes
-- each row as it is inserted).
INSERT INTO audit.entries (at, actor, roles, action, object, outcome, request_id, address, prev_hash, hash)
SELECT e.at, e.actor, e.roles, e.action, e.object, e.outcome, e.request_id, e.address, '', ''
FROM ROWS FROM (jsonb_to_recordset($1) AS (at timestamptz, actor text, roles text[], action text, object text,
                                           outcome integer, request_id text, address inet))
     WITH ORDINALITY AS e(at, actor, roles, action, object, outcome, request_id, address, n)
ORDER BY e.n

SELECT l.seq, l.at, l.actor, l.roles, l.action, l.object, l.outcome, l.request_id, host(l.address) AS address,
       encode(l.hash, 'hex') AS hash
FROM audit.log l
WHERE ($1::text IS NULL OR l.actor = $1)
  AND ($2::timestamptz IS NULL OR l.at >= $2)
  AND ($3::text IS NULL OR l.action LIKE $3 || '%')
ORDER BY l.seq, l.part
LIMIT $4

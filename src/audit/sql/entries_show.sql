SELECT e.seq, e.at, e.actor, e.roles, e.action, e.object, e.outcome, e.request_id, host(e.address) AS address,
       encode(e.hash, 'hex') AS hash
FROM audit.entries e
WHERE ($1::text IS NULL OR e.actor = $1)
  AND ($2::timestamptz IS NULL OR e.at >= $2)
  AND ($3::text IS NULL OR e.action LIKE $3 || '%')
ORDER BY e.seq

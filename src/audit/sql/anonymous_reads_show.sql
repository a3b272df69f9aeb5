SELECT r.minute, r.route, host(r.address) AS address, sum(r.requests)::bigint AS requests
FROM audit.anonymous_reads r
WHERE $1::timestamptz IS NULL OR r.minute >= $1
GROUP BY r.minute, r.route, r.address
ORDER BY r.minute, r.route, r.address

INSERT INTO audit.anonymous_reads (minute, route, address, requests)
SELECT to_timestamp(u.minute * 60), u.route, u.address::inet, u.requests
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) AS u(minute, route, address, requests)

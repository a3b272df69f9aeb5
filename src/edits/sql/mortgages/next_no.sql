-- The next registration number with prefix $1 (run under the prefix's lock).
SELECT $1 || lpad((count(*) + 1)::text, 6, '0') FROM personal.security_interests WHERE registration_no LIKE $1 || '%'

-- The primary's WAL write position, in bytes since 0/0.
SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint

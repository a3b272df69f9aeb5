-- How far a standby has replayed the primary's WAL, in bytes since 0/0 (NULL on a primary,
-- which is then not used as a replica).
SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint

-- The planner's row estimate for a table: -1 until its first analyse or vacuum, and unchanged by
-- a load until the next one.
SELECT reltuples::float8 FROM pg_class WHERE oid = $1::regclass

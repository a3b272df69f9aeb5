-- Notices not withdrawn whose interruption has not ended yet, soonest first.
SELECT n.id, n.kind, n.starts_at, n.ends_at, n.message, n.created_at
FROM notices n
WHERE n.withdrawn_at IS NULL AND n.ends_at > now()
ORDER BY n.starts_at, n.id

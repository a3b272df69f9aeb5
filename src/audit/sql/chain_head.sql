-- The chain's last entry, the time to sign it at, and how many entries checkpoints already cover.
SELECT e.seq, e.hash, clock_timestamp() AS at, (SELECT max(c.entries) FROM audit.checkpoints c) AS covered
FROM audit.entries e
ORDER BY e.seq DESC
LIMIT 1

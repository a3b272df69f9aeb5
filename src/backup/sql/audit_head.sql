-- The audit chain's length and the hash of its last entry.
SELECT count(*), coalesce(encode((SELECT e.hash FROM audit.entries e ORDER BY e.seq DESC LIMIT 1), 'hex'), '')
FROM audit.entries

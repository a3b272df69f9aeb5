-- Every entry in chain order with what its hash should be, recomputed from its content and the
-- hash it claims came before it.
SELECT e.seq, e.prev_hash, e.hash, sha256('\x00'::bytea || audit.content(e) || e.prev_hash) AS recomputed
FROM audit.entries e
ORDER BY e.seq

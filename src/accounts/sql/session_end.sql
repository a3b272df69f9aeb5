UPDATE personal.sessions SET ended_at = now() WHERE digest = $1 AND ended_at IS NULL

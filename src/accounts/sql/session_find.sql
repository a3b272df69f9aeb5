-- The account of a session that has neither ended nor expired.
SELECT s.username FROM personal.sessions s WHERE s.digest = $1 AND s.ended_at IS NULL AND s.expires_at > now()

UPDATE notices SET withdrawn_at = now() WHERE id = $1 AND withdrawn_at IS NULL AND ends_at > now()

UPDATE personal.accounts SET last_used_at = now(), failed_attempts = 0, throttled_until = NULL WHERE username = $1

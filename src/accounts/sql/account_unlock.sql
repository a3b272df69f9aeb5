-- Lifts every lock the admin can lift: its own, throttling, and the clock's (use and initial
-- password start again from now). An end date passed stays until it is changed.
UPDATE personal.accounts
SET locked_by_admin = NULL, failed_attempts = 0, throttled_until = NULL, last_used_at = now(),
    password_set_at = CASE WHEN initial_password THEN now() ELSE password_set_at END
WHERE username = $1

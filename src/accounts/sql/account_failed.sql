-- A wrong password: after 5 in a row, the account takes no password for 15 minutes.
UPDATE personal.accounts
SET failed_attempts = failed_attempts + 1,
    throttled_until = CASE WHEN failed_attempts + 1 >= 5 THEN now() + interval '15 minutes' ELSE throttled_until END
WHERE username = $1

INSERT INTO personal.security_interest_events (registration_no, kind, at, actor, change_id, details)
VALUES ($1, $2, clock_timestamp(), $3, $4, $5)

UPDATE personal.security_interests SET released_at = clock_timestamp() WHERE registration_no = $1 RETURNING released_at

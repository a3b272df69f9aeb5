UPDATE personal.accounts SET password_hash = $2, initial_password = $3, password_set_at = now() WHERE username = $1

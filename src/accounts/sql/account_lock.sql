UPDATE personal.accounts SET locked_by_admin = $2 WHERE username = $1

DELETE FROM personal.account_roles WHERE username = $1 AND role = $2

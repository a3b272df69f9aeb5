DELETE FROM personal.account_scopes WHERE username = $1 AND code = $2

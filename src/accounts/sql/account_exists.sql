SELECT EXISTS (SELECT 1 FROM personal.accounts WHERE username = $1)

SELECT a.username, a.full_name, a.organisation, a.valid_until,
       array(SELECT r.role FROM personal.account_roles r WHERE r.username = a.username ORDER BY r.role) AS roles,
       array(SELECT s.code FROM personal.account_scopes s WHERE s.username = a.username ORDER BY s.code) AS scope,
       a.locked_by_admin, a.initial_password, a.last_used_at
FROM personal.accounts a
ORDER BY a.username

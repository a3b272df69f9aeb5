-- An account as signing in needs it, with the lock rules applied on the database's clock:
-- locked by the admin; past its end date; an initial password unchanged after 7 days; unused
-- for more than 90 days.
SELECT a.password_hash, a.initial_password,
       CASE
           WHEN a.locked_by_admin IS NOT NULL THEN a.locked_by_admin
           WHEN a.valid_until < current_date THEN 'expired'
           WHEN a.initial_password AND a.password_set_at < now() - interval '7 days' THEN 'initial_password_unchanged'
           WHEN coalesce(a.last_used_at, a.created_at) < now() - interval '90 days' THEN 'unused'
       END AS locked,
       coalesce(a.throttled_until > now(), false) AS throttled
FROM personal.accounts a
WHERE a.username = $1

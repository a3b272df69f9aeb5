-- What a signed-in account sees: its roles, whether any of them sees personal data or the whole
-- country, the province and commune codes of its scope, the holder's name, and what it may do
-- to cadastral data and to the security-interest registry.
SELECT array(SELECT r.role FROM personal.account_roles r WHERE r.username = $1 ORDER BY r.role) AS roles,
       coalesce((SELECT bool_or(o.personal_data) FROM personal.account_roles r JOIN roles o ON o.name = r.role
                 WHERE r.username = $1), false) AS personal_data,
       coalesce((SELECT bool_or(o.everywhere) FROM personal.account_roles r JOIN roles o ON o.name = r.role
                 WHERE r.username = $1), false) AS everywhere,
       array(SELECT s.code FROM personal.account_scopes s WHERE s.username = $1 ORDER BY s.code) AS scope,
       (SELECT a.full_name FROM personal.accounts a WHERE a.username = $1) AS full_name,
       -- 'edit' wins over 'create' (alphabetically last).
       (SELECT max(o.cadastre) FROM personal.account_roles r JOIN roles o ON o.name = r.role
        WHERE r.username = $1) AS cadastre,
       -- 'any' wins (alphabetically first).
       (SELECT min(o.market) FROM personal.account_roles r JOIN roles o ON o.name = r.role
        WHERE r.username = $1) AS market,
       (SELECT a.organisation FROM personal.accounts a WHERE a.username = $1) AS organisation,
       coalesce((SELECT bool_or(o.security_interests) FROM personal.account_roles r JOIN roles o ON o.name = r.role
                 WHERE r.username = $1), false) AS security_interests,
       coalesce((SELECT bool_or(o.services) FROM personal.account_roles r JOIN roles o ON o.name = r.role
                 WHERE r.username = $1), false) AS services

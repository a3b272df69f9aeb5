-- What a signed-in account sees: its roles, whether any of them sees personal data or the whole
-- country, and the commune codes its scope covers (its communes; the 2025 and pre-reform
-- communes of its provinces).
SELECT array(SELECT r.role FROM personal.account_roles r WHERE r.username = $1 ORDER BY r.role) AS roles,
       coalesce((SELECT bool_or(o.personal_data) FROM personal.account_roles r JOIN roles o ON o.name = r.role
                 WHERE r.username = $1), false) AS personal_data,
       coalesce((SELECT bool_or(o.everywhere) FROM personal.account_roles r JOIN roles o ON o.name = r.role
                 WHERE r.username = $1), false) AS everywhere,
       array(SELECT s.code FROM personal.account_scopes s WHERE s.username = $1 ORDER BY s.code) AS scope,
       array(
           SELECT s.code FROM personal.account_scopes s WHERE s.username = $1 AND length(s.code) = 5
           UNION SELECT c.code FROM personal.account_scopes s JOIN communes c ON c.province_code = s.code
                 WHERE s.username = $1
           UNION SELECT f.code FROM personal.account_scopes s
                 JOIN former_provinces fp ON fp.province_code = s.code
                 JOIN former_communes f ON f.former_province_code = fp.code
                 WHERE s.username = $1
       ) AS communes

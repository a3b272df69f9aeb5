-- The outline rows the communes $1 need: theirs and their provinces' (a pre-reform code's
-- province is the 2025 one its former province became), as (id, kind, code, province_code).
WITH communes_in AS (
    SELECT u.code, coalesce(c.province_code, fp.province_code) AS province_code
    FROM unnest($1::text[]) AS u (code)
    LEFT JOIN communes c ON c.code = u.code
    LEFT JOIN former_communes f ON f.code = u.code
    LEFT JOIN former_provinces fp ON fp.code = f.former_province_code
)
SELECT code::bigint AS id, 'commune' AS kind, code, province_code FROM communes_in
UNION
SELECT 1000000 + province_code::bigint, 'province', province_code, NULL FROM communes_in
WHERE province_code IS NOT NULL
ORDER BY id

-- The commune codes a scope's codes cover: its communes, and the 2025 and pre-reform communes
-- of its provinces.
SELECT code FROM unnest($1::text[]) AS code WHERE length(code) = 5
UNION SELECT c.code FROM communes c WHERE c.province_code = ANY ($1)
UNION SELECT f.code FROM former_provinces fp JOIN former_communes f ON f.former_province_code = fp.code
      WHERE fp.province_code = ANY ($1)

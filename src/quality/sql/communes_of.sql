-- The communes a code names: a 2025 commune, a province's communes, or a pre-reform commune
-- that parcels are still recorded under without a 2025 commune.
SELECT c.code FROM communes c WHERE c.code = $1 OR c.province_code = $1
UNION
SELECT DISTINCT p.commune_code_recorded FROM parcels p
WHERE p.commune_code_recorded = $1 AND p.commune_code IS NULL AND p.valid_to IS NULL
ORDER BY 1

-- Every commune code a parcel may record, with the TM-3 zone of its province and whether it is a
-- 2025 commune. A pre-reform code takes its former province's zone; a code the 2025 list reused
-- is the 2025 commune.
SELECT c.code, p.tm3_epsg, true AS current
FROM communes c JOIN provinces p ON p.code = c.province_code
UNION ALL
SELECT f.code, fp.tm3_epsg, false
FROM former_communes f JOIN former_provinces fp ON fp.code = f.former_province_code
WHERE NOT EXISTS (SELECT 1 FROM communes c WHERE c.code = f.code)

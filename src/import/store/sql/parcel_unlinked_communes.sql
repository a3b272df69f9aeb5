SELECT commune_code_recorded, count(*)
FROM parcels
WHERE import_id = $1 AND commune_code IS NULL
GROUP BY commune_code_recorded
ORDER BY commune_code_recorded

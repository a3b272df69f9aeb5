-- The next $3 parcel numbers free on sheet $2 of commune $1 (never held by any version).
SELECT (s.highest + n)::int
FROM (SELECT coalesce(max(parcel_no), 0) AS highest FROM parcels WHERE commune_code_recorded = $1 AND sheet = $2) s,
     generate_series(1, $3) AS n
ORDER BY n

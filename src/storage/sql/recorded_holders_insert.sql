INSERT INTO personal.recorded_holders (parcel_uid, name, import_id)
SELECT p.uid, h.name, $1
FROM parcel_stage s
JOIN parcels p ON p.import_id = $1 AND p.valid_to IS NULL
    AND p.commune_code_recorded = s.commune_code_recorded AND p.sheet = s.sheet AND p.parcel_no = s.parcel_no
CROSS JOIN LATERAL unnest(s.holders) AS h (name)

-- Staged parcels whose legacy key or parcel ID a current parcel already has, one row each.
SELECT ord, string_agg(what, '; ' ORDER BY what) AS conflicts
FROM (
    SELECT s.ord, 'its legacy key is already held by current parcel ' || p.parcel_id AS what
    FROM parcel_stage s
    JOIN parcels p ON p.valid_to IS NULL
        AND p.commune_code_recorded = s.commune_code_recorded AND p.sheet = s.sheet AND p.parcel_no = s.parcel_no
    UNION ALL
    SELECT s.ord, 'its parcel ID is already held by current parcel '
        || p.commune_code_recorded || '-' || p.sheet || '-' || p.parcel_no
    FROM parcel_stage s
    JOIN parcels p ON p.valid_to IS NULL AND p.parcel_id = s.parcel_id
) AS c
GROUP BY ord
ORDER BY ord

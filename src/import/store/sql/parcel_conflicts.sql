-- Parcels of an import whose legacy key or parcel ID a current parcel already holds, one row
-- each: $1..$4 are the import's commune codes, sheets, parcel numbers and parcel IDs.
WITH incoming AS (
    SELECT ord - 1 AS ord, commune, sheet, parcel_no, parcel_id
    FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]) WITH ORDINALITY
        AS i (commune, sheet, parcel_no, parcel_id, ord)
)
SELECT ord::int, string_agg(what, '; ' ORDER BY what) AS conflicts
FROM (
    SELECT i.ord, 'its legacy key is already held by current parcel ' || p.parcel_id AS what
    FROM incoming i
    JOIN parcels p ON p.valid_to IS NULL
        AND p.commune_code_recorded = i.commune AND p.sheet = i.sheet AND p.parcel_no = i.parcel_no
    UNION ALL
    SELECT i.ord, 'its parcel ID is already held by current parcel '
        || p.commune_code_recorded || '-' || p.sheet || '-' || p.parcel_no
    FROM incoming i
    JOIN parcels p ON p.valid_to IS NULL AND p.parcel_id = i.parcel_id
) AS c
GROUP BY ord
ORDER BY ord

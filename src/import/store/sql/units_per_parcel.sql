-- Units already recorded per project and parcel, so generated sequence numbers continue.
SELECT project_code, parcel_id, count(*)::int FROM units GROUP BY 1, 2

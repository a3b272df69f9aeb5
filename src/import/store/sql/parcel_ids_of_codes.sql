-- The current parcel ID for each code, given as a parcel ID ($1) or a legacy key split into
-- commune, sheet and number ($2..$4); NULL when no current parcel has it. In input order.
SELECT coalesce(
    (SELECT p.parcel_id FROM parcels p WHERE p.valid_to IS NULL AND p.parcel_id = c.pid),
    (SELECT p.parcel_id FROM parcels p
     WHERE p.valid_to IS NULL AND p.commune_code_recorded = c.commune AND p.sheet = c.sheet AND p.parcel_no = c.no))
FROM unnest($1::text[], $2::text[], $3::text[], $4::int[]) WITH ORDINALITY AS c (pid, commune, sheet, no, ord)
ORDER BY c.ord

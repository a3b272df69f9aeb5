-- Creates the missing outline rows: ids $1, kinds $2, codes $3, provinces $4.
INSERT INTO admin_outlines (id, kind, code, province_code)
SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) ORDER BY 1
ON CONFLICT (id) DO NOTHING

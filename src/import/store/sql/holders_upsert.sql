-- A holder seen again keeps its row; what the latest import says of them wins.
INSERT INTO personal.holders (code, kind, name, personal_id, birth_year, organisation_id, import_id)
SELECT h.code, h.kind, h.name, h.personal_id, h.birth_year, h.organisation_id, $7
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[])
    AS h (code, kind, name, personal_id, birth_year, organisation_id)
ON CONFLICT (code) DO UPDATE
SET kind = excluded.kind, name = excluded.name, personal_id = excluded.personal_id,
    birth_year = excluded.birth_year, organisation_id = excluded.organisation_id, import_id = excluded.import_id

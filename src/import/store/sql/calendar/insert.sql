INSERT INTO calendar_days (day, kind, name, import_id)
SELECT d.day, d.kind, d.name, $4 FROM unnest($1::date[], $2::text[], $3::text[]) AS d (day, kind, name)

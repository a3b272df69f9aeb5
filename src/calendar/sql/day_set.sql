INSERT INTO calendar_days (day, kind, name, change_id) VALUES ($1, $2, $3, $4)
ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name, change_id = excluded.change_id,
                                import_id = NULL

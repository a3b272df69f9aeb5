-- An apartment building's management unit.
WITH c AS (SELECT id FROM changes WHERE id = currval(pg_get_serial_sequence('changes', 'id')))
INSERT INTO management_units (tax_code, notice_on, name, project_code, building, change_id)
SELECT $1, $2, $3, $4, $5, c.id FROM c

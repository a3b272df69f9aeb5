DELETE FROM projects WHERE code = $1

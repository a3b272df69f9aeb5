DELETE FROM addresses WHERE code = $1

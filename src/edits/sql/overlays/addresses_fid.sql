SELECT code FROM addresses WHERE code = $1

SELECT code FROM projects WHERE code = $1

SELECT code FROM projects WHERE code = ANY ($1)

SELECT EXISTS (SELECT 1 FROM imports WHERE kind = $1 AND sources = $2)

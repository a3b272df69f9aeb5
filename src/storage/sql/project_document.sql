SELECT file_name, media_type, sha256, content FROM project_documents WHERE project_code = $1 AND id = $2

INSERT INTO project_documents (project_code, title, file_name, media_type, size_bytes, sha256, content, import_id)
SELECT d.project_code, d.title, d.file_name, 'application/pdf', octet_length(d.content), d.sha256, d.content, $6
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[])
    AS d (project_code, title, file_name, sha256, content)

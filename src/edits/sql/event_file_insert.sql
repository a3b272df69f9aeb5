-- A scanned file of event $1's dossier.
INSERT INTO parcel_event_files (event_id, file_name, media_type, size_bytes, sha256, content)
VALUES ($1, $2, $3, octet_length($4), $5, $4)
RETURNING id

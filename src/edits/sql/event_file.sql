-- File $2 of event $1's dossier.
SELECT file_name, media_type, sha256, content FROM parcel_event_files WHERE event_id = $1 AND id = $2

-- The events that closed or opened any of versions $1, in order, with the parcels on each side
-- and the dossier files' names and hashes.
SELECT e.id, e.kind, e.at, e.actor, e.reason, e.legal_basis,
       coalesce((SELECT array_agg(p.parcel_id ORDER BY p.parcel_id) FROM parcels p WHERE p.uid = ANY (e.closed)), '{}') AS before,
       coalesce((SELECT array_agg(p.parcel_id ORDER BY p.parcel_id) FROM parcels p WHERE p.uid = ANY (e.opened)), '{}') AS after,
       coalesce((SELECT jsonb_agg(jsonb_build_object('id', f.id, 'file_name', f.file_name, 'media_type', f.media_type,
                                                      'size_bytes', f.size_bytes, 'sha256', f.sha256) ORDER BY f.id)
                 FROM parcel_event_files f WHERE f.event_id = e.id), '[]') AS files
FROM parcel_events e
WHERE e.closed && $1 OR e.opened && $1
ORDER BY e.at, e.id

-- A provided request's approved scope, for the holder of its download link ($2: the secret's digest).
SELECT r.layers, r.parcels, ST_AsBinary(r.area) AS area, r.communes, r.format, r.owner_info,
       coalesce(r.as_of, r.provided_at) AS as_of, r.download_expires
FROM personal.data_requests r
WHERE r.no = $1 AND r.state = 'provided' AND r.download_digest = $2

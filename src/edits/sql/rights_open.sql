-- Rights begun by transfer event $8 at moment $9, one per holder code in $1.
INSERT INTO personal.rights (holder_id, parcel_id, kind, asset, share, certificate_no, issued_on, valid_from, event_id)
SELECT h.id, r.parcel_id, r.kind, r.asset, r.share, r.certificate_no, r.issued_on, $9, $8
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::date[])
    AS r (holder_code, parcel_id, kind, asset, share, certificate_no, issued_on)
JOIN personal.holders h ON h.code = r.holder_code

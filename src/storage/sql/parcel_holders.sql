-- The holders of the rights to a parcel (personal data): who, what kind, which right, what share,
-- which certificate.
SELECT h.name, h.kind, r.kind AS right_kind, r.share, r.certificate_no
FROM personal.rights r
JOIN personal.holders h ON h.id = r.holder_id
WHERE r.parcel_id = $1
ORDER BY h.name, r.kind

-- The holders of the current rights to a parcel (personal data): who, what kind, which right, what share,
-- which certificate, and the holder's personal ID or tax ID.
SELECT h.name, h.kind, r.kind AS right_kind, r.share, r.certificate_no, h.personal_id, h.organisation_id AS tax_id
FROM personal.rights r
JOIN personal.holders h ON h.id = r.holder_id
WHERE r.parcel_id = $1 AND r.valid_to IS NULL
ORDER BY h.name, r.kind

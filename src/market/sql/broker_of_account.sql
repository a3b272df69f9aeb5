-- The certificate of the broker who signs in as $1, in force on $2, as its electronic ID.
SELECT b.province_code || b.holder_id || to_char(b.issued_on, 'YYYYMMDD') || lpad(b.certificate_no::text, 6, '0') || '0'
FROM personal.brokers b
WHERE b.account = $1 AND b.issued_on <= $2 AND (b.revoked_on IS NULL OR b.revoked_on > $2)

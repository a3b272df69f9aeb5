-- The brokers' certificates of province $1 (NULL: all), by number.
SELECT b.province_code, b.certificate_no, b.holder_id, b.full_name, b.issued_on, b.revoked_on, b.revocation_reason,
       b.account
FROM personal.brokers b WHERE $1::text IS NULL OR b.province_code = $1
ORDER BY b.province_code, b.certificate_no

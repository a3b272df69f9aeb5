-- A broker's certificate by province $1 and number $2, locked.
SELECT b.province_code, b.certificate_no, b.holder_id, b.full_name, b.issued_on, b.revoked_on, b.revocation_reason,
       b.account
FROM personal.brokers b WHERE b.province_code = $1 AND b.certificate_no = $2
FOR UPDATE

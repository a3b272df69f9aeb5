-- A broker's certificate, numbered next in its province $1 unless $6 gives the number.
WITH c AS (SELECT id FROM changes WHERE id = currval(pg_get_serial_sequence('changes', 'id')))
INSERT INTO personal.brokers (province_code, certificate_no, holder_id, full_name, issued_on, account, change_id)
SELECT $1, coalesce($6, (SELECT coalesce(max(b.certificate_no), 0) + 1 FROM personal.brokers b WHERE b.province_code = $1)),
       $2, $3, $4, $5, c.id
FROM c
RETURNING certificate_no

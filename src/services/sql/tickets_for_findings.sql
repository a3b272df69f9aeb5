-- A ticket for each new finding, assigned to its commune's office.
INSERT INTO personal.correction_tickets (no, source, parcel_id, finding_id, commune_code, message, notified_at, due,
                                         change_id)
SELECT 'SS-' || $2 || '-' || lpad(nextval('correction_ticket_no')::text, 6, '0'), 'finding', q.parcels[1], q.id,
       q.commune_code, q.detail, now(), $3, $4
FROM quality_findings q
WHERE q.id = ANY ($1)
ORDER BY q.id

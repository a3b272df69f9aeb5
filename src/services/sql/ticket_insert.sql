INSERT INTO personal.correction_tickets (no, source, parcel_id, commune_code, message, contact, reporter,
                                         notified_at, due, change_id)
VALUES ('SS-' || $1 || '-' || lpad(nextval('correction_ticket_no')::text, 6, '0'), 'report', $2, $3, $4, $5, $6,
        now(), $7, $8)
RETURNING no

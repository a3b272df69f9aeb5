UPDATE personal.correction_tickets
SET state = $2, answer = $3, correcting_event = $4, answered_at = now(), answered_by = $5
WHERE no = $1

-- Cancels transaction $1 with reason $2: kept, with its time.
UPDATE personal.transactions SET cancelled_at = now(), cancel_reason = $2 WHERE id = $1

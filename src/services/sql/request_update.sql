-- One step of a request's workflow: the columns a step sets, others kept.
UPDATE personal.data_requests
SET state = $2,
    fee_vnd = coalesce($3, fee_vnd),
    fee_notified_at = CASE WHEN $2 = 'fee_notified' THEN now() ELSE fee_notified_at END,
    paid_at = CASE WHEN $2 = 'paid' AND state <> 'paid' THEN now() ELSE paid_at END,
    payment_reference = coalesce($4, payment_reference),
    extended_days = coalesce($5, extended_days),
    extension_reason = coalesce($6, extension_reason),
    due = coalesce($7, due),
    refusal_reason = coalesce($8, refusal_reason),
    refusal_note = coalesce($9, refusal_note),
    decided_at = CASE WHEN $2 IN ('fee_notified', 'refused') OR ($2 = 'paid' AND state = 'received') THEN now()
                      ELSE decided_at END,
    provided_at = CASE WHEN $2 = 'provided' THEN now() ELSE provided_at END,
    download_digest = coalesce($10, download_digest),
    download_expires = coalesce($11, download_expires)
WHERE no = $1

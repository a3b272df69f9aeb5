-- Requests by number, or those of some communes (all with NULL) in a state; overdue ones (the
-- office's turn and due before $5, today) only when $4. Locked when read for a change.
SELECT r.no, r.requester_kind, r.requester_name, r.requester_id, r.contact, r.account, r.purpose, r.parcels,
       r.commune_code, r.communes, r.layers, r.as_of, r.format, r.delivery, r.other_data, r.owner_info,
       r.owner_basis, r.owner_basis_document, r.received_at, r.state, r.refuse_by, r.due, r.extended_days,
       r.extension_reason, r.fee_vnd, r.fee_notified_at, r.paid_at, r.payment_reference, r.refusal_reason,
       r.refusal_note, r.decided_at, r.provided_at, r.download_expires,
       (r.state IN ('received', 'paid') AND r.due < $5) AS overdue
FROM personal.data_requests r
WHERE ($1::text IS NULL OR r.no = $1) AND ($2::text[] IS NULL OR r.communes && $2)
  AND ($3::text IS NULL OR r.state = $3) AND (NOT $4 OR (r.state IN ('received', 'paid') AND r.due < $5))
ORDER BY r.due, r.no
FOR UPDATE

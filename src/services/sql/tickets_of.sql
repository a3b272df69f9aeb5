-- Tickets by number, or those of some communes (all with NULL) in a state, overdue ones (due
-- before $5, today) only when $4.
SELECT t.no, t.source, t.parcel_id, t.finding_id, t.commune_code, t.message, t.contact, t.reporter,
       t.notified_at, t.due, t.state, t.answer, t.correcting_event, t.answered_at, t.answered_by,
       (t.state = 'open' AND t.due < $5) AS overdue
FROM personal.correction_tickets t
WHERE ($1::text IS NULL OR t.no = $1) AND ($2::text[] IS NULL OR t.commune_code = ANY ($2))
  AND ($3::text IS NULL OR t.state = $3) AND (NOT $4 OR (t.state = 'open' AND t.due < $5))
ORDER BY t.due, t.no
FOR UPDATE

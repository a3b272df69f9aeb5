-- Transaction $1, locked, with what decides who may cancel it.
SELECT t.product_id, t.parcel_id, t.submitted_by, t.cancelled_at
FROM personal.transactions t WHERE t.id = $1
FOR UPDATE

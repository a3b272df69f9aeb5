-- The transaction change $1 recorded (a submission records one).
SELECT max(id) FROM personal.transactions WHERE change_id = $1

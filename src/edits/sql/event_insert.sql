-- One land-procedure event of change $1.
INSERT INTO parcel_events (change_id, kind, at, actor, reason, legal_basis, closed, opened, secured_party_consent)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
RETURNING id

INSERT INTO personal.accounts (username, full_name, personal_id, organisation, password_hash, valid_until)
VALUES ($1, $2, $3, $4, $5, $6)

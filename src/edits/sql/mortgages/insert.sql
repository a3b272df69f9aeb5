INSERT INTO personal.security_interests (registration_no, registered_at, secured_party, secured_party_tax_code,
    giver_name, giver_id, parcels, certificates, assets, amount_vnd, contract_ref)
VALUES ($1, clock_timestamp(), $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING registered_at

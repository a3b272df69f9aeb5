-- Registration $1, locked for the change that reads it.
SELECT registration_no, registered_at, secured_party, secured_party_tax_code, giver_name, giver_id, parcels,
       certificates, assets, amount_vnd, contract_ref, released_at
FROM personal.security_interests WHERE registration_no = $1
FOR UPDATE

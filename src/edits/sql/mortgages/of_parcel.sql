-- Registrations over parcel $1, in order of priority (registration time).
SELECT registration_no, registered_at, secured_party, secured_party_tax_code, giver_name, giver_id, parcels,
       certificates, assets, amount_vnd, contract_ref, released_at
FROM personal.security_interests WHERE parcels @> ARRAY[$1]
ORDER BY registered_at, registration_no

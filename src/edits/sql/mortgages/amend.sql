-- Amends registration $1: each given value replaces the recorded one.
UPDATE personal.security_interests
SET secured_party = coalesce($2, secured_party), secured_party_tax_code = coalesce($3, secured_party_tax_code),
    amount_vnd = coalesce($4, amount_vnd), contract_ref = coalesce($5, contract_ref), assets = coalesce($6, assets),
    certificates = coalesce($7, certificates)
WHERE registration_no = $1

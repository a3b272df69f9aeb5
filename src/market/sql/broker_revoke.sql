-- Revokes certificate ($1, $2) on $3 for reason $4.
UPDATE personal.brokers SET revoked_on = $3, revocation_reason = $4 WHERE province_code = $1 AND certificate_no = $2

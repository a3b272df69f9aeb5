-- Registrations in force over any of parcels $1: number, parcel, registration time.
SELECT s.registration_no, p, s.registered_at
FROM personal.security_interests s, unnest(s.parcels) AS p
WHERE s.parcels && $1 AND s.released_at IS NULL AND p = ANY ($1)
ORDER BY s.registered_at

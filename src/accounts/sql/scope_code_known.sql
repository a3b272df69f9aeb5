-- Whether a scope code names a 2025 province, or a 2025 or pre-reform commune.
SELECT EXISTS (SELECT 1 FROM provinces WHERE code = $1)
    OR EXISTS (SELECT 1 FROM communes WHERE code = $1)
    OR EXISTS (SELECT 1 FROM former_communes WHERE code = $1)

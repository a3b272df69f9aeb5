-- The commune whose loaded boundary holds project $1.
SELECT c.code FROM projects p JOIN communes c ON c.geom IS NOT NULL AND ST_Contains(c.geom, ST_PointOnSurface(p.geom))
WHERE p.code = $1

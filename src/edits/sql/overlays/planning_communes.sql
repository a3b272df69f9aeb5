-- The commune whose loaded boundary holds zone $1.
SELECT c.code FROM planning_zones z JOIN communes c ON c.geom IS NOT NULL AND ST_Contains(c.geom, ST_PointOnSurface(z.geom))
WHERE z.id::text = $1

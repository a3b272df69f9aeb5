-- Takes the stale marks (this transaction's and any left by writers outside the gateway): each
-- commune once, and whether its current geometries changed (marks that do not net to zero).
WITH taken AS (DELETE FROM admin_outlines_marks RETURNING code, geoms_hash, geoms)
SELECT code, sum(geoms_hash) <> 0 OR sum(geoms) <> 0 AS reshaped FROM taken GROUP BY code ORDER BY code

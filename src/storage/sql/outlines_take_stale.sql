-- Takes the stale marks (this transaction's and any left by writers outside the gateway): each
-- commune once, and whether its current geometries changed (marks that do not cancel out).
WITH taken AS (DELETE FROM admin_outlines_stale RETURNING code, geom_md5, sign),
net AS (SELECT code, geom_md5, sum(sign) AS n FROM taken GROUP BY code, geom_md5)
SELECT code, bool_or(n <> 0) AS reshaped FROM net GROUP BY code ORDER BY code

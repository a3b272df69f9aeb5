-- The columns a table's indexes name, as keys, in expressions or in predicates (an index depends
-- on each column its expressions and predicate name; a constraint's index on its keys only), for
-- the analyse after a bulk load: the planner's choices between an index and a scan rest on
-- these. NULL for a table without indexes.
SELECT string_agg(DISTINCT quote_ident(a.attname), ', ')
FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum > 0
WHERE i.indrelid = $1::regclass
  AND (a.attnum = ANY (i.indkey)
    OR EXISTS (SELECT FROM pg_depend d
               WHERE d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid
                 AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid = a.attnum))

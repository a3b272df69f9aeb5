-- The product ID of each unit named by project $1, building $2, floor $3 and number $4 (NULL
-- where no unit is there), in the order given.
SELECT u.product_id
FROM unnest($1::text[], $2::text[], $3::int[], $4::text[]) WITH ORDINALITY AS s (project_code, building, floor, unit_no, n)
LEFT JOIN units u USING (project_code, building, floor, unit_no)
ORDER BY s.n

-- The product ID of the unit named $1: by product ID, or by project, building, floor and number
-- (a new unit whose ID was generated).
SELECT product_id FROM units
WHERE product_id = $1 OR 'unit ' || project_code || ' ' || building || ' floor ' || floor || ' no. ' || unit_no = $1

-- Which of the product IDs ($1) and commune codes ($2) exist.
SELECT 'unit' AS what, product_id AS code FROM units WHERE product_id = ANY ($1)
UNION ALL
SELECT 'commune', code FROM communes WHERE code = ANY ($2)

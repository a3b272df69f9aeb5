DELETE FROM units WHERE product_id = $1

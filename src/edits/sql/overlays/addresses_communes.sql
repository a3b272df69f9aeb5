SELECT commune_code FROM addresses WHERE code = $1

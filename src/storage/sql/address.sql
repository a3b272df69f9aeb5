SELECT a.code, a.parcel_id, a.product_id, a.commune_code, c.name AS commune_name, pr.name AS province_name,
       a.street, a.house_no, a.building, a.floor, a.room, a.postcode, ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat
FROM addresses a
JOIN communes c ON c.code = a.commune_code
JOIN provinces pr ON pr.code = c.province_code
WHERE a.code = $1

-- Digital addresses an edit replaces, found by code; the parameters of addresses_insert.sql.
UPDATE addresses a
SET parcel_id = x.parcel_id, product_id = x.product_id, commune_code = x.commune_code, street = x.street,
    house_no = x.house_no, building = x.building, floor = x.floor, room = x.room, postcode = x.postcode,
    geom = ST_SetSRID(ST_MakePoint(x.lon, x.lat), 4326), import_id = $13
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::text[], $10::text[], $11::float8[], $12::float8[])
    AS x (code, parcel_id, product_id, commune_code, street, house_no, building, floor, room, postcode, lon, lat)
WHERE a.code = x.code

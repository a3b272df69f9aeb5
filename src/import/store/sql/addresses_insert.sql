INSERT INTO addresses (code, parcel_id, product_id, commune_code, street, house_no, building, floor, room, postcode,
                       geom, import_id)
SELECT a.code, a.parcel_id, a.product_id, a.commune_code, a.street, a.house_no, a.building, a.floor, a.room,
       a.postcode, ST_SetSRID(ST_MakePoint(a.lon, a.lat), 4326), $13
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::text[], $10::text[], $11::float8[], $12::float8[])
    AS a (code, parcel_id, product_id, commune_code, street, house_no, building, floor, room, postcode, lon, lat)

-- Units an edit replaces, found by product ID; the parameters of units_insert.sql.
UPDATE units u
SET project_code = x.project_code, parcel_id = x.parcel_id, building = x.building, floor = x.floor,
    unit_no = x.unit_no, location_code = x.location_code, floor_area_m2 = x.floor_area_m2, status = x.status,
    footprint = ST_Multi(ST_GeomFromEWKB(x.footprint)), import_id = $11
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::float8[],
            $9::text[], $10::bytea[])
    AS x (product_id, project_code, parcel_id, building, floor, unit_no, location_code, floor_area_m2, status,
          footprint)
WHERE u.product_id = x.product_id

INSERT INTO units (product_id, project_code, parcel_id, building, floor, unit_no, location_code, floor_area_m2,
                   status, footprint, import_id)
SELECT u.product_id, u.project_code, u.parcel_id, u.building, u.floor, u.unit_no, u.location_code, u.floor_area_m2,
       u.status, ST_Multi(ST_GeomFromEWKB(u.footprint)), $11
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::float8[],
            $9::text[], $10::bytea[])
    AS u (product_id, project_code, parcel_id, building, floor, unit_no, location_code, floor_area_m2, status,
          footprint)

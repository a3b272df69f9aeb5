-- Units of a project ($1) or one unit by product ID ($2).
SELECT product_id, ST_AsGeoJSON(footprint)::json AS footprint, project_code, parcel_id, building, floor, unit_no, location_code, floor_area_m2, status
FROM units
WHERE ($1::text IS NULL OR project_code = $1) AND ($2::text IS NULL OR product_id = $2)
ORDER BY building, floor, unit_no

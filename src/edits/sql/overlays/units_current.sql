-- Unit $1 as the units import's fields, its footprint, and its identity.
SELECT jsonb_strip_nulls(jsonb_build_object('MaSanPham', product_id, 'MaDuAn', project_code, 'MaThua', parcel_id,
                          'ToaNha', building, 'Tang', floor, 'SoCan', unit_no, 'MaViTri', location_code,
                          'DienTichSan', floor_area_m2, 'TrangThai', status)) AS attributes,
       footprint AS geom, product_id AS identity
FROM units WHERE product_id = $1

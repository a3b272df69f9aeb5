-- Digital address $1 as the addresses import's fields, its point, and its identity.
SELECT jsonb_strip_nulls(jsonb_build_object('MaDiaChi', code, 'MaThua', parcel_id, 'MaSanPham', product_id,
                          'MaXa', commune_code, 'Duong', street, 'SoNha', house_no, 'ToaNha', building,
                          'Tang', floor, 'Phong', room, 'MaBuuChinh', postcode)) AS attributes,
       geom, code AS identity
FROM addresses WHERE code = $1

-- Project $1 as the projects import's fields, its geometry, and its identity.
SELECT jsonb_strip_nulls(jsonb_build_object('MaDuAn', code, 'TenDuAn', name, 'ChuDauTu', investor, 'LoaiDuAn', kind,
                          'TrangThai', status, 'TienDo', progress_pct, 'TongVonDauTu', total_investment_vnd,
                          'DienTichDat', land_area_m2, 'SoQDChuTruong', policy_decision_no,
                          'NgayQDChuTruong', policy_decision_date)) AS attributes,
       geom, code AS identity
FROM projects WHERE code = $1

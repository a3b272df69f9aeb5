-- Planning zone $1 (its id) as the planning import's fields, its geometry, and its identity.
SELECT jsonb_build_object('MaVung', zone_code, 'TenQuyHoach', plan_name, 'CapQuyHoach', plan_level,
                          'KyQuyHoach', period_start || '-' || period_end, 'SoQuyetDinh', decision_no,
                          'NgayQuyetDinh', decision_date, 'TrangThai', status,
                          'KyHieuMucDichSuDung', array_to_string(land_use, '+')) AS attributes,
       geom, plan_name || ' / ' || zone_code AS identity
FROM planning_zones WHERE id::text = $1

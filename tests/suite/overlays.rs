//! Planning zones, land prices, holders and rights: imported by the CLI, served over HTTP,
//! checked against PostGIS and against hand-computed prices.

use crate::common;

use common::{Content, TestApp, TestDb, text, write_file};

#[tokio::test]
async fn every_overlay_sample_loads() {
    let db = TestDb::new(Content::Samples).await;
    assert_eq!(db.count("SELECT count(*) FROM planning_zones").await, 12);
    assert_eq!(db.count("SELECT count(*) FROM price_segments").await, 18);
    assert_eq!(db.count("SELECT count(*) FROM land_prices").await, 18 * 2 * 4);
    assert_eq!(db.count("SELECT count(*) FROM personal.rights").await, 3076);
    // Every category occurs, and no parcel has more than one.
    assert_eq!(db.count("SELECT count(DISTINCT category) FROM parcel_ownership").await, 5);
    assert_eq!(db.count("SELECT count(*) - count(DISTINCT parcel_id) FROM parcel_ownership").await, 0);
    // Shared holdings are exactly the parcels with two land-use rights of one half each.
    assert_eq!(
        db.count("SELECT count(*) FROM parcel_ownership WHERE category = 'shared'").await,
        db.count("SELECT count(*) FROM (SELECT parcel_id FROM personal.rights GROUP BY 1 HAVING count(*) = 2 AND sum(share) = 1) t").await
    );
}

#[tokio::test]
async fn a_fronting_parcel_is_priced_as_computed_by_hand() {
    let app = TestApp::spawn(Content::Samples).await;
    let (status, card) = app.get("/api/parcels/05443-1-1?price_on=2026-06-01").await;
    assert_eq!(status, 200, "{card}");
    let price = &card["properties"]["price"];
    // Segment 05443-01A, ODT at VT1: 28,000,000 VND/m² (decision 45/2024) × 229.6 m² legal area.
    assert_eq!(price["determined"], true, "{price}");
    assert_eq!(price["segment"]["code"], "05443-01A");
    assert_eq!(price["position"]["vt"], 1);
    assert_eq!(price["unit_price_vnd_m2"], 28_000_000);
    assert_eq!(price["area_m2"], 229.6);
    assert_eq!(price["total_vnd"], 6_428_800_000_i64);
    assert!(price["text"].as_str().unwrap().contains("= 6.428.800.000 VND"), "{price}");
    assert_eq!(price["decision_no"], "45/2024/QĐ-UBND");
    // Before the table took effect there is no price in force.
    let (_, before) = app.get("/api/parcels/05443-1-1?price_on=2024-06-01").await;
    assert_eq!(before["properties"]["price"]["determined"], false);
    assert!(
        before["properties"]["price"]["text"].as_str().unwrap().contains("no ODT price at VT1 in force on 2024-06-01")
    );
}

#[tokio::test]
async fn alley_parcels_take_their_position_from_the_alley_width() {
    let app = TestApp::spawn(Content::Samples).await;
    for (width, vt) in [(1.8, 4), (2.5, 3), (3.0, 3), (4.0, 2)] {
        let (key, area, pid): (String, f64, String) = sqlx::query_as(
            "SELECT commune_code_recorded || '-' || sheet || '-' || parcel_no, legal_area_m2, parcel_id FROM parcels
             WHERE alley_width_m = $1 AND land_use = ARRAY['ODT'] ORDER BY uid LIMIT 1",
        )
        .bind(width)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        // PostGIS's own choice of segment, and the table's price for it.
        let (segment, unit): (String, i64) = sqlx::query_as(
            "SELECT s.code, lp.price_vnd_m2 FROM parcels p, price_segments s
             JOIN land_prices lp ON lp.segment_code = s.code AND lp.land_use = 'ODT' AND lp.position = $2
             WHERE p.parcel_id = $1 ORDER BY ST_Distance(s.geom::geography, p.geom::geography) LIMIT 1",
        )
        .bind(&pid)
        .bind(vt as i16)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let (_, card) = app.get(&format!("/api/parcels/{key}")).await;
        let price = &card["properties"]["price"];
        assert_eq!(price["position"]["vt"], vt, "{key} (alley {width} m): {price}");
        assert_eq!(price["segment"]["code"], segment.as_str(), "{key}");
        assert_eq!(price["total_vnd"], (unit as f64 * area).round() as i64, "{key}");
    }
}

#[tokio::test]
async fn planning_shares_and_zones_at_a_point() {
    let app = TestApp::spawn(Content::Samples).await;
    // A parcel across a zone boundary: its shares add up to the whole parcel.
    let key: String = sqlx::query_scalar(
        "SELECT p.commune_code_recorded || '-' || p.sheet || '-' || p.parcel_no FROM parcels p
         JOIN planning_zones z ON ST_Intersects(z.geom, p.geom)
         GROUP BY p.uid HAVING count(*) = 2 ORDER BY p.uid LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let (_, card) = app.get(&format!("/api/parcels/{key}")).await;
    let zones = card["properties"]["planning"].as_array().unwrap();
    assert_eq!(zones.len(), 2, "{key}: {zones:?}");
    let total: f64 = zones.iter().map(|z| z["share"].as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-6, "{key}: shares add up to {total}");
    assert!(zones.iter().all(|z| z["share"].as_f64().unwrap() > 0.0));

    let (status, fc) = app.get("/api/planning?at=106.678,20.8625").await;
    assert_eq!(status, 200);
    let expected: Vec<String> = sqlx::query_scalar(
        "SELECT zone_code FROM planning_zones WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint(106.678, 20.8625), 4326))",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(expected.len(), 1);
    assert_eq!(fc["features"][0]["properties"]["zone_code"], expected[0].as_str());
    assert_eq!(fc["features"][0]["properties"]["plan_level"], "commune");
    app.expect_errors(&[
        ("/api/planning", 400, "give ?at=LON,LAT"),
        ("/api/planning?at=300,1", 400, "outside longitude"),
        ("/api/planning?at=1,2&x=1", 400, "unknown parameter `x`"),
        ("/api/prices", 400, "give ?segment=CODE"),
        ("/api/prices?segment=NOPE", 404, "no price segment has code `NOPE`"),
        ("/api/parcels/05443-1-1?price_on=yesterday", 400, "must be a date written YYYY-MM-DD"),
        ("/api/parcels/05443-1-1?on=yesterday", 400, "must be a date (YYYY-MM-DD) or an instant"),
    ])
    .await;
}

#[tokio::test]
async fn a_segment_lists_its_prices() {
    let app = TestApp::spawn(Content::Samples).await;
    let (status, seg) = app.get("/api/prices?segment=11311-02B").await;
    assert_eq!(status, 200, "{seg}");
    assert_eq!(seg["geometry"]["type"], "MultiLineString");
    let prices = seg["properties"]["prices"].as_array().unwrap();
    assert_eq!(prices.len(), 8);
    let vt = |lu: &str, p: i64| {
        prices.iter().find(|x| x["land_use"] == lu && x["position"] == p).unwrap()["price_vnd_m2"].as_i64().unwrap()
    };
    assert!(vt("ODT", 1) > vt("ODT", 2) && vt("ODT", 2) > vt("ODT", 3) && vt("ODT", 3) > vt("ODT", 4));
    assert!(vt("TMD", 1) < vt("ODT", 1));
}

#[tokio::test]
async fn ownership_category_is_served_from_rights() {
    let app = TestApp::spawn(Content::Samples).await;
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT ON (o.category) p.commune_code_recorded || '-' || p.sheet || '-' || p.parcel_no, o.category
         FROM parcel_ownership o JOIN parcels p ON p.parcel_id = o.parcel_id ORDER BY o.category, p.uid",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 5);
    for (key, category) in rows {
        assert_eq!(
            app.get(&format!("/api/parcels/{key}")).await.1["properties"]["ownership"],
            category.as_str(),
            "{key}"
        );
    }
    // The messy pre-reform parcels have no recorded rights.
    assert_eq!(app.get("/api/parcels/20248-1-149").await.1["properties"]["ownership"], "none");
}

#[tokio::test]
async fn bad_overlay_input_is_refused_and_changes_nothing() {
    let db = TestDb::new(Content::Samples).await;
    let dir = tempfile::tempdir().unwrap();
    let square = r#"{"type":"Polygon","coordinates":[[[105.83,21.59],[105.831,21.59],[105.831,21.591],[105.83,21.591],[105.83,21.59]]]}"#;
    let line = r#"{"type":"LineString","coordinates":[[105.83,21.59],[105.831,21.59]]}"#;
    let planning = |lu: &str, geometry: &str| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"MaVung":"Z1","TenQuyHoach":"QH test","CapQuyHoach":"xã","KyQuyHoach":"2021-2030","SoQuyetDinh":"1/QĐ","NgayQuyetDinh":"2022-01-01","KyHieuMucDichSuDung":"{lu}"}},"geometry":{geometry}}}]}}"#
        )
    };
    let price = |segment: &str, geometry: &str| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{{segment}"TenDuong":"Test","LoaiDat":"ODT","VT1":1000000,"SoQuyetDinh":"1/QĐ","NgayHieuLuc":"2025-01-01"}},"geometry":{geometry}}}]}}"#
        )
    };
    let header = "MaChu,LoaiChu,HoTen,SoDinhDanh,NamSinh,MaSoThue,MaThua,LoaiQuyen,TaiSan,TyLe,SoGCN,NgayCap\n";
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["planning".into(), write_file(&dir, "p1.geojson", &planning("XYZ", square))],
            "unknown land-use code `XYZ`",
        ),
        (vec!["planning".into(), write_file(&dir, "p2.geojson", &planning("ODT", line))], "a parcel must be a polygon"),
        (vec!["prices".into(), write_file(&dir, "r1.geojson", &price("", line))], "a price without a segment"),
        (
            vec!["prices".into(), write_file(&dir, "r2.geojson", &price(r#""MaDoan":"S1","#, "null"))],
            "no geometry: a line is needed",
        ),
        (
            vec![
                "holders".into(),
                write_file(
                    &dir,
                    "h1.csv",
                    &format!("{header}X1,ca_nhan,Test Name,019088811727,1988,,05443-1-99999,,,1,,\n"),
                ),
            ],
            "names a parcel that no current parcel has",
        ),
        (
            vec![
                "holders".into(),
                write_file(&dir, "h2.csv", &format!("{header}X1,ca_nhan,Test Name,12345,1988,,05443-1-1,,,1,,\n")),
            ],
            "SoDinhDanh `12345` must be the 12 digits of a personal ID",
        ),
        (
            vec![
                "holders".into(),
                write_file(&dir, "h3.csv", &format!("{header}X1,ca_nhan,Test Name,,,,05443-1-1,,,1,AB12,\n")),
            ],
            "SoGCN `AB12` must be a certificate number of 12 letters and digits",
        ),
        (
            vec![
                "holders".into(),
                write_file(&dir, "h4.csv", &format!("{header}X1,ca_nhan,Test Name,,,,05443-1-1,,,150%,,\n")),
            ],
            "share `150%` must be above 0 and at most 1",
        ),
    ];
    let state = || async {
        db.count(
            "SELECT (SELECT count(*) FROM planning_zones) * 1000000 + (SELECT count(*) FROM land_prices) * 1000
                  + (SELECT count(*) FROM personal.rights) + (SELECT count(*) FROM imports) * 1000000000",
        )
        .await
    };
    let before = state().await;
    for (args, message) in cases {
        let mut argv = vec!["import"];
        argv.extend(args.iter().map(String::as_str));
        let out = db.cli(&argv);
        assert!(!out.status.success(), "{argv:?} succeeded");
        assert!(text(&out).contains(message), "{argv:?}: expected `{message}` in:\n{}", text(&out));
        assert_eq!(state().await, before, "{argv:?} changed the database");
    }
}

//! The HTTP API against a started server on the loaded samples, checked against PostGIS.

use crate::common;

use std::collections::BTreeSet;

use common::{Content, TestApp};
use futures_util::StreamExt;
use serde_json::Value;

fn keys(fc: &Value) -> BTreeSet<String> {
    common::legacy_keys(fc).into_iter().collect()
}

#[tokio::test]
async fn a_parcel_by_either_code() {
    let app = TestApp::spawn(Content::Samples).await;
    let (pid, area, geodesic): (String, f64, f64) = sqlx::query_as(
        "SELECT parcel_id, legal_area_m2, ST_Area(geom::geography) FROM parcels WHERE commune_code_recorded = '05443' AND sheet = '2' AND parcel_no = 15",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let (status, by_key) = app.get("/api/parcels/05443-2-15").await;
    assert_eq!(status, 200, "{by_key}");
    let (status, by_id) = app.get(&format!("/api/parcels/{}", pid.to_uppercase())).await;
    assert_eq!(status, 200);
    assert_eq!(by_key, by_id);
    let p = &by_key["properties"];
    assert_eq!(by_key["type"], "Feature");
    assert_eq!(by_key["id"], pid.as_str());
    assert_eq!(by_key["geometry"]["type"], "MultiPolygon");
    assert_eq!(p["legacy_key"], "05443-2-15");
    assert_eq!(p["commune_code"], "05443");
    assert_eq!(p["commune_name"], "Phường Phan Đình Phùng");
    assert_eq!(p["province_code"], "19");
    assert_eq!(p["province_name"], "Thái Nguyên");
    assert_eq!(p["legal_area_m2"].as_f64().unwrap(), area);
    let ours = p["geodesic_area_m2"].as_f64().unwrap();
    assert!((ours / geodesic - 1.0).abs() < 1e-4, "geodesic area {ours} vs PostGIS {geodesic}");
    assert!(p["address"].as_str().unwrap().ends_with("Phường Phan Đình Phùng, Thái Nguyên"));
    assert!(p["land_use"].as_array().unwrap().iter().all(|c| c.is_string()));
    // A pre-reform parcel says so: recorded code kept, current commune unknown.
    let (status, old) = app.get("/api/parcels/20248-1-149").await;
    assert_eq!(status, 200);
    assert_eq!(old["properties"]["commune_code_recorded"], "20248");
    assert!(old["properties"]["commune_code"].is_null());
    assert_eq!(old["properties"]["land_use"], serde_json::json!(["ONT", "LNK"]));
}

#[tokio::test]
async fn malformed_and_unknown_codes_say_what_is_wrong() {
    let app = TestApp::spawn(Content::Samples).await;
    app.expect_errors(&[
        ("/api/parcels/abc", 400, "neither a 12-character parcel ID"),
        ("/api/parcels/w7g6b61hne8a", 400, "`a`, which is not a GeoHash character"),
        ("/api/parcels/0544-1-1", 400, "must be 5 digits"),
        ("/api/parcels/05443-1-0", 400, "whole number from 1"),
        ("/api/parcels/05443-1-99999", 404, "no current parcel has legacy key 05443-1-99999"),
        ("/api/parcels/w7g6b61hne87zz", 400, "neither"),
        ("/api/parcels/s00000000000", 404, "no current parcel has parcel ID s00000000000"),
        ("/api/parcels/05443-1-99999/neighbours", 404, "no current parcel"),
        ("/api/parcels", 400, "give exactly one of ?at=LON,LAT or ?bbox=W,S,E,N"),
        ("/api/parcels?at=1", 400, "at `1` must be LON,LAT"),
        ("/api/parcels?at=200,10", 400, "outside longitude"),
        ("/api/parcels?bbox=106,21,105,22", 400, "west must not exceed east"),
        ("/api/parcels?bbox=a,b,c,d", 400, "must be W,S,E,N"),
        ("/api/parcels?bbox=105,21,106,22&limit=0", 400, "limit `0` must be a whole number from 1 to 1000"),
        ("/api/parcels?bbox=105,21,106,22&limit=5000", 400, "from 1 to 1000"),
        ("/api/parcels?bbox=105,21,106,22&after=xyz", 400, "must have exactly 12 characters"),
        ("/api/parcels?bbox=105,21,106,22&colour=red", 400, "unknown parameter `colour`"),
        ("/api/nothing", 404, "no such endpoint"),
    ])
    .await;
}

#[tokio::test]
async fn point_query_finds_the_parcel_postgis_finds() {
    let app = TestApp::spawn(Content::Samples).await;
    let probes: Vec<(String, f64, f64)> = sqlx::query_as(
        "SELECT commune_code_recorded || '-' || sheet || '-' || parcel_no, ST_X(p), ST_Y(p)
         FROM (SELECT *, ST_PointOnSurface(geom) AS p FROM parcels) s ORDER BY uid LIMIT 40",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    for (key, x, y) in probes {
        let (status, fc) = app.get(&format!("/api/parcels?at={x},{y}")).await;
        assert_eq!(status, 200);
        let expected: BTreeSet<String> = sqlx::query_scalar(
            "SELECT commune_code_recorded || '-' || sheet || '-' || parcel_no FROM parcels WHERE ST_Intersects(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))",
        )
        .bind(x)
        .bind(y)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
        assert!(expected.contains(&key));
        assert_eq!(keys(&fc), expected, "at {x},{y}");
    }
    // A street between blocks holds no parcel.
    let (_, fc) = app.get("/api/parcels?at=105.5,21.0").await;
    assert_eq!(fc["numberReturned"], 0);
}

#[tokio::test]
async fn bbox_pages_through_exactly_what_postgis_finds() {
    let app = TestApp::spawn(Content::Samples).await;
    let bbox = "105.835,21.589,105.842,21.594";
    let expected: BTreeSet<String> = sqlx::query_scalar(
        "SELECT commune_code_recorded || '-' || sheet || '-' || parcel_no FROM parcels
         WHERE ST_Intersects(geom, ST_MakeEnvelope(105.835, 21.589, 105.842, 21.594, 4326))",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert!(expected.len() > 300, "{}", expected.len());
    let mut seen = BTreeSet::new();
    let mut next = Some(format!("/api/parcels?bbox={bbox}&limit=250"));
    let mut pages = 0;
    while let Some(path) = next {
        let (status, fc) = app.get(&path).await;
        assert_eq!(status, 200, "{fc}");
        let page = keys(&fc);
        assert_eq!(fc["numberReturned"].as_u64().unwrap() as usize, page.len());
        assert!(page.is_disjoint(&seen), "pages overlap");
        seen.extend(page);
        next = fc["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| l["href"].as_str().unwrap().to_owned());
        pages += 1;
    }
    assert_eq!(seen, expected);
    assert_eq!(pages, expected.len().div_ceil(250));
}

#[tokio::test]
async fn neighbours_share_a_boundary_by_postgis_too() {
    let app = TestApp::spawn(Content::Samples).await;
    // Shared boundary length by PostGIS, with the same 5 cm snap as the index.
    let shared = "SELECT b.commune_code_recorded || '-' || b.sheet || '-' || b.parcel_no,
                         ST_Length(ST_Intersection(ST_Boundary(b.geom), ST_Buffer(ST_Boundary(a.geom)::geography, 0.05)::geometry)::geography)
                  FROM parcels a JOIN parcels b ON b.uid <> a.uid AND ST_DWithin(a.geom::geography, b.geom::geography, 0.05)
                  WHERE a.commune_code_recorded = '05443' AND a.sheet = $1 AND a.parcel_no = $2";
    for (sheet, no) in [("1", 1), ("1", 20), ("2", 40), ("3", 77)] {
        let (status, fc) = app.get(&format!("/api/parcels/05443-{sheet}-{no}/neighbours")).await;
        assert_eq!(status, 200);
        let ours = keys(&fc);
        assert!(!ours.is_empty(), "05443-{sheet}-{no} has no neighbours");
        let postgis: Vec<(String, f64)> =
            sqlx::query_as(shared).bind(sheet).bind(no).fetch_all(&app.db.pool).await.unwrap();
        for (key, len) in &postgis {
            if *len >= 0.5 {
                assert!(ours.contains(key), "{key} shares {len:.2} m with 05443-{sheet}-{no} but is missing");
            }
            if *len < 0.05 {
                assert!(!ours.contains(key), "{key} only touches 05443-{sheet}-{no} ({len:.3} m) but is listed");
            }
        }
        assert!(ours.iter().all(|k| postgis.iter().any(|(p, _)| p == k)), "{ours:?} vs {postgis:?}");
    }
}

#[tokio::test]
async fn health_and_metrics() {
    let app = TestApp::spawn(Content::Samples).await;
    let (status, landing) = app.get("/api").await;
    assert_eq!(status, 200);
    assert!(landing["links"].as_array().unwrap().iter().any(|l| l["href"] == "/api/parcels/{code}"));
    let (status, h) = app.get("/health").await;
    assert_eq!(status, 200, "{h}");
    assert_eq!(h["status"], "ok");
    assert_eq!(h["database"], "ok");
    assert_eq!(h["index"]["parcels"], 1661 + 1394 + 210 + 38);
    assert_eq!(h["index"]["listening_for_changes"], true);
    app.get("/api/parcels/05443-1-1").await;
    // On the service's address the metrics are the admin's.
    assert_eq!(app.get_text("/metrics").await.0, 401);
    app.db.add_account("quantri", "Lê Văn G", "017000000001", "admin", None, "Địa-chính 2026!");
    assert_eq!(crate::accounts::change_password(&app, "quantri", "Địa-chính 2026!", "Sổ-đỏ an toàn 2027").await.0, 204);
    let resp = app.http.get(format!("{}/metrics", app.base)).basic_auth("quantri", Some("Sổ-đỏ an toàn 2027"));
    let resp = resp.send().await.unwrap();
    let status = resp.status().as_u16();
    let m = resp.text().await.unwrap();
    assert_eq!(status, 200);
    assert!(m.contains("diachinh_http_requests_total{"), "{m}");
    assert!(m.contains(r#"route="/api/parcels/{code}""#), "{m}");
    assert!(m.contains("diachinh_index_parcels 3303"), "{m}");
}

#[tokio::test]
async fn no_response_carries_a_holders_name_or_personal_id() {
    let app = TestApp::spawn(Content::Samples).await;
    let secrets = common::personal_data(&app.db.pool).await;
    let mut bodies = Vec::new();
    let mut next = Some("/api/parcels?bbox=105,20,107,22&limit=1000".to_owned());
    while let Some(path) = next {
        let (_, body) = app.get_text(&path).await;
        let fc: Value = serde_json::from_str(&body).unwrap();
        next = fc["links"].as_array().unwrap().first().map(|l| l["href"].as_str().unwrap().to_owned());
        bodies.push(body);
    }
    // Every parcel's card (with planning, price and ownership), and every other endpoint.
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT commune_code_recorded || '-' || sheet || '-' || parcel_no FROM parcels")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let cards: Vec<String> =
        futures_util::stream::iter(keys.iter().map(|k| app.get_text_owned(format!("/api/parcels/{k}"))))
            .buffer_unordered(8)
            .collect()
            .await;
    assert_eq!(cards.len(), keys.len());
    bodies.extend(cards);
    for path in [
        "/api/parcels/05443-1-1/neighbours",
        "/api/planning?at=105.838,21.5925",
        "/api/prices?segment=05443-01A",
        "/api/projects?bbox=105,20,107,22",
        "/api/projects/DA05443",
        "/api/projects/DA05443/units",
        "/api/projects/DA11311/units",
        "/api/addresses/320857907913",
        "/",
        "/health",
        "/metrics",
    ] {
        bodies.push(app.get_text(path).await.1);
    }
    let all = bodies.join("\n");
    assert!(all.matches("\"ownership\"").count() >= 3303);
    common::assert_none_of(&secrets, all.as_bytes());
}

//! The planners' web map at `/`, driven in headless Chromium (tests/js/web-e2e.mjs, Playwright)
//! and checked against PostGIS. Screenshots are saved under target/web-e2e/.

use crate::common;

use std::process::Command;

use common::{Content, TestApp};
use serde_json::Value;

#[tokio::test]
async fn planners_browse_search_and_open_parcel_cards_in_a_real_browser() {
    let app = TestApp::spawn(Content::Samples).await;
    let (status, html) = app.get_text("/").await;
    assert!(status == 200 && html.contains("/web/vendor/maplibre-gl/maplibre-gl.js"), "{html}");
    let (status, licence) = app.get_text("/web/vendor/maplibre-gl/LICENSE.txt").await;
    assert!(status == 200 && licence.contains("MapLibre"));

    let (id, key, address, area, lon, lat): (String, String, String, f64, f64, f64) = sqlx::query_as(
        "SELECT parcel_id, commune_code_recorded || '-' || sheet || '-' || parcel_no, address, legal_area_m2::float8,
                ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom))
         FROM parcels WHERE valid_to IS NULL AND commune_code_recorded = '05443' AND sheet = '1' AND parcel_no = '1'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let (product, unit_parcel, project, units): (String, String, String, i64) = sqlx::query_as(
        "SELECT product_id, parcel_id, project_code, (SELECT count(*) FROM units v WHERE v.parcel_id = u.parcel_id)
         FROM units u ORDER BY product_id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let out = common::repo().join("target/web-e2e");
    std::fs::create_dir_all(&out).unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(common::repo().join("tests/js/web-e2e.mjs")).args([
        app.base.as_str(),
        out.to_str().unwrap(),
        &id,
        &key,
        &lon.to_string(),
        &lat.to_string(),
        &product,
    ]);
    let o = common::run_beside(cmd).await;
    assert!(o.status.success(), "web-e2e.mjs: {}", common::text(&o));
    let seen: Value = serde_json::from_slice(&o.stdout).unwrap();

    assert_eq!(seen["loadErrors"], serde_json::json!([]), "the page loads with no console errors");
    let groups: Vec<&str> = seen["panel"].as_array().unwrap().iter().map(|g| g["group"].as_str().unwrap()).collect();
    assert_eq!(groups, ["cadastral", "planning", "pricing", "ownership", "projects", "market"]);
    assert!(seen["panel"][0]["legend"].as_u64().unwrap() > 5 && seen["panel"][3]["legend"].as_u64().unwrap() >= 5);
    // The parcels' legend lists the land-use codes the data holds, not all sixty.
    let held = app.db.count("SELECT count(DISTINCT land_use[1]) FROM parcels WHERE valid_to IS NULL").await;
    assert_eq!(seen["panel"][0]["legend"].as_i64(), Some(held), "{}", seen["panel"]);
    let zoned = app.db.count("SELECT count(DISTINCT land_use[1]) FROM planning_zones").await;
    assert_eq!(seen["panel"][1]["legend"].as_i64(), Some(zoned), "{}", seen["panel"]);
    // The map opens where parcels are drawn, not on specks.
    opens_on_drawn_data(&app, &out.join("opening.png")).await;
    // Land-use colours on the canvas; the ownership overlay changes the picture.
    let total = seen["pixels"]["total"].as_f64().unwrap();
    assert!(seen["pixels"]["odt"].as_f64().unwrap() > 0.01 * total, "{}", seen["pixels"]);
    assert!(seen["ownershipChanged"].as_f64().unwrap() > 0.05 * total, "{}", seen["ownershipChanged"]);
    assert!(seen["hash"].as_str().unwrap().contains("layers=cadastral,planning"), "{}", seen["hash"]);

    // The searched parcel's card holds its values; the map flew to it.
    for card in [&seen["searched"], &seen["clicked"]] {
        let f = &card["fields"];
        assert_eq!((f["parcel_id"].as_str(), f["legacy_key"].as_str()), (Some(id.as_str()), Some(key.as_str())));
        assert_eq!(f["address"], address.as_str());
        assert_eq!(f["legal_area"], format!("{area} m²").replace('.', ","));
        assert!(f["price"].as_str().unwrap().contains("6.428.800.000 VND"), "{f}");
        assert_eq!(f["ownership_category"], "individual");
        assert_eq!(card["download"], format!("/ogc/collections/parcels/items/{id}?f=json"));
    }
    let c = &seen["searchedCentre"];
    assert!((c[0].as_f64().unwrap() - lon).abs() < 1e-3 && (c[1].as_f64().unwrap() - lat).abs() < 1e-3, "{c}");
    assert_eq!(seen["unit"]["fields"]["product_id"], product.as_str());
    assert_eq!(seen["unit"]["fields"]["parcel_id"], unit_parcel.as_str());
    assert_eq!(seen["unitParcel"]["fields"]["project"], project.as_str());
    assert_eq!(seen["unitParcel"]["fields"]["units"], units.to_string());
    assert_eq!(seen["unknown"], "Không tìm thấy: zzzzzzzzzzzz");
    assert_eq!(seen["malformed"], "Mã không hợp lệ: no such thing");
    // English on request; the shared URL reopens the same view and layers.
    assert_eq!(seen["english"], "Layers");
    assert_eq!(seen["reopened"]["planning"], "visible");
    assert_eq!(seen["reopened"]["heading"], "Layers");
    let shared = seen["sharedUrl"].as_str().unwrap();
    let view: Vec<f64> = shared
        .split("#map=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .split('/')
        .map(|v| v.parse().unwrap())
        .collect();
    let r = &seen["reopened"];
    assert_eq!(r["zoom"].as_f64(), Some(view[0]), "{shared}: {r}");
    let (rlon, rlat) = (r["centre"][0].as_f64().unwrap(), r["centre"][1].as_f64().unwrap());
    assert!((rlat - view[1]).abs() < 1e-6 && (rlon - view[2]).abs() < 1e-6, "{shared}: {r}");
    for name in ["cadastral", "ownership", "searched"] {
        assert!(out.join(format!("{name}.png")).metadata().unwrap().len() > 10_000, "{name}.png saved");
    }
    eprintln!("first tile {} ms, first idle {} ms after navigation", seen["firstTileMs"], seen["firstIdleMs"]);
}

/// Opens the map with no view in the URL, as a planner would; checks that its map area shows
/// parcels or outlines (not just the background) at a zoom where they are drawn.
async fn opens_on_drawn_data(app: &TestApp, png: &std::path::Path) {
    let mut cmd = Command::new("node");
    cmd.arg(common::repo().join("tests/js/web-opening.mjs")).args([app.base.as_str(), png.to_str().unwrap()]);
    let o = common::run_beside(cmd).await;
    assert!(o.status.success(), "web-opening.mjs: {}", common::text(&o));
    let seen: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(seen["zoom"].as_f64().unwrap() >= 14.0, "{seen}");
    let drawn = 1.0 - seen["background"].as_f64().unwrap() / seen["pixels"].as_f64().unwrap();
    assert!(drawn > 0.05, "only {:.1}% of the map area is drawn at the opening view: {seen}", drawn * 100.0);
    // The first view's tiles were asked for before the map started, and they are the view's.
    let early = seen["early"].as_array().unwrap();
    assert!(!early.is_empty(), "{seen}");
    let zoom = seen["zoom"].as_f64().unwrap();
    let bounds: Vec<f64> = seen["bounds"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    for url in early {
        let url = url.as_str().unwrap();
        let zxy: Vec<f64> =
            url.split(".mvt").next().unwrap().rsplitn(4, '/').take(3).map(|v| v.parse().unwrap()).collect();
        let (y, x, z) = (zxy[0], zxy[1], zxy[2]);
        let n = 2f64.powf(z);
        let lon = |x: f64| x / n * 360.0 - 180.0;
        let lat = |y: f64| (std::f64::consts::PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
        assert_eq!(z, zoom.floor(), "{url} at zoom {zoom}");
        let overlaps = lon(x) < bounds[2] && lon(x + 1.0) > bounds[0] && lat(y + 1.0) < bounds[3] && lat(y) > bounds[1];
        assert!(overlaps, "{url} lies outside the opening view {bounds:?}");
    }
    let (_, tiles) = app.get("/tiles/admin,parcels.json").await;
    let (b, c) = (&tiles["bounds"], &seen["centre"]);
    let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
    assert!(
        (b[0].as_f64().unwrap()..=b[2].as_f64().unwrap()).contains(&lon)
            && (b[1].as_f64().unwrap()..=b[3].as_f64().unwrap()).contains(&lat),
        "the view {c} opens inside the data {b}"
    );
}

#[tokio::test]
async fn the_map_opens_on_parcels_of_pre_reform_data_far_apart() {
    // Pre-reform commune codes in WGS84, in blocks hundreds of kilometres apart.
    let app = TestApp::spawn(Content::Empty).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pre-reform.geojson");
    std::fs::write(&file, crate::import::parcels_geojson(&[("00001", 105.85, 21.03), ("10507", 106.31, 20.94)]))
        .unwrap();
    let out = app.db.cli_beside_server(&["import", "parcels", file.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", common::text(&out));
    // The change feed brings the parcels into the map's layers.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.get("/tiles/parcels.json").await.1["bounds"][0].as_f64().unwrap() < 0.0 {
        assert!(std::time::Instant::now() < deadline, "the parcels reached the tile layers within 10 s");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let png = common::repo().join("target/web-e2e");
    std::fs::create_dir_all(&png).unwrap();
    opens_on_drawn_data(&app, &png.join("opening-pre-reform.png")).await;
}

#[tokio::test]
async fn an_officer_signs_in_on_the_map_and_sees_holders_in_scope_only_while_signed_in() {
    let app = TestApp::spawn(Content::Samples).await;
    let (initial, changed) = ("Địa-chính 2026!", "Sổ-đỏ an toàn 2027");
    app.db.add_account("canbo", "Vũ Thị E", "005000000000", "commune_officer", Some("11311"), initial);
    let (parcel, holder) = common::parcel_with_holder(&app.db.pool, "11311").await;
    let out = common::repo().join("target/web-e2e");
    std::fs::create_dir_all(&out).unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(common::repo().join("tests/js/web-signin.mjs")).args([
        app.base.as_str(),
        out.to_str().unwrap(),
        "canbo",
        initial,
        changed,
        &parcel,
    ]);
    let o = common::run_beside(cmd).await;
    assert!(o.status.success(), "web-signin.mjs: {}", common::text(&o));
    let seen: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(seen["errors"], serde_json::json!([]));
    assert_eq!(seen["anonymous"]["corner"]["signIn"], true);
    assert_eq!(seen["anonymous"]["holders"], Value::Null, "no holders before signing in");
    assert!(seen["wrongPassword"].as_str().unwrap().contains("wrong username or password"), "{seen}");
    assert_eq!(seen["initial"]["newPassword"], true, "an initial password asks to be changed: {seen}");
    let who = seen["signedIn"]["corner"]["who"].as_str().unwrap();
    assert!(who.contains("Vũ Thị E") && who.contains("commune_officer") && who.contains("11311"), "{who}");
    let corner = &seen["signedIn"]["corner"];
    assert_eq!((&corner["signInForm"], &corner["newPassword"]), (&Value::Bool(false), &Value::Bool(false)), "{seen}");
    assert!(seen["signedIn"]["holders"].as_str().unwrap().contains(&holder), "{seen}");
    assert_eq!(seen["cookie"], serde_json::json!({ "httpOnly": true, "sameSite": "Strict", "secure": false }));
    assert_eq!(seen["scriptSeesCookie"], false);
    assert_eq!(seen["withoutToken"]["status"], 403);
    assert!(seen["withoutToken"]["message"].as_str().unwrap().contains("X-CSRF-Token"), "{seen}");
    // The officer edits the parcel from its card: a new version in its history.
    assert_eq!(seen["editForm"], true, "{seen}");
    assert_eq!(seen["versionsAfter"].as_u64().unwrap(), seen["versionsBefore"].as_u64().unwrap() + 1, "{seen}");
    let land_use: Vec<String> =
        sqlx::query_scalar("SELECT land_use FROM parcels WHERE parcel_id = $1 AND valid_to IS NULL")
            .bind(&parcel)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(land_use, [seen["newLandUse"].as_str().unwrap()]);
    // The day before, the samples were not loaded yet: tiles and cards answer for that day.
    assert!(seen["tilesOn"].as_str().unwrap().contains("?on="), "{seen}");
    assert!(seen["hashOn"].as_str().unwrap().contains("on="), "{seen}");
    assert!(seen["cardYesterday"].as_str().unwrap().contains(&parcel), "{seen}");
    assert_eq!(seen["signedOut"]["corner"]["signIn"], true);
    assert_eq!(seen["signedOut"]["holders"], Value::Null, "no holders after signing out");
}

#[tokio::test]
async fn the_public_reports_an_error_and_requests_data_from_a_parcel_card_and_sees_notices() {
    let app = TestApp::spawn(Content::Samples).await;
    // A notice the admin entered (seven working days ahead is checked in tests/suite/services.rs).
    sqlx::query(
        "WITH c AS (INSERT INTO changes (actor, action) VALUES ('cli:test', 'announce an interruption') RETURNING id)
         INSERT INTO notices (kind, starts_at, ends_at, message, change_id)
         SELECT 'service', now() + interval '20 days', now() + interval '20 days 4 hours', 'Nâng cấp máy chủ', id FROM c",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    let parcel = common::parcels_of(&app.db.pool, "05443", 1).await.remove(0);
    let mut cmd = Command::new("node");
    cmd.arg(common::repo().join("tests/js/web-services.mjs")).args([app.base.as_str(), &parcel]);
    let o = common::run_beside(cmd).await;
    assert!(o.status.success(), "web-services.mjs: {}", common::text(&o));
    let seen: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(seen["errors"], serde_json::json!([]));
    assert!(seen["notice"].as_str().unwrap().contains("Nâng cấp máy chủ"), "{seen}");
    assert_eq!(seen["openDataLink"], "/open-data");
    let (ticket, due, message): (String, chrono::NaiveDate, String) = sqlx::query_as(
        "SELECT no, due, message FROM personal.correction_tickets WHERE parcel_id = $1 AND contact = '0987 654 321'",
    )
    .bind(&parcel)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(message, "Ranh giới phía bắc lệch 2 m so với thực địa");
    let reported = seen["reported"].as_str().unwrap();
    assert!(reported.contains(&ticket) && reported.contains(&due.to_string()), "{reported}");
    let (no, format): (String, String) = sqlx::query_as(
        "SELECT no, format FROM personal.data_requests WHERE $1 = ANY (parcels) AND requester_name = 'Nguyễn Văn Bình'",
    )
    .bind(&parcel)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(format, "csv");
    assert!(seen["requested"].as_str().unwrap().contains(&no), "{seen}");
}

/// The page's files go out compressed once, at the best ratios, in the encoding the browser
/// prefers (with a length: not compressed again on the way), and decode to the files themselves.
#[tokio::test]
async fn web_files_are_sent_precompressed_in_the_encoding_asked_for() {
    let app = TestApp::spawn(Content::Empty).await;
    // Compressed at start-up, in the background: until then the compression layer compresses
    // each response as it goes out, without a length.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let resp = app.get_with("/web/vendor/maplibre-gl/maplibre-gl.js", &[("accept-encoding", "br")]).await;
        assert_eq!(resp.headers()["content-encoding"], "br");
        if resp.headers().contains_key("content-length") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the web files were not compressed within a minute");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for file in ["vendor/maplibre-gl/maplibre-gl.js", "app.js", "early.js", "vendor/maplibre-gl/maplibre-gl.css"] {
        let original = std::fs::read(common::repo().join("web").join(file)).unwrap();
        for (accept, encoding) in [
            ("gzip, deflate, br, zstd", Some("br")),
            ("gzip;q=0.5, br;q=0", Some("gzip")),
            ("GZIP", Some("gzip")),
            ("br;q=0, gzip;q=0", None),
            ("identity", None),
        ] {
            let resp = app.get_with(&format!("/web/{file}"), &[("accept-encoding", accept)]).await;
            assert_eq!(resp.status(), 200, "{file} {accept}");
            let header = |name: &str| resp.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
            assert_eq!(header("content-encoding").as_deref(), encoding, "{file} {accept}");
            assert_eq!(header("vary").as_deref(), Some("accept-encoding"), "{file} {accept}");
            let length: usize = header("content-length").expect("a length: sent as stored").parse().unwrap();
            let body = resp.bytes().await.unwrap();
            assert_eq!(body.len(), length);
            let decoded = common::decoded(encoding, &body);
            assert!(decoded == original, "{file} {accept}: not the file itself");
            if encoding.is_some() {
                assert!(body.len() < original.len(), "{file} {accept}: {} of {} bytes", body.len(), original.len());
            }
        }
    }
    // Absent files are still answered as such.
    let resp = app.get_with("/web/none.js", &[("accept-encoding", "br")]).await;
    assert_eq!(resp.status(), 404);
}

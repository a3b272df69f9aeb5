//! Vector tiles, checked with an independent decoder (@mapbox/vector-tile) against PostGIS's own
//! ST_AsMVTGeom; the change-driven cache; TileJSON; styles validated by the MapLibre style spec.

use crate::common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Content, TestApp, tile_of};
use serde_json::Value;

/// One pixel of a 512-pixel tile, in extent units.
const PIXEL: f64 = 4096.0 / 512.0;

/// The rings of a decoded polygon feature as WKT: a positive ring starts a polygon, negative
/// rings are its holes.
fn wkt(feature: &Value) -> String {
    let mut polygons: Vec<Vec<String>> = Vec::new();
    for (ring, area) in feature["rings"].as_array().unwrap().iter().zip(feature["areas"].as_array().unwrap()) {
        let pts: Vec<String> = ring
            .as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{} {}", p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect();
        let ring = format!("({})", pts.join(","));
        if area.as_f64().unwrap() > 0.0 {
            polygons.push(vec![ring]);
        } else {
            polygons.last_mut().expect("a hole follows its exterior").push(ring);
        }
    }
    let polygons: Vec<String> = polygons.iter().map(|p| format!("({})", p.join(","))).collect();
    format!("MULTIPOLYGON({})", polygons.join(","))
}

/// A parcel as PostGIS sees it: ID, legacy key, land use, legal area, ST_AsMVTGeom as WKT.
type Expected = (String, String, String, Option<f64>, Option<String>);

async fn point_of(app: &TestApp, parcel_id: &str) -> (f64, f64) {
    sqlx::query_as(
        "SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_PointOnSurface(geom) AS c FROM parcels
         WHERE parcel_id = $1 AND valid_to IS NULL) AS s",
    )
    .bind(parcel_id)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_z16_tile_holds_every_parcel_as_postgis_cuts_it() {
    let app = TestApp::spawn(Content::Samples).await;
    let first: String = sqlx::query_scalar("SELECT min(parcel_id) FROM parcels WHERE valid_to IS NULL")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let (lon, lat) = point_of(&app, &first).await;
    let (x, y) = tile_of(lon, lat, 16);
    let tile = app.tile(&format!("/tiles/parcels/16/{x}/{y}.mvt")).await;
    let layer = &tile["parcels"];
    assert_eq!((layer["version"].as_u64(), layer["extent"].as_u64()), (Some(2), Some(4096)));
    let features = layer["features"].as_array().unwrap();
    let expected: Vec<Expected> = sqlx::query_as(
        "SELECT p.parcel_id, p.commune_code_recorded || '-' || p.sheet || '-' || p.parcel_no,
                array_to_string(p.land_use, '+'), p.legal_area_m2,
                ST_AsText(ST_AsMVTGeom(ST_Transform(p.geom, 3857), ST_TileEnvelope(16, $1, $2), 4096, 64, true))
         FROM parcels p
         WHERE p.valid_to IS NULL AND ST_Intersects(ST_Transform(p.geom, 3857), ST_TileEnvelope(16, $1, $2))",
    )
    .bind(x as i32)
    .bind(y as i32)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(expected.len() > 20, "{} parcels in the tile", expected.len());
    for (id, key, land_use, area, theirs) in &expected {
        let found = features.iter().find(|f| f["properties"]["parcel_id"] == id.as_str());
        let Some(theirs) = theirs else {
            continue; // PostGIS found nothing left of it in the tile either (it only touches the edge)
        };
        let f = found.unwrap_or_else(|| panic!("parcel {id} is missing from the tile"));
        assert_eq!(f["properties"]["legacy_key"], key.as_str());
        assert_eq!(f["properties"]["land_use"], land_use.as_str());
        assert_eq!(f["properties"]["legal_area_m2"].as_f64(), *area);
        assert_eq!(f["type"], 3, "{id} is a polygon");
        let distance: f64 = sqlx::query_scalar("SELECT ST_HausdorffDistance(ST_GeomFromText($1), ST_GeomFromText($2))")
            .bind(wkt(f))
            .bind(theirs)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        assert!(distance <= PIXEL, "{id} is {distance} units from PostGIS's ST_AsMVTGeom");
    }
    // Every feature: exterior first and positive, no zero-area ring, no repeated point.
    for f in features {
        let areas: Vec<f64> = f["areas"].as_array().unwrap().iter().map(|a| a.as_f64().unwrap()).collect();
        assert!(areas[0] > 0.0, "{}: the first ring is an exterior, clockwise in tile space", f["properties"]);
        assert!(areas.iter().all(|a| *a != 0.0), "{}: a degenerate ring", f["properties"]);
        for ring in f["rings"].as_array().unwrap() {
            let ring = ring.as_array().unwrap();
            assert!(ring.len() >= 4 && ring.windows(2).all(|w| w[0] != w[1]), "{}: {ring:?}", f["properties"]);
        }
    }
    // Nothing else: the extra features are the parcels within the 64-unit buffer.
    let buffered: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM parcels WHERE valid_to IS NULL AND ST_Intersects(ST_Transform(geom, 3857),
             ST_Expand(ST_TileEnvelope(16, $1, $2), (ST_XMax(ST_TileEnvelope(16, $1, $2)) - ST_XMin(ST_TileEnvelope(16, $1, $2))) * 64 / 4096))",
    )
    .bind(x as i32)
    .bind(y as i32)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(features.len() as i64 <= buffered && features.len() >= expected.iter().filter(|e| e.4.is_some()).count());
}

/// The tile at `path` (decoded) and whether it came from the cache.
async fn fetch(app: &TestApp, path: &str) -> (String, &'static str) {
    let resp = app.get_with(path, &[]).await;
    assert_eq!(resp.status(), 200);
    let cache = if resp.headers()["x-cache"] == "hit" { "hit" } else { "miss" };
    (resp.headers()["etag"].to_str().unwrap().to_owned(), cache)
}

#[tokio::test]
async fn a_committed_change_evicts_exactly_the_cached_tiles_it_touches() {
    let app = TestApp::spawn(Content::Samples).await;
    // A residential parcel, and the parcel farthest from it.
    let (near, far): (String, String) = sqlx::query_as(
        "SELECT a.parcel_id, (SELECT b.parcel_id FROM parcels b WHERE b.valid_to IS NULL ORDER BY b.geom <-> a.geom DESC LIMIT 1)
         FROM parcels a WHERE a.valid_to IS NULL AND a.land_use = '{ODT}' ORDER BY a.parcel_id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let (lon, lat) = point_of(&app, &near).await;
    let ((x16, y16), (x14, y14)) = (tile_of(lon, lat, 16), tile_of(lon, lat, 14));
    let (flon, flat) = point_of(&app, &far).await;
    let (fx, fy) = tile_of(flon, flat, 16);
    let (t16, t14, tfar) = (
        format!("/tiles/parcels/16/{x16}/{y16}.mvt"),
        format!("/tiles/parcels/14/{x14}/{y14}.mvt"),
        format!("/tiles/parcels/16/{fx}/{fy}.mvt"),
    );
    for path in [&t16, &t14, &tfar] {
        assert_eq!(fetch(&app, path).await.1, "miss");
        assert_eq!(fetch(&app, path).await.1, "hit");
    }
    let (etag, _) = fetch(&app, &t16).await;
    let resp = app.get_with(&t16, &[("if-none-match", &etag)]).await;
    assert_eq!(resp.status(), 304);
    assert_eq!(resp.headers()["etag"].to_str().unwrap(), etag);

    sqlx::query("UPDATE parcels SET land_use = '{TMD}' WHERE parcel_id = $1 AND valid_to IS NULL")
        .bind(&near)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let started = Instant::now();
    loop {
        let tile = app.tile(&t16).await;
        let f = tile["parcels"]["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["parcel_id"] == near.as_str())
            .cloned();
        if f.unwrap()["properties"]["land_use"] == "TMD" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the tile still shows the old land use");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(fetch(&app, &t14).await.1, "miss", "the change is evicted at every zoom");
    assert_eq!(fetch(&app, &tfar).await.1, "hit", "a tile the change does not touch stays cached");
    let resp = app.get_with(&t16, &[("if-none-match", &etag)]).await;
    assert_eq!(resp.status(), 200, "the old ETag no longer matches");
}

#[tokio::test]
async fn bad_tile_requests_say_what_is_wrong() {
    let app = TestApp::spawn(Content::Empty).await;
    app.expect_errors(&[
        ("/tiles/parcels/25/0/0.mvt", 400, "above the highest zoom served, 24"),
        ("/tiles/parcels/16/70000/0.mvt", 400, "x and y must be below 2^16 = 65536"),
        ("/tiles/parcels/5/0/0.mvt", 400, "zoom 5 is outside the range 14-20 of parcels"),
        (
            "/tiles/nope/16/0/0.mvt",
            404,
            "unknown tile layer 'nope'; layers: addresses, admin, holders, market, ownership, parcels",
        ),
        ("/tiles/parcels,parcels/16/0/0.mvt", 404, "asked for twice"),
        ("/tiles/parcels/16/0/0.png", 404, "tiles are `{y}.mvt`, not `0.png`"),
        ("/tiles/parcels/x/0/0.mvt", 400, "tile zoom `x` is not a whole number"),
        ("/tiles/parcels/16/0/-1.mvt", 400, "tile row `-1` is not a whole number"),
        ("/tiles/nope.json", 404, "unknown tile layer 'nope'"),
        ("/tiles/parcels", 404, "ask for `/tiles/{layers}.json`"),
        ("/styles/nope.json", 404, "no style 'nope'; styles: cadastral, market, ownership, planning, pricing"),
    ])
    .await;
    // An empty database still answers with a (valid, empty) tile.
    let resp = app.get_with("/tiles/parcels,admin/16/52034/28741.mvt", &[]).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn tilejson_compression_and_styles_that_maplibre_accepts() {
    let app = TestApp::spawn(Content::Samples).await;
    let (status, tj) = app.get("/tiles/parcels,admin.json").await;
    assert_eq!(status, 200);
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(tj["tiles"][0], format!("{}/tiles/parcels,admin/{{z}}/{{x}}/{{y}}.mvt", app.base));
    assert_eq!((tj["minzoom"].as_u64(), tj["maxzoom"].as_u64()), (Some(0), Some(20)));
    let ids: Vec<&str> = tj["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["parcels", "admin"]);
    assert_eq!(tj["vector_layers"][0]["fields"]["parcel_id"], "String");
    assert_eq!(tj["vector_layers"][0]["fields"]["legal_area_m2"], "Number");
    let b: Vec<f64> = tj["bounds"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let extent: (f64, f64, f64, f64) = sqlx::query_as(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom)::geometry AS e FROM parcels) AS s",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(
        b[0] <= extent.0 + 1e-9 && b[1] <= extent.1 + 1e-9 && b[2] >= extent.2 - 1e-9 && b[3] >= extent.3 - 1e-9,
        "{b:?} {extent:?}"
    );

    // The same tile, brotli, gzip or plain as the client accepts, compressed once and kept with
    // the cached tile: the second answer in a coding is the first's bytes, with their length.
    let path = "/tiles/parcels,admin/16/52034/28741.mvt";
    let plain = app.get_with(path, &[]).await.bytes().await.unwrap();
    assert!(plain.len() > 1000);
    for (accept, encoding) in [("gzip, deflate, br, zstd", "br"), ("gzip;q=0.8, br;q=0", "gzip")] {
        let mut answers = Vec::new();
        for _ in 0..2 {
            let resp = app.get_with(path, &[("accept-encoding", accept)]).await;
            assert_eq!(resp.headers()["content-encoding"], encoding);
            assert_eq!(resp.headers()["content-type"], "application/vnd.mapbox-vector-tile");
            assert_eq!(resp.headers()["x-cache"], "hit");
            let length: usize = resp.headers()["content-length"].to_str().unwrap().parse().unwrap();
            let body = resp.bytes().await.unwrap();
            assert!(body.len() == length && body.len() < plain.len(), "{encoding}: {} bytes", body.len());
            answers.push(body);
        }
        assert_eq!(answers[0], answers[1]);
        let decoded = common::decoded(Some(encoding), &answers[0]);
        assert!(decoded == plain, "{encoding}: not the tile itself");
    }
    let resp = app.get_with(path, &[("accept-encoding", "br;q=0, gzip;q=0")]).await;
    assert!(resp.headers().get("content-encoding").is_none());
    assert_eq!(resp.bytes().await.unwrap(), plain);

    // Every style validates, and its source is this server's TileJSON.
    let (_, catalog) = app.get("/tiles").await;
    let styles = catalog["styles"].as_array().unwrap();
    assert_eq!(styles.len(), 5);
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for url in styles {
        let path = url.as_str().unwrap().strip_prefix(&app.base).unwrap();
        let (status, style) = app.get(path).await;
        assert_eq!(status, 200);
        let source = style["sources"]["diachinh"]["url"].as_str().unwrap();
        let (status, _) = app.get(source.strip_prefix(&app.base).expect("an absolute URL to this server")).await;
        assert_eq!(status, 200, "{source}");
        let file = dir.path().join(path.rsplit('/').next().unwrap());
        std::fs::write(&file, style.to_string()).unwrap();
        files.push(file);
    }
    // The web map's one style: the cadastral base and every overlay's layers (hidden) on one
    // source written out from its TileJSON, opening at the TileJSON's centre.
    let (status, map) = app.get("/styles/map.json").await;
    assert_eq!(status, 200, "{map}");
    let tilejson = &map["metadata"]["diachinh:tilejson"];
    let (_, own) = app.get("/tiles/admin,parcels,planning,pricing,ownership,projects,market.json").await;
    assert_eq!((tilejson["tiles"].clone(), tilejson["center"].clone()), (own["tiles"].clone(), own["center"].clone()));
    assert_eq!(map["sources"]["diachinh"]["tiles"], own["tiles"]);
    assert_eq!((map["center"][0].clone(), map["zoom"].clone()), (own["center"][0].clone(), own["center"][2].clone()));
    let ids: Vec<&str> = map["layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    for id in ["parcels-fill", "planning-fill", "pricing-line", "ownership-fill", "market-fill", "communes-line"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    let hidden = |id: &str| {
        map["layers"].as_array().unwrap().iter().any(|l| l["id"] == id && l["layout"]["visibility"] == "none")
    };
    assert!(hidden("planning-fill") && hidden("market-line") && !hidden("parcels-fill"));
    let file = dir.path().join("map.json");
    std::fs::write(&file, map.to_string()).unwrap();
    files.push(file);
    let paths: Vec<&std::path::Path> = files.iter().map(|f| f.as_path()).collect();
    assert_eq!(common::node("validate-style.mjs", &paths), "");
}

/// Tiles covering the bounding box at zoom `z`.
fn covering(b: &[f64], z: u8) -> Vec<(u32, u32)> {
    let (x0, y0) = tile_of(b[0], b[3], z);
    let (x1, y1) = tile_of(b[2], b[1], z);
    (x0..=x1).flat_map(|x| (y0..=y1).map(move |y| (x, y))).collect()
}

#[tokio::test]
async fn no_tile_of_any_layer_carries_personal_data() {
    let app = TestApp::spawn(Content::Samples).await;
    let secrets = common::personal_data(&app.db.pool).await;
    let (_, catalog) = app.get("/tiles").await;
    let all: Vec<&str> = catalog["layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    let set = all.join(",");
    let (_, tj) = app.get(&format!("/tiles/{set}.json")).await;
    let b: Vec<f64> = tj["bounds"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let mut tiles: BTreeSet<(u8, u32, u32)> = BTreeSet::new();
    for z in [8, 10, 12, 14] {
        tiles.extend(covering(&b, z).into_iter().map(|(x, y)| (z, x, y)));
    }
    // At z16, every tile holding a parcel.
    let points: Vec<(f64, f64)> =
        sqlx::query_as("SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM parcels")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    tiles.extend(points.iter().map(|(lon, lat)| {
        let (x, y) = tile_of(*lon, *lat, 16);
        (16, x, y)
    }));
    let mut bytes = Vec::new();
    for (z, x, y) in &tiles {
        let resp = app.get_with(&format!("/tiles/{set}/{z}/{x}/{y}.mvt"), &[]).await;
        assert_eq!(resp.status(), 200);
        bytes.extend_from_slice(&resp.bytes().await.unwrap());
    }
    // The sweep saw every layer's values, ownership categories among them.
    for needle in ["household", "organisation", "DA05443", "05443-01A", "Phường Phan Đình Phùng"] {
        assert!(bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "no tile holds {needle}");
    }
    common::assert_none_of(&secrets, &bytes);
}

#[tokio::test]
async fn export_writes_a_pmtiles_archive_the_reference_reader_opens() {
    let app = TestApp::spawn(Content::Samples).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("map.pmtiles");
    let out_arg = out.to_str().unwrap();
    let o =
        app.db.cli(&["tiles", "export", "--layers", "admin,parcels", "--minzoom", "14", "--maxzoom", "16", out_arg]);
    let said = common::text(&o);
    assert!(o.status.success(), "{said}");
    let written: u64 = said.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("{said}"));
    let first: String = sqlx::query_scalar("SELECT min(parcel_id) FROM parcels").fetch_one(&app.db.pool).await.unwrap();
    let (lon, lat) = point_of(&app, &first).await;
    let (x, y) = tile_of(lon, lat, 16);
    let zxy = format!("16/{x}/{y}");
    let read: Value =
        serde_json::from_str(&common::node("read-pmtiles.mjs", &[&out, std::path::Path::new(&zxy)])).unwrap();
    let h = &read["header"];
    assert_eq!((h["tileType"].as_u64(), h["minZoom"].as_u64(), h["maxZoom"].as_u64()), (Some(1), Some(14), Some(16)));
    assert_eq!(h["numAddressedTiles"].as_u64(), Some(written));
    let ids: Vec<&str> =
        read["metadata"]["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["admin", "parcels"]);
    // The archived tile holds what the server serves for it.
    let served = app.tile(&format!("/tiles/admin,parcels/{zxy}.mvt")).await;
    let served: Vec<&str> = served["parcels"]["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["parcel_id"].as_str().unwrap())
        .collect();
    let archived: Vec<&str> =
        read["tiles"][&zxy]["parcels"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(served.len() > 20 && served.contains(&first.as_str()));
    assert_eq!(archived, served);

    // Refusals leave no file behind.
    let bad = dir.path().join("bad.pmtiles");
    for (args, message) in [
        (vec!["--layers", "nope"], "unknown tile layer 'nope'"),
        (vec!["--layers", "parcels", "--bbox", "106,21,105,22"], "west must not exceed east"),
        (vec!["--layers", "parcels", "--minzoom", "0", "--maxzoom", "24"], "narrow --bbox or the zooms"),
    ] {
        let mut all = vec!["tiles", "export"];
        all.extend(args);
        all.push(bad.to_str().unwrap());
        let o = app.db.cli(&all);
        assert!(!o.status.success() && common::text(&o).contains(message), "{}", common::text(&o));
        assert!(!bad.exists());
    }
}

#[tokio::test]
async fn seeding_fills_the_servers_cache() {
    let app = TestApp::spawn(Content::Samples).await;
    let first: String = sqlx::query_scalar("SELECT min(parcel_id) FROM parcels").fetch_one(&app.db.pool).await.unwrap();
    let (lon, lat) = point_of(&app, &first).await;
    let (x, y) = tile_of(lon, lat, 15);
    let bbox = format!("{},{},{},{}", lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01);
    let args = [
        "tiles",
        "seed",
        "--url",
        &app.base,
        "--layers",
        "parcels",
        "--bbox",
        &bbox,
        "--minzoom",
        "14",
        "--maxzoom",
        "16",
    ];
    let o = app.db.cli_beside_server(&args).await;
    assert!(o.status.success() && common::text(&o).contains("seeded"), "{}", common::text(&o));
    assert_eq!(fetch(&app, &format!("/tiles/parcels/15/{x}/{y}.mvt")).await.1, "hit");
}

#[tokio::test]
async fn a_commune_too_small_to_draw_stays_on_the_map_as_a_point() {
    let app = TestApp::spawn(Content::Samples).await;
    // Both sample communes at a zoom where their outlines are a few pixels: each is in its
    // tile, as a polygon or, once too small to draw, as a point with its name and parcel count.
    for z in [4u8, 7, 9] {
        for (code, lon, lat) in [("05443", 105.833, 21.589), ("11311", 106.68, 20.86)] {
            let (x, y) = tile_of(lon, lat, z);
            let tile = app.tile(&format!("/tiles/admin/{z}/{x}/{y}.mvt")).await;
            let found: Vec<&Value> = tile["admin"]["features"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| f["properties"]["code"] == code)
                .collect();
            assert_eq!(found.len(), 1, "commune {code} at z{z}: {tile}");
            let p = &found[0]["properties"];
            assert!(p["parcels"].as_i64().unwrap() > 100 && p["name"].is_string(), "{p}");
            if z == 4 {
                assert_eq!(found[0]["type"], 1, "at z4 commune {code} is a point");
            }
        }
    }
}

#[tokio::test]
async fn an_export_cut_for_an_account_holds_its_personal_data_in_its_scope_only_and_is_audited() {
    let app = TestApp::spawn(Content::Samples).await;
    app.db.add_account("dangky", "Lý H", "010000000000", "registrar", Some("05443"), "Địa-chính 2026!");
    // A z16 tile holding parcels with holders of 05443, and one of 11311.
    let mut zxys = Vec::new();
    for commune in ["05443", "11311"] {
        let (lon, lat): (f64, f64) = sqlx::query_as(&format!(
            "SELECT ST_X(ST_PointOnSurface(p.geom)), ST_Y(ST_PointOnSurface(p.geom)) FROM parcels p
             WHERE p.valid_to IS NULL AND p.commune_code = '{commune}'
               AND EXISTS (SELECT 1 FROM personal.rights r WHERE r.parcel_id = p.parcel_id)
             ORDER BY p.parcel_id LIMIT 1"
        ))
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let (x, y) = tile_of(lon, lat, 16);
        zxys.push(format!("16/{x}/{y}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let export = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let args = [
            &["tiles", "export", "--layers", "holders", "--minzoom", "16", "--maxzoom", "16"][..],
            extra,
            &[out.to_str().unwrap()][..],
        ]
        .concat();
        let o = app.db.cli(&args);
        assert!(o.status.success(), "{}", common::text(&o));
        let zxy: Vec<&std::path::Path> = zxys.iter().map(std::path::Path::new).collect();
        let read: Value =
            serde_json::from_str(&common::node("read-pmtiles.mjs", &[&[out.as_path()][..], &zxy].concat())).unwrap();
        read
    };
    let holders_by_commune = |read: &Value| -> Vec<(String, bool)> {
        zxys.iter()
            .flat_map(|zxy| read["properties"][zxy]["holders"].as_array().unwrap().clone())
            .map(|p| (p["commune_code"].as_str().unwrap().to_owned(), p.get("holders").is_some()))
            .collect()
    };
    let theirs = export("dangky.pmtiles", &["--as", "dangky"]);
    assert_eq!(theirs["metadata"]["description"], "diachinh: the view of account dangky");
    let seen = holders_by_commune(&theirs);
    assert!(seen.iter().any(|(c, h)| c == "05443" && *h), "{seen:?}");
    assert!(seen.iter().any(|(c, _)| c != "05443"), "{seen:?}");
    assert!(seen.iter().all(|(c, h)| *h == (c == "05443")), "holders in 05443 only: {seen:?}");
    let open = export("open.pmtiles", &[]);
    assert!(holders_by_commune(&open).iter().all(|(_, h)| !h), "the open view has no holders");
    // An unknown or locked account gets no export; each export is an extraction on record.
    let o = app.db.cli(&["tiles", "export", "--layers", "holders", "--as", "nobody", "x.pmtiles"]);
    assert!(!o.status.success() && common::text(&o).contains("no account `nobody`"), "{}", common::text(&o));
    let exports: Vec<String> =
        sqlx::query_scalar("SELECT object FROM audit.entries WHERE action = 'tiles export' ORDER BY seq")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(exports.len(), 2, "{exports:?}");
    assert!(exports[0].contains("for account dangky: layers holders") && exports[1].contains("for open data"));
}

#[tokio::test]
async fn tilejson_lists_the_categories_the_data_holds_and_never_personal_values() {
    let app = TestApp::spawn(Content::Samples).await;
    app.db.add_account("dangky", "Lý H", "010000000000", "registrar", Some("05443"), "Địa-chính 2026!");
    let held: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT land_use[1] FROM parcels WHERE valid_to IS NULL ORDER BY 1")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert!(held.len() > 3 && held.len() < 60, "{held:?}");
    let stats = |tilejson: &Value, layer: &str| -> Vec<(String, Value)> {
        let layers = tilejson["tilestats"]["layers"].as_array().unwrap();
        let l = layers.iter().find(|l| l["layer"] == layer).unwrap();
        l["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| (a["attribute"].as_str().unwrap().to_owned(), a["values"].clone()))
            .collect()
    };
    let (_, open) = app.get("/tiles/parcels,holders.json").await;
    let parcels = stats(&open, "parcels");
    let land_use = parcels.iter().find(|(a, _)| a == "land_use_main").unwrap();
    assert_eq!(land_use.1, serde_json::json!(held));
    // Fields with more than 100 values (IDs, addresses) are not categories.
    assert!(parcels.iter().all(|(a, _)| a != "parcel_id" && a != "address"), "{parcels:?}");
    // A registrar's TileJSON lists no personal field's values, though it sees some.
    let holders_as = |password: &'static str| {
        let req = app.http.get(format!("{}/tiles/holders.json", app.base)).basic_auth("dangky", Some(password));
        async move { req.send().await.unwrap() }
    };
    assert_eq!(holders_as("Địa-chính 2026!").await.status(), 403, "an initial password sees nothing yet");
    assert_eq!(crate::accounts::change_password(&app, "dangky", "Địa-chính 2026!", "Sổ-đỏ an toàn 2027").await.0, 204);
    let resp = holders_as("Sổ-đỏ an toàn 2027").await;
    let registrar: Value = resp.json().await.unwrap();
    let fields = registrar["vector_layers"][0]["fields"].as_object().unwrap();
    assert!(fields.contains_key("holders"), "the registrar's layer has the field");
    let attributes: Vec<String> = stats(&registrar, "holders").into_iter().map(|(a, _)| a).collect();
    assert_eq!(attributes, ["commune_code"], "only public fields have their values listed");
}

#[tokio::test]
async fn open_tiles_may_sit_in_shared_caches_and_a_signed_in_callers_never_do() {
    let app = TestApp::spawn(Content::Samples).await;
    // A registrar sees holders in its commune: its tiles are its own. (A viewer's are the open
    // view's bytes, and may be shared as those are.)
    app.db.add_account("xem", "Lý H", "010000000009", "registrar", Some("05443"), "Địa-chính 2026!");
    assert_eq!(crate::accounts::change_password(&app, "xem", "Địa-chính 2026!", "Sổ-đỏ an toàn 2027").await.0, 204);
    let (x, y) = tile_of(105.833, 21.589, 16);
    let url = format!("{}/tiles/parcels/16/{x}/{y}.mvt", app.base);
    let open = app.http.get(&url).send().await.unwrap();
    assert_eq!(open.status(), 200);
    assert!(open.headers()["cache-control"].to_str().unwrap().starts_with("public, max-age="));
    // A CDN keyed on the URL alone would hand the open tile to officers: it must vary on who asks.
    let vary = open.headers()["vary"].to_str().unwrap().to_ascii_lowercase();
    assert!(["accept-encoding", "authorization", "cookie"].iter().all(|h| vary.contains(h)), "{vary}");
    let officer = app.http.get(&url).basic_auth("xem", Some("Sổ-đỏ an toàn 2027")).send().await.unwrap();
    assert_eq!(officer.status(), 200);
    assert!(officer.headers()["cache-control"].to_str().unwrap().starts_with("private"));
}

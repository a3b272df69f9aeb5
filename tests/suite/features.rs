//! OGC API - Features (Part 1) at /ogc, checked against PostGIS and with GDAL's own OAPIF client.

use crate::common;

use std::collections::BTreeSet;
use std::process::Command;

use common::{Content, TestApp};
use serde_json::Value;

fn links(doc: &Value) -> Vec<(String, String)> {
    doc["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["rel"].as_str().unwrap().to_owned(), l["href"].as_str().unwrap().to_owned()))
        .collect()
}

/// Follows `next` links from `path`; returns every feature.
async fn all_items(app: &TestApp, path: &str) -> Vec<Value> {
    let mut features = Vec::new();
    let mut next = Some(format!("{}{path}", app.base));
    while let Some(url) = next {
        let (status, page) = app.get(url.strip_prefix(&app.base).unwrap()).await;
        assert_eq!(status, 200, "{url}: {page}");
        features.extend(page["features"].as_array().unwrap().iter().cloned());
        next = links(&page).into_iter().find(|(rel, _)| rel == "next").map(|(_, href)| href);
    }
    features
}

#[tokio::test]
async fn landing_page_conformance_and_an_openapi_document_of_what_is_accepted() {
    let app = TestApp::spawn(Content::Empty).await;
    let (status, landing) = app.get("/ogc").await;
    assert_eq!(status, 200);
    let rels: BTreeSet<String> = links(&landing).into_iter().map(|(rel, _)| rel).collect();
    for rel in ["self", "service-desc", "service-doc", "conformance", "data"] {
        assert!(rels.contains(rel), "the landing page links {rel}");
    }
    let (_, conformance) = app.get("/ogc/conformance").await;
    let classes: Vec<&str> =
        conformance["conformsTo"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert!(classes.contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"));
    assert!(classes.contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"));
    let resp = app.get_with("/ogc/api", &[]).await;
    assert_eq!(resp.headers()["content-type"], "application/vnd.oai.openapi+json;version=3.0");
    let doc: Value = resp.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let declared: Vec<&str> = doc["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    let common = [
        "bbox",
        "bbox-crs",
        "crs",
        "limit",
        "datetime",
        "properties",
        "sortby",
        "offset",
        "filter",
        "filter-lang",
        "filter-crs",
        "after",
        "f",
    ];
    assert_eq!(declared, common);
    // Each collection's own path adds its properties, which filter by equality.
    let parcels: Vec<&str> = doc["paths"]["/collections/parcels/items"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(parcels[..common.len()], common);
    assert!(parcels.contains(&"land_use_main") && !parcels.iter().any(|p| p.contains("holder")), "{parcels:?}");
    // What the document does not declare is refused.
    app.expect_errors(&[
        ("/ogc/collections/parcels/items?colour=red", 400, "unknown parameter `colour`"),
        ("/ogc/collections/parcels/items?bbox=1,2,3", 400, "bbox `1,2,3` must be W,S,E,N"),
        ("/ogc/collections/parcels/items?limit=0", 400, "limit `0` must be a whole number of at least 1"),
        (
            "/ogc/collections/parcels/items?datetime=yesterday",
            400,
            "datetime `yesterday` must be a date (YYYY-MM-DD) or an instant",
        ),
        ("/ogc/collections/parcels/items?after=x", 400, "after `x` is not a paging key"),
        ("/ogc/collections/parcels/items?properties=land_use,holder", 400, "`holder` is not a property of 'parcels'"),
        ("/ogc/collections/parcels/items?sortby=-holder_name", 400, "sortby: `holder_name` is not a property"),
        ("/ogc/collections/parcels/items?sortby=land_use&after=5", 400, "with sortby, page with offset"),
        ("/ogc/collections/parcels/items?sortby=land_use&offset=100001", 400, "offset `100001` must be a whole number"),
        ("/ogc/collections/parcels/items?f=xml", 400, "f `xml` is not offered"),
        (
            "/ogc/collections/nope/items",
            404,
            "no collection 'nope'; collections: addresses, admin, holders, market, ownership, parcels",
        ),
        ("/ogc/collections/parcels/items/zzzzzzzzzzzz", 404, "collection 'parcels' has no feature 'zzzzzzzzzzzz'"),
    ])
    .await;
    let (status, page) = app.get_text("/ogc/api.html").await;
    assert!(status == 200 && page.contains("<code>bbox</code>"));
}

#[tokio::test]
async fn items_are_counted_paged_and_filtered_as_postgis_finds_them() {
    let app = TestApp::spawn(Content::Samples).await;
    let (_, collections) = app.get("/ogc/collections").await;
    let ids: Vec<&str> =
        collections["collections"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, common::LAYERS);
    let current = app.db.count("SELECT count(*) FROM parcels WHERE valid_to IS NULL").await;

    let (_, first) = app.get("/ogc/collections/parcels/items").await;
    assert_eq!(first["numberMatched"].as_i64(), Some(current));
    assert_eq!(first["numberReturned"], 10, "the default page");
    let (_, big) = app.get("/ogc/collections/parcels/items?limit=5000").await;
    assert_eq!(big["numberReturned"], 1000, "limits are clamped to 1000");

    // Paging through more than 1,000 features yields each current parcel once, by parcel ID.
    let features = all_items(&app, "/ogc/collections/parcels/items?limit=1000").await;
    let ids: BTreeSet<&str> = features.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!((features.len() as i64, ids.len() as i64), (current, current));

    let bbox = common::test_box();
    let (_, page) = app.get(&format!("/ogc/collections/parcels/items?bbox={bbox}&limit=1000")).await;
    let expected = common::parcels_in_test_box(&app).await;
    assert!(expected > 10);
    assert_eq!((page["numberMatched"].as_i64(), page["numberReturned"].as_i64()), (Some(expected), Some(expected)));

    let (_, slim) = app.get("/ogc/collections/parcels/items?properties=land_use,legal_area_m2&limit=3").await;
    for f in slim["features"].as_array().unwrap() {
        let keys: Vec<&String> = f["properties"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["land_use", "legal_area_m2"]);
        assert_eq!(f["id"].as_str().unwrap().len(), 12, "the feature keeps its id");
    }

    // Sorted: the largest legal areas first, as PostGIS orders them; sorted pages are stable.
    let (_, top) = app.get("/ogc/collections/parcels/items?sortby=-legal_area_m2,parcel_id&limit=5").await;
    let got: Vec<&str> = top["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    let want: Vec<String> = sqlx::query_scalar(
        "SELECT parcel_id FROM parcels WHERE valid_to IS NULL ORDER BY legal_area_m2 DESC NULLS LAST, parcel_id LIMIT 5",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(got, want);
    let sorted = all_items(&app, "/ogc/collections/parcels/items?sortby=land_use&limit=1000").await;
    let uses: Vec<&str> = sorted.iter().map(|f| f["properties"]["land_use"].as_str().unwrap()).collect();
    assert!(uses.windows(2).all(|w| w[0] <= w[1]), "sorted by land use");
    let unique: BTreeSet<&str> = sorted.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!((sorted.len() as i64, unique.len() as i64), (current, current), "each parcel once across sorted pages");

    // The same documents as pages for a browser.
    let resp = app.get_with("/ogc/collections/parcels/items?f=html&limit=5", &[]).await;
    assert_eq!(resp.headers()["content-type"], "text/html; charset=utf-8");
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("<table") && html.contains(features[0]["id"].as_str().unwrap()) && html.contains("f=html\">")
    );
    let html =
        app.get_with("/ogc/collections", &[("accept", "text/html,application/xhtml+xml")]).await.text().await.unwrap();
    assert!(html.contains("<td>parcels</td>"), "{html}");

    let id = features[0]["id"].as_str().unwrap();
    let (status, one) = app.get(&format!("/ogc/collections/parcels/items/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["properties"]["parcel_id"], id);
    assert_eq!(one["geometry"]["type"], "MultiPolygon");
    let (_, unit) = app.get("/ogc/collections/units/items?limit=1").await;
    let product = unit["features"][0]["id"].as_str().unwrap();
    let (status, _) = app.get(&format!("/ogc/collections/units/items/{product}")).await;
    assert_eq!(status, 200);

    // No collection carries personal data.
    let secrets = common::personal_data(&app.db.pool).await;
    let mut all = String::new();
    for c in common::LAYERS {
        for f in all_items(&app, &format!("/ogc/collections/{c}/items?limit=1000")).await {
            all.push_str(&f.to_string());
        }
    }
    assert!(all.contains("household"));
    common::assert_none_of(&secrets, all.as_bytes());
}

#[tokio::test]
async fn gdal_lists_every_collection_counts_pages_and_filters_by_bbox() {
    let app = TestApp::spawn(Content::Samples).await;
    let url = format!("OAPIF:{}/ogc", app.base);
    let listing = common::gdal("ogrinfo", &["-so", &url]).await;
    for layer in common::LAYERS {
        assert!(listing.contains(&format!(": {layer} (")), "{listing}");
    }
    let current = app.db.count("SELECT count(*) FROM parcels WHERE valid_to IS NULL").await;
    let summary = common::gdal("ogrinfo", &["-so", &url, "parcels"]).await;
    assert!(summary.contains(&format!("Feature Count: {current}")), "{summary}");

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("parcels.geojson");
    common::gdal("ogr2ogr", &["-f", "GeoJSON", out.to_str().unwrap(), &url, "parcels"]).await;
    let copied: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(copied["features"].as_array().unwrap().len() as i64, current, "ogr2ogr paged through every parcel");

    let [w, s, e, n] = common::TEST_BOX.map(|v| v.to_string());
    let in_box = common::gdal("ogrinfo", &["-so", &url, "parcels", "-spat", &w, &s, &e, &n]).await;
    let expected = common::parcels_in_test_box(&app).await;
    assert!(in_box.contains(&format!("Feature Count: {expected}")), "{in_box}");
}

#[tokio::test]
async fn coordinates_come_in_the_crs_asked_for_and_bboxes_in_theirs() {
    let app = TestApp::spawn(Content::Samples).await;
    let (_, collection) = app.get("/ogc/collections/parcels").await;
    let vn = "http://www.opengis.net/def/crs/EPSG/0/9213";
    assert_eq!(collection["storageCrs"], "http://www.opengis.net/def/crs/OGC/1.3/CRS84");
    assert!(collection["crs"].as_array().unwrap().iter().any(|c| c == vn));
    let id: String = sqlx::query_scalar("SELECT min(parcel_id) FROM parcels WHERE commune_code = '05443'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let path = format!("/ogc/collections/parcels/items/{id}");
    let (_, crs84) = app.get(&path).await;
    let [lon, lat] = [0, 1].map(|i| crs84["geometry"]["coordinates"][0][0][0][i].as_f64().unwrap());

    let resp = app.get_with(&format!("{path}?crs={vn}"), &[]).await;
    assert_eq!(resp.headers()["content-crs"], format!("<{vn}>"));
    let projected: Value = resp.json().await.unwrap();
    let [e, n] = [0, 1].map(|i| projected["geometry"]["coordinates"][0][0][0][i].as_f64().unwrap());
    let (ce, cn) = common::cs2cs("EPSG:4326", "EPSG:9213", lat, lon);
    assert!((e - ce).abs() < 0.01 && (n - cn).abs() < 0.01, "({e}, {n}) vs cs2cs ({ce}, {cn})");

    let (_, latlon) = app.get(&format!("{path}?crs=http://www.opengis.net/def/crs/EPSG/0/4326")).await;
    let first = &latlon["geometry"]["coordinates"][0][0][0];
    assert_eq!((first[0].as_f64(), first[1].as_f64()), (Some(lat), Some(lon)), "EPSG:4326 is latitude first");

    // A bbox in VN-2000 metres around that corner finds the parcel.
    let bbox = format!("{},{},{},{}", e - 2.0, n - 2.0, e + 2.0, n + 2.0);
    let (status, page) = app.get(&format!("/ogc/collections/parcels/items?bbox={bbox}&bbox-crs={vn}&limit=100")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page["features"].as_array().unwrap().iter().any(|f| f["id"] == id.as_str()), "{page}");
    app.expect_errors(&[
        (&format!("{path}?crs=EPSG:2154"), 400, "crs `EPSG:2154` is not offered"),
        ("/ogc/collections/parcels/items?bbox=1,2,3,4&bbox-crs=nonsense", 400, "bbox-crs `nonsense` is not offered"),
    ])
    .await;
}

#[tokio::test]
async fn owslib_reads_the_collections_a_filtered_page_and_a_feature() {
    let app = TestApp::spawn(Content::Samples).await;
    let out = common::python("owslib_ogcapi.py", &[&format!("{}/ogc", app.base), &common::test_box()]).await;
    let seen: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(seen["collections"], serde_json::json!(common::LAYERS));
    let expected = common::parcels_in_test_box(&app).await;
    assert_eq!((seen["matched"].as_i64(), seen["returned"].as_i64()), (Some(expected), Some(expected)));
    assert_eq!(seen["feature"]["id"], seen["feature"]["parcel_id"]);
}

/// Ids of every feature a filtered items request pages through.
async fn filtered_ids(app: &TestApp, query: &[(&str, &str)]) -> BTreeSet<String> {
    let query: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(query).finish();
    let features = all_items(app, &format!("/ogc/collections/parcels/items?limit=1000&{query}")).await;
    features.iter().map(|f| f["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn cql2_filters_select_what_postgis_selects() {
    let app = TestApp::spawn(Content::Samples).await;
    let (_, conformance) = app.get("/ogc/conformance").await;
    // What QGIS checks before it sends a filter.
    for class in [
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
        "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-operators",
    ] {
        assert!(conformance["conformsTo"].as_array().unwrap().iter().any(|c| c == class), "{class}");
    }
    let (_, queryables) = app.get("/ogc/collections/parcels/queryables").await;
    assert_eq!(queryables["properties"]["legal_area_m2"]["type"], "number");
    assert_eq!(queryables["properties"]["geometry"]["format"], "geometry-any");

    let [w, s, e, n] = common::TEST_BOX;
    let envelope = format!("ST_MakeEnvelope({w}, {s}, {e}, {n}, 4326)");
    // The middle of the box, inside a parcel.
    let (mx, my) = ((w + e) / 2.0, (s + n) / 2.0);
    let polygon = format!("POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))");
    let cases = [
        ("legal_area_m2 > 300 AND land_use_main = 'ODT'", "p.legal_area_m2 > 300 AND p.land_use[1] = 'ODT'".to_owned()),
        (
            "land_use_main IN ('ODT', 'LUC') AND legal_area_m2 BETWEEN 100 AND 200",
            "p.land_use[1] IN ('ODT', 'LUC') AND p.legal_area_m2 BETWEEN 100 AND 200".to_owned(),
        ),
        (
            "legacy_key LIKE '05443-1-%'",
            "p.commune_code_recorded || '-' || p.sheet || '-' || p.parcel_no LIKE '05443-1-%'".to_owned(),
        ),
        ("NOT (legal_area_m2 < 400) OR address IS NULL", "NOT (p.legal_area_m2 < 400) OR p.address IS NULL".to_owned()),
        ("CASEI(land_use_main) = casei('odt')", "p.land_use[1] = 'ODT'".to_owned()),
        (&format!("S_INTERSECTS(geometry, BBOX({w}, {s}, {e}, {n}))"), format!("ST_Intersects(p.geom, {envelope})")),
        (&format!("S_WITHIN(geometry, {polygon})"), format!("ST_Within(p.geom, {envelope})")),
        (
            &format!("S_CONTAINS(geometry, POINT({mx} {my}))"),
            format!("ST_Contains(p.geom, ST_Point({mx}, {my}, 4326))"),
        ),
    ];
    for (cql, sql) in &cases {
        let want = common::parcels_where(&app, sql).await;
        assert!(!want.is_empty() && want.len() < 3303, "{sql} selects some parcels, not all: {}", want.len());
        assert_eq!(filtered_ids(&app, &[("filter", cql)]).await, want, "{cql}");
    }
    // The same condition as CQL2 JSON, as Part 1 property=value, and as GDAL 3.6 sends it (cql-text).
    let want = common::parcels_where(&app, "p.legal_area_m2 > 300 AND p.land_use[1] = 'ODT'").await;
    let json = r#"{"op":"and","args":[{"op":">","args":[{"property":"legal_area_m2"},300]},{"op":"=","args":[{"property":"land_use_main"},"ODT"]}]}"#;
    assert_eq!(filtered_ids(&app, &[("filter", json), ("filter-lang", "cql2-json")]).await, want);
    assert_eq!(filtered_ids(&app, &[("filter", "legal_area_m2 > 300"), ("land_use_main", "ODT")]).await, want);
    let dir_url = format!("OAPIF:{}/ogc", app.base);
    let mut cmd = Command::new("ogrinfo");
    cmd.args(["-ro", "-so", &dir_url, "parcels", "-where", "land_use_main = 'ODT' AND legal_area_m2 > 300"]);
    cmd.env("CPL_DEBUG", "ON");
    let said = common::text(&common::run_beside(cmd).await);
    assert!(said.contains(&format!("Feature Count: {}", want.len())), "{said}");
    assert!(said.contains("&filter=") && said.contains("filter-lang=cql-text"), "GDAL filtered on the server: {said}");

    // A point in VN-2000 metres (filter-crs) finds the parcel that holds it.
    let (id, lon, lat): (String, f64, f64) = sqlx::query_as(
        "SELECT parcel_id, ST_X(pt), ST_Y(pt) FROM (SELECT parcel_id, ST_PointOnSurface(geom) pt FROM parcels
         WHERE valid_to IS NULL AND commune_code = '05443' ORDER BY parcel_id LIMIT 1) x",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let (x, y) = common::cs2cs("EPSG:4326", "EPSG:9213", lat, lon);
    let hit = filtered_ids(
        &app,
        &[
            ("filter", &format!("S_CONTAINS(geometry, POINT({x} {y}))")),
            ("filter-crs", "http://www.opengis.net/def/crs/EPSG/0/9213"),
        ],
    )
    .await;
    assert_eq!(hit, BTreeSet::from([id]));

    // A well-formed string holding SQL is only a string; one that breaks out is not CQL2.
    let before = app.db.fingerprint().await;
    let inert = filtered_ids(&app, &[("filter", "legacy_key = 'x''; DROP TABLE parcels; --'")]).await;
    assert!(inert.is_empty());
    assert_eq!(app.db.fingerprint().await, before);
    let deep = format!("{}legal_area_m2 > 1{}", "(".repeat(200), ")".repeat(200));
    let huge = format!("legacy_key = '{}'", "x".repeat(5000));
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let items = "/ogc/collections/parcels/items";
    app.expect_errors(&[
        (&format!("{items}?filter={}", enc("legacy_key = 'x'; DROP TABLE parcels; --")), 400, "not valid CQL2 text"),
        (&format!("{items}?filter={}", enc(&deep)), 400, "nests deeper than"),
        (&format!("{items}?filter={}", enc(&huge)), 400, "longer than 1000 characters"),
        (&format!("{items}?filter={}", enc("holder_name = 'x'")), 400, "`holder_name` is not a queryable"),
        (&format!("{items}?filter={}", enc("legal_area_m2 = 'big'")), 400, "compares a number with a string"),
        (&format!("{items}?filter={}", enc("legal_area_m2 + 1 > 2")), 400, "`+` is not supported"),
        (&format!("{items}?filter={}", enc("land_use_main")), 400, "must be a condition"),
        (&format!("{items}?filter=a%3D1&filter-lang=sql"), 400, "filter-lang `sql` is not offered"),
        (&format!("{items}?filter-lang=cql2-text"), 400, "go with a filter"),
        (&format!("{items}?legal_area_m2=big"), 400, "compares a number with a string"),
    ])
    .await;
}

#[tokio::test]
async fn the_ogctests_verifier_passes_every_part_1_test() {
    let app = TestApp::spawn(Content::Samples).await;
    // The script exits non-zero, failing this test, if any verifier test fails or errs.
    let out = common::python("ogctests_core.py", &[&format!("{}/ogc", app.base)]).await;
    let summary = out.lines().last().unwrap_or_default();
    assert!(summary.contains(" passed") && !summary.contains("failed") && !summary.contains("error"), "{out}");
}

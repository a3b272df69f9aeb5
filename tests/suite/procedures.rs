//! Officers edit through OGC API - Features Part 4 (POST, PUT, PATCH with geometry, DELETE,
//! OPTIONS, Content-Crs), and land procedures are events: split and merge with lineage, history,
//! and the map as it was on a past date (issue 13).

use crate::common;

use common::{Content, TestApp};
use serde_json::{Value, json};

const PASSWORD: &str = "Sổ-đỏ an toàn 2027";

/// Accounts with their initial passwords changed, so they may act.
async fn officers(app: &TestApp, accounts: &[(&str, &str, &str, &str)]) {
    for (user, id, role, scope) in accounts {
        app.db.add_account(user, "Lê Văn Cán", id, role, Some(scope), "Địa-chính 2026!");
        assert_eq!(crate::accounts::change_password(app, user, "Địa-chính 2026!", PASSWORD).await.0, 204);
    }
}

/// A SQL query's single text value.
async fn text(app: &TestApp, sql: &str, bind: &str) -> String {
    sqlx::query_scalar(sql).bind(bind).fetch_one(&app.db.pool).await.unwrap()
}

/// The first current parcel of a commune (`skip` others first), by parcel ID.
async fn first_parcel(app: &TestApp, commune: &str, skip: i64) -> String {
    sqlx::query_scalar(
        "SELECT parcel_id FROM parcels WHERE commune_code_recorded = $1 AND valid_to IS NULL ORDER BY parcel_id OFFSET $2 LIMIT 1",
    )
    .bind(commune)
    .bind(skip)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

/// A point inside a parcel's current shape.
async fn point_in(app: &TestApp, parcel: &str) -> (f64, f64) {
    sqlx::query_as(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM parcels WHERE parcel_id = $1 AND valid_to IS NULL) s",
    )
    .bind(parcel)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

/// The commune boundaries the samples lack: each commune's parcels' hull, a little grown.
async fn boundaries(app: &TestApp) {
    sqlx::query(
        "UPDATE communes c SET geom = h.geom FROM (
             SELECT commune_code_recorded AS code, ST_Multi(ST_Buffer(ST_ConvexHull(ST_Collect(geom)), 0.0005)) AS geom
             FROM parcels GROUP BY 1) h
         WHERE c.code = h.code AND h.code IN ('05443', '11311')",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
}

struct Call {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn send(req: reqwest::RequestBuilder) -> Call {
    let resp = req.send().await.unwrap();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    Call { status, headers, body: resp.json().await.unwrap_or(Value::Null) }
}

fn message(c: &Call) -> String {
    c.body["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn part4_adds_replaces_reshapes_and_retires_parcels_by_role_and_scope() {
    let app = TestApp::spawn(Content::Samples).await;
    officers(
        &app,
        &[("canbo", "011000000010", "commune_officer", "05443"), ("xem", "011000000011", "viewer", "05443")],
    )
    .await;
    boundaries(&app).await;
    let items = format!("{}/ogc/collections/parcels/items", app.base);
    let as_user = |req: reqwest::RequestBuilder, user: &str| req.basic_auth(user, Some(PASSWORD));

    // OPTIONS says what each caller may do; conformance lists Part 4.
    let allow = |user: Option<&'static str>, url: String| {
        let mut req = app.http.request(reqwest::Method::OPTIONS, url);
        if let Some(u) = user {
            req = as_user(req, u);
        }
        async move { send(req).await.headers.get("allow").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default() }
    };
    let some = first_parcel(&app, "05443", 0).await;
    assert_eq!(allow(None, items.clone()).await, "GET, HEAD, OPTIONS");
    assert_eq!(allow(Some("xem"), format!("{items}/{some}")).await, "GET, HEAD, OPTIONS");
    assert_eq!(allow(Some("canbo"), items.clone()).await, "GET, HEAD, OPTIONS, POST");
    assert_eq!(allow(Some("canbo"), format!("{items}/{some}")).await, "GET, HEAD, OPTIONS, PUT, PATCH, DELETE");
    assert_eq!(allow(Some("canbo"), format!("{}/ogc/collections/pricing/items", app.base)).await, "GET, HEAD, OPTIONS");
    let (_, conformance) = app.get("/ogc/conformance").await;
    assert!(conformance["conformsTo"].to_string().contains("ogcapi-features-4/1.0/conf/create-replace-delete"));
    let (_, api) = app.get("/ogc/api").await;
    let methods =
        |path: &str| api["paths"][path].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
    assert!(methods("/collections/parcels/items").contains(&"post".to_owned()), "{api}");
    assert_eq!(methods("/collections/parcels/items/{featureId}"), ["get", "put", "patch", "delete"]);

    // A new parcel: a neighbour's outline moved 60 m east, with a legacy key of its own.
    let shape = |id: &str, sql: &str| {
        let (pool, id, sql) = (app.db.pool.clone(), id.to_owned(), sql.to_owned());
        async move {
            let g: String = sqlx::query_scalar(&format!(
                "SELECT ST_AsGeoJSON({sql}, 9) FROM parcels WHERE parcel_id = $1 AND valid_to IS NULL"
            ))
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
            serde_json::from_str::<Value>(&g).unwrap()
        }
    };
    let moved = shape(&some, "ST_Translate(geom, 0.00055, 0)").await;
    let feature = |key: &str, land_use: &str, geometry: Value| {
        json!({ "type": "Feature", "geometry": geometry,
                "properties": { "legacy_key": key, "land_use": land_use, "legal_area_m2": 200.5, "address": "Thôn Mới" } })
    };
    let post = |user: &str, body: Value, headers: Vec<(&'static str, &'static str)>| {
        let mut req = as_user(app.http.post(&items), user).header("content-type", "application/geo+json").json(&body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        send(req)
    };
    let bowtie = json!({ "type": "Polygon", "coordinates": [[[105.8, 21.0], [105.801, 21.001], [105.801, 21.0], [105.8, 21.001], [105.8, 21.0]]] });
    let paris =
        json!({ "type": "Polygon", "coordinates": [[[2.35, 48.85], [2.351, 48.85], [2.351, 48.851], [2.35, 48.85]]] });
    let before = app.db.count("SELECT count(*) FROM parcels").await;
    for (user, body, headers, status, says) in [
        ("xem", feature("05443-1-9001", "ODT", moved.clone()), vec![], 403, "may not POST"),
        ("canbo", feature("05443-1-9001", "XYZ", moved.clone()), vec![], 422, "XYZ"),
        ("canbo", feature("05443-1-9001", "ODT", bowtie), vec![], 422, "invalid polygon"),
        ("canbo", feature("05443-1-9001", "ODT", paris), vec![], 422, "outside Vietnam"),
        ("canbo", feature("0544-1-9001", "ODT", moved.clone()), vec![], 422, "5 digits"),
        (
            "canbo",
            json!({ "type": "Feature", "geometry": moved, "properties": { "land_use": "ODT" } }),
            vec![],
            422,
            "legacy_key",
        ),
        ("canbo", feature("11311-1-9001", "ODT", moved.clone()), vec![], 403, "outside the scope"),
        (
            "canbo",
            feature("05443-1-9001", "ODT", moved.clone()),
            vec![("content-crs", "<http://www.opengis.net/def/crs/EPSG/0/9999>")],
            400,
            "Content-Crs",
        ),
        ("canbo", json!([1, 2]), vec![], 400, "GeoJSON Feature"),
    ] {
        let got = post(user, body, headers).await;
        assert_eq!(got.status, status, "{user}: {}", got.body);
        assert!(message(&got).contains(says), "{says}: {}", got.body);
    }
    let taken = text(
        &app,
        "SELECT commune_code_recorded || '-' || sheet || '-' || parcel_no FROM parcels WHERE parcel_id = $1",
        &some,
    )
    .await;
    let got = post("canbo", feature(&taken, "ODT", moved.clone()), vec![]).await;
    assert_eq!((got.status, message(&got).contains("already held")), (409, true), "{}", got.body);
    assert_eq!(app.db.count("SELECT count(*) FROM parcels").await, before, "refusals write nothing");

    let created = post("canbo", feature("05443-1-9001", "ODT", moved.clone()), vec![]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(created.headers["location"].to_str().unwrap().ends_with(&format!("/ogc/collections/parcels/items/{id}")));
    let tag = created.headers["etag"].to_str().unwrap().to_owned();
    let read = send(app.http.get(format!("{items}/{id}"))).await;
    assert_eq!((read.status, read.headers["etag"].to_str().unwrap()), (200, tag.as_str()));
    assert_eq!(read.body["properties"]["legacy_key"], "05443-1-9001");
    assert_eq!(read.body["properties"]["commune_code"], "05443");

    // PUT in Web Mercator (Content-Crs): the whole feature, the address left out is cleared.
    let mercator = shape(&id, "ST_Transform(geom, 3857)").await;
    let put = |body: Value, if_match: &str| {
        let req = as_user(app.http.put(format!("{items}/{id}")), "canbo")
            .header("content-type", "application/geo+json")
            .header("content-crs", "<http://www.opengis.net/def/crs/EPSG/0/3857>")
            .header("if-match", if_match)
            .json(&body);
        send(req)
    };
    let replaced = json!({ "type": "Feature", "geometry": mercator, "properties": { "land_use": "ODT+TMD", "legal_area_m2": 199 } });
    assert_eq!(put(replaced.clone(), "\"1\"").await.status, 412);
    let got = put(replaced, &tag).await;
    assert_eq!(got.status, 204, "{}", got.body);
    let (address, land_use, moved_m, crs): (Option<String>, Vec<String>, f64, String) = sqlx::query_as(
        "SELECT n.address, n.land_use, ST_HausdorffDistance(n.geom::geography::geometry, o.geom::geography::geometry) * 111000, n.source_crs
         FROM parcels n JOIN parcels o ON o.parcel_id = n.parcel_id AND o.valid_to = n.valid_from
         WHERE n.parcel_id = $1 AND n.valid_to IS NULL",
    )
    .bind(&id)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!((address, land_use), (None, vec!["ODT".to_owned(), "TMD".to_owned()]));
    assert!(moved_m < 0.01, "the same outline, through Web Mercator: {moved_m} m");
    assert_eq!(crs, "EPSG:3857");

    // PATCH with a geometry is a re-survey: the parcel keeps its ID. Moving it into a commune out
    // of scope is refused.
    let patch = |body: Value| {
        let req = as_user(app.http.patch(format!("{items}/{id}")), "canbo")
            .header("content-type", "application/merge-patch+json")
            .json(&body);
        send(req)
    };
    let nudged = shape(&id, "ST_Translate(geom, 0.00002, 0)").await;
    let got = patch(json!({ "geometry": nudged })).await;
    assert_eq!(got.status, 204, "{}", got.body);
    let elsewhere = first_parcel(&app, "11311", 0).await;
    let there = shape(&elsewhere, "ST_Buffer(ST_PointOnSurface(geom), 0.00003, 4)").await;
    let got = patch(json!({ "geometry": there })).await;
    assert_eq!((got.status, message(&got).contains("outside the scope")), (403, true), "{}", got.body);
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT kind FROM parcel_events WHERE opened && (SELECT array_agg(uid) FROM parcels WHERE parcel_id = $1)
            OR closed && (SELECT array_agg(uid) FROM parcels WHERE parcel_id = $1) ORDER BY id",
    )
    .bind(&id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(kinds, ["registration", "resurvey", "resurvey"]);

    // DELETE retires it: gone from the collection, kept as history.
    let got = send(as_user(app.http.delete(format!("{items}/{id}")), "canbo")).await;
    assert_eq!(got.status, 204, "{}", got.body);
    assert_eq!(send(app.http.get(format!("{items}/{id}"))).await.status, 404);
    let (status, history) = app.get(&format!("/api/parcels/{id}/history")).await;
    assert_eq!(status, 200);
    assert_eq!(history["current"], false);
    assert_eq!(history["versions"].as_array().unwrap().len(), 3);
    assert_eq!(history["events"].as_array().unwrap().last().unwrap()["kind"], "retirement");
    assert!(history["events"][0].get("actor").is_none(), "who edited is for signed-in callers");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, card) = app.get(&format!("/api/parcels/{id}")).await;
        if status == 404 {
            assert!(card["message"].as_str().unwrap().contains("retired"), "{card}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the index drops the retired parcel");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn split_and_merge_are_events_with_lineage_and_the_past_stays_readable() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let app = TestApp::spawn(Content::Samples).await;
    officers(&app, &[("dangky", "011000000020", "registrar", "05443")]).await;
    let auth = |req: reqwest::RequestBuilder| req.basic_auth("dangky", Some(PASSWORD));
    let parent = first_parcel(&app, "05443", 5).await;
    // The parent cut in two by the north-south line through its box's middle (PostGIS's split).
    let halves: Vec<String> = sqlx::query_scalar(
        "SELECT ST_AsGeoJSON((ST_Dump(ST_Split(geom, ST_SetSRID(ST_MakeLine(
                    ST_MakePoint((ST_XMin(geom) + ST_XMax(geom)) / 2, ST_YMin(geom) - 1),
                    ST_MakePoint((ST_XMin(geom) + ST_XMax(geom)) / 2, ST_YMax(geom) + 1)), 4326)))).geom, 12)
         FROM parcels WHERE parcel_id = $1 AND valid_to IS NULL",
    )
    .bind(&parent)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(halves.len(), 2);
    let half = |i: usize| serde_json::from_str::<Value>(&halves[i]).unwrap();
    let before: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT clock_timestamp()").fetch_one(&app.db.pool).await.unwrap();
    let split = |parts: Value| {
        let body = json!({ "parts": parts, "reason": "Tách thửa theo đơn", "legal_basis": "QĐ 12/QĐ-UBND" });
        send(auth(app.http.post(format!("{}/api/parcels/{parent}/split", app.base))).json(&body))
    };
    for (parts, says) in [
        (json!([{ "geometry": half(0), "land_use": "ODT" }]), "at least two parts"),
        (json!([{ "geometry": half(0), "land_use": "ODT" }, { "geometry": half(0), "land_use": "ODT" }]), "uncovered"),
        (json!([{ "geometry": half(0), "land_use": "ODT" }, { "geometry": half(1), "land_use": "QQQ" }]), "part 2"),
    ] {
        let got = split(parts).await;
        assert_eq!(got.status, 422, "{}", got.body);
        assert!(message(&got).contains(says), "{says}: {}", got.body);
    }
    let got = split(json!([
        { "geometry": half(0), "land_use": "ODT", "legal_area_m2": 100.5 },
        { "geometry": half(1), "land_use": "CLN" }
    ]))
    .await;
    assert_eq!(got.status, 201, "{}", got.body);
    let children: Vec<String> = serde_json::from_value(got.body["parcels"].clone()).unwrap();
    assert_eq!(children.len(), 2);
    // Areas against PostGIS: the children cover the parent.
    let (parent_area, children_area, current_parents): (f64, f64, i64) = sqlx::query_as(
        "SELECT (SELECT ST_Area(geom::geography) FROM parcels WHERE parcel_id = $1),
                (SELECT sum(ST_Area(geom::geography)) FROM parcels WHERE parcel_id = ANY ($2) AND valid_to IS NULL),
                (SELECT count(*) FROM parcels WHERE parcel_id = $1 AND valid_to IS NULL)",
    )
    .bind(&parent)
    .bind(&children)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!((parent_area - children_area).abs() < 0.5, "{parent_area} vs {children_area}");
    assert_eq!(current_parents, 0, "the parent is closed, not deleted");
    let (_, history) = app.get(&format!("/api/parcels/{parent}/history")).await;
    let mut successors: Vec<String> = serde_json::from_value(history["successors"].clone()).unwrap();
    successors.sort();
    let mut expected = children.clone();
    expected.sort();
    assert_eq!(successors, expected);
    let split_event = history["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (split_event["kind"].as_str(), split_event["legal_basis"].as_str()),
        (Some("split"), Some("QĐ 12/QĐ-UBND"))
    );
    let (_, child_history) = app.get(&format!("/api/parcels/{}/history", children[0])).await;
    assert_eq!(child_history["ancestors"][0]["id"], parent.as_str());
    let signed_in = send(auth(app.http.get(format!("{}/api/parcels/{}/history", app.base, children[0])))).await;
    assert_eq!(signed_in.body["events"][0]["actor"], "dangky");

    // The past: the parent on the moment before the split, by code, at a point, in OGC API and WFS.
    let on = before.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let on_q: String = form_urlencoded::byte_serialize(on.as_bytes()).collect();
    let (status, card) = app.get(&format!("/api/parcels/{parent}?on={on_q}")).await;
    assert_eq!((status, card["id"].as_str()), (200, Some(parent.as_str())), "{card}");
    let (lon, lat) = point_in(&app, &children[0]).await;
    // The in-memory index follows the split within a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while app.get(&format!("/api/parcels?at={lon},{lat}")).await.1["features"][0]["id"] != children[0].as_str() {
        assert!(std::time::Instant::now() < deadline, "the index follows the split");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (status, now) = app.get(&format!("/api/parcels/{parent}")).await;
    assert_eq!(status, 404);
    assert!(now["message"].as_str().unwrap().contains(&children[0]), "{now}");
    let (_, then) = app.get(&format!("/api/parcels?at={lon},{lat}&on={on_q}")).await;
    assert_eq!(then["features"][0]["id"], parent.as_str());
    let (_, now) = app.get(&format!("/api/parcels?at={lon},{lat}")).await;
    assert_eq!(now["features"][0]["id"], children[0].as_str(), "{now}");
    let filter: String = form_urlencoded::byte_serialize(format!("parcel_id = '{parent}'").as_bytes()).collect();
    let (_, then) = app.get(&format!("/ogc/collections/parcels/items?filter={filter}&datetime={on_q}")).await;
    assert_eq!(then["numberMatched"], 1, "{then}");
    let (_, now) = app.get(&format!("/ogc/collections/parcels/items?filter={filter}")).await;
    assert_eq!(now["numberMatched"], 0);
    let (status, _) = app.get("/ogc/collections/parcels/items?datetime=2026-01-01/..").await;
    assert_eq!(status, 400);
    let wfs = |on: &str| {
        format!(
            "/wfs?service=WFS&version=2.0.0&request=GetFeature&typeNames=parcels&resultType=hits&outputFormat=application/json&bbox={},{},{},{},urn:ogc:def:crs:OGC:1.3:CRS84{on}",
            lon - 1e-6,
            lat - 1e-6,
            lon + 1e-6,
            lat + 1e-6
        )
    };
    let (_, then) = app.get(&wfs(&format!("&on={on_q}"))).await;
    let (_, now) = app.get(&wfs("")).await;
    assert_eq!(then["numberMatched"], 1, "only the parent then: {then}");
    assert!(now["numberMatched"].as_i64().unwrap() >= 1, "{now}");

    // Tiles: now the children; on the moment before, the parent (cut apart, cached apart).
    let (x, y) = common::tile_of(lon, lat, 17);
    let ids_in = |tile: Value| -> Vec<String> {
        tile["parcels"]["features"]
            .as_array()
            .map(|fs| fs.iter().map(|f| f["properties"]["parcel_id"].as_str().unwrap_or_default().to_owned()).collect())
            .unwrap_or_default()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let now = loop {
        let now = ids_in(app.tile(&format!("/tiles/parcels/17/{x}/{y}.mvt")).await);
        if now.contains(&children[0]) || std::time::Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let then = ids_in(app.tile(&format!("/tiles/parcels/17/{x}/{y}.mvt?on={on_q}")).await);
    assert!(now.contains(&children[0]) && !now.contains(&parent), "{now:?}");
    assert!(then.contains(&parent) && !then.contains(&children[0]), "{then:?}");
    let again = app.get_with(&format!("/tiles/parcels/17/{x}/{y}.mvt?on={on_q}"), &[]).await;
    assert_eq!(again.headers()["x-cache"], "hit");
    let (_, tilejson) = app.get(&format!("/tiles/parcels.json?on={on_q}")).await;
    assert!(tilejson["tiles"][0].as_str().unwrap().ends_with(&format!(".mvt?on={on_q}")), "{tilejson}");

    // Merge: two adjacent parcels become one; parcels apart are refused.
    let (a, b): (String, String) = sqlx::query_as(
        "SELECT a.parcel_id, b.parcel_id FROM parcels a JOIN parcels b ON a.parcel_id < b.parcel_id
             AND ST_Length(ST_Intersection(a.geom, b.geom)::geography) > 5
         WHERE a.commune_code_recorded = '05443' AND b.commune_code_recorded = '05443'
             AND a.valid_to IS NULL AND b.valid_to IS NULL AND NOT a.parcel_id = ANY ($1) AND NOT b.parcel_id = ANY ($1)
         ORDER BY a.parcel_id, b.parcel_id LIMIT 1",
    )
    .bind(&children)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let far = text(&app, "SELECT parcel_id FROM parcels WHERE commune_code_recorded = $1 AND valid_to IS NULL ORDER BY parcel_id DESC LIMIT 1", "05443").await;
    let outside = first_parcel(&app, "11311", 0).await;
    let merge = |parcels: Vec<&str>| {
        let body = json!({ "parcels": parcels, "reason": "Hợp thửa", "legal_basis": "HĐ 5/2026" });
        send(auth(app.http.post(format!("{}/api/parcels/merge", app.base))).json(&body))
    };
    for (parcels, status, says) in [
        (vec![a.as_str(), far.as_str()], 422, "not adjacent"),
        (vec![a.as_str(), outside.as_str()], 403, "outside the scope"),
        (vec![a.as_str(), a.as_str()], 422, "two different parcels"),
        // Merging the split's children back would give the parent's ID again: lineage would loop.
        (vec![children[0].as_str(), children[1].as_str()], 409, "never reused"),
    ] {
        let got = merge(parcels).await;
        assert_eq!((got.status, message(&got).contains(says)), (status, true), "{}", got.body);
    }
    let got = merge(vec![a.as_str(), b.as_str()]).await;
    assert_eq!(got.status, 201, "{}", got.body);
    let merged = got.body["parcel"].as_str().unwrap().to_owned();
    let (sum, area): (f64, f64) = sqlx::query_as(
        "SELECT (SELECT sum(ST_Area(geom::geography)) FROM parcels WHERE parcel_id IN ($1, $2)),
                (SELECT ST_Area(geom::geography) FROM parcels WHERE parcel_id = $3 AND valid_to IS NULL)",
    )
    .bind(&a)
    .bind(&b)
    .bind(&merged)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!((sum - area).abs() < 0.5, "{sum} vs {area}");
    let (_, history) = app.get(&format!("/api/parcels/{merged}/history")).await;
    let mut ancestors: Vec<String> =
        history["ancestors"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
    ancestors.sort();
    assert_eq!(ancestors, [a.clone(), b.clone()]);
    // No parcel has two current versions, versions never overlap, lineage has no cycle.
    let overlaps = app
        .db
        .count(
            "SELECT count(*) FROM parcels x JOIN parcels y ON x.parcel_id = y.parcel_id AND x.uid < y.uid
             AND tstzrange(x.valid_from, x.valid_to) && tstzrange(y.valid_from, y.valid_to)",
        )
        .await;
    assert_eq!(overlaps, 0);
    // Every change by the account is audited.
    let audited = app
        .db
        .count("SELECT count(*) FROM audit.entries WHERE actor = 'account:dangky' AND action = 'edit map data'")
        .await;
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn a_commune_officer_edits_in_qgis_over_wfs_t_and_is_held_to_its_scope() {
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let app = TestApp::spawn(Content::Samples).await;
    officers(&app, &[("canbo", "011000000030", "commune_officer", "05443")]).await;
    let edited = first_parcel(&app, "05443", 10).await;
    let (deleted, outside) = (first_parcel(&app, "05443", 20).await, first_parcel(&app, "11311", 0).await);
    // Anonymous callers are not offered transactions; the officer is.
    let caps = |user: Option<&str>| {
        let mut req = app.http.get(format!("{}/wfs?service=WFS&request=GetCapabilities", app.base));
        if let Some(u) = user {
            req = req.basic_auth(u, Some(PASSWORD));
        }
        async move { req.send().await.unwrap().text().await.unwrap() }
    };
    assert!(!caps(None).await.contains(r#"name="Transaction""#));
    assert!(caps(Some("canbo")).await.contains(r#"<ows:Operation name="Transaction">"#));

    let said = common::qgis("qgis_edit.py", &[&app.base, "canbo", PASSWORD, &edited, &deleted, &outside]).await;
    let seen: Value = serde_json::from_str(&said).unwrap();
    assert_eq!((seen["valid"].as_bool(), seen["editable"].as_bool()), (Some(true), Some(true)), "{seen}");
    assert_eq!(seen["committed"], true, "{seen}");
    assert_eq!(seen["outside_committed"], false, "{seen}");
    assert!(seen["outside_errors"].to_string().contains("outside the scope"), "{seen}");

    // The database holds the new versions, with events naming the account.
    let events: Vec<(String, String)> = sqlx::query_as("SELECT e.kind, e.actor FROM parcel_events e ORDER BY e.id")
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let kinds: std::collections::BTreeSet<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["land_use", "registration", "resurvey", "retirement"].into_iter().collect(), "{events:?}");
    assert!(events.iter().all(|(_, actor)| actor == "canbo"), "{events:?}");
    let (land_use, moved): (Vec<String>, f64) = sqlx::query_as(
        "SELECT n.land_use, ST_Distance(ST_Centroid(n.geom)::geography, ST_Centroid(o.geom)::geography)
         FROM parcels n JOIN parcels o ON o.parcel_id = n.parcel_id AND o.valid_to IS NOT NULL
         WHERE n.parcel_id = $1 AND n.valid_to IS NULL ORDER BY o.valid_from LIMIT 1",
    )
    .bind(&edited)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(land_use, [seen["land_use"].as_str().unwrap()]);
    assert!((0.5..2.0).contains(&moved), "moved by about 1 m: {moved}");
    assert_eq!(app.db.count("SELECT count(*) FROM parcels WHERE valid_to IS NULL AND commune_code_recorded || '-' || sheet || '-' || parcel_no = '05443-7-9101'").await, 1);
    let deleted_now =
        app.db.count(&format!("SELECT count(*) FROM parcels WHERE parcel_id = '{deleted}' AND valid_to IS NULL")).await;
    assert_eq!(deleted_now, 0);
    let outside_versions = app.db.count(&format!("SELECT count(*) FROM parcels WHERE parcel_id = '{outside}'")).await;
    assert_eq!(outside_versions, 1, "the refused edit wrote nothing");
}

#[tokio::test]
async fn wfs_transactions_in_1_1_and_2_0_are_all_or_nothing() {
    let app = TestApp::spawn(Content::Samples).await;
    officers(&app, &[("canbo", "011000000040", "commune_officer", "05443")]).await;
    let post = |user: Option<&str>, xml: String| {
        let mut req = app.http.post(format!("{}/wfs", app.base)).header("content-type", "text/xml").body(xml);
        if let Some(u) = user {
            req = req.basic_auth(u, Some(PASSWORD));
        }
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let some = first_parcel(&app, "05443", 0).await;
    let before = app.db.count("SELECT count(*) FROM parcels").await;
    // WFS 1.1.0: the update is undone with the delete of a parcel that does not exist.
    let v11 = format!(
        r#"<wfs:Transaction xmlns:wfs="http://www.opengis.net/wfs" xmlns:ogc="http://www.opengis.net/ogc" service="WFS" version="1.1.0">
          <wfs:Update typeName="dc:parcels"><wfs:Property><wfs:Name>address</wfs:Name><wfs:Value>Số 1 Mới</wfs:Value></wfs:Property>
            <ogc:Filter><ogc:GmlObjectId gml:id="parcels.{some}" xmlns:gml="http://www.opengis.net/gml"/></ogc:Filter></wfs:Update>
          <wfs:Delete typeName="dc:parcels" handle="xoá"><ogc:Filter><ogc:FeatureId fid="parcels.zzzzzzzzzzzz"/></ogc:Filter></wfs:Delete>
        </wfs:Transaction>"#
    );
    let (status, body) = post(None, v11.clone()).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = post(Some("canbo"), v11).await;
    assert_eq!(status, 404, "{body}");
    assert!(
        body.contains("ExceptionReport") && body.contains("xoá, parcels.zzzzzzzzzzzz: no current parcel"),
        "{body}"
    );
    assert_eq!(app.db.count("SELECT count(*) FROM parcels").await, before, "nothing written");

    // WFS 2.0: an insert in GML 3.2, latitude first as urn:ogc:def:crs:EPSG::4326 orders it.
    let (lon, lat): (f64, f64) =
        sqlx::query_as("SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(geom) c FROM parcels WHERE parcel_id = $1) s")
            .bind(&some)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let (x, y, d) = (lon + 0.0007, lat, 0.00008);
    let ring: Vec<String> =
        [(x, y), (x + d, y), (x + d, y + d), (x, y + d), (x, y)].iter().map(|(x, y)| format!("{y} {x}")).collect();
    let v20 = |area: &str| {
        format!(
            r#"<wfs:Transaction xmlns:wfs="http://www.opengis.net/wfs/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:dc="urn:diachinh" service="WFS" version="2.0.0">
              <wfs:Insert handle="mới"><dc:parcels><dc:legacy_key>05443-8-1</dc:legacy_key><dc:land_use>ODT</dc:land_use><dc:legal_area_m2>{area}</dc:legal_area_m2>
                <dc:geometry><gml:Polygon gml:id="p1" srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing><gml:posList>{}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></dc:geometry>
              </dc:parcels></wfs:Insert></wfs:Transaction>"#,
            ring.join(" ")
        )
    };
    let (status, body) = post(Some("canbo"), v20("75,5")).await;
    assert_eq!(status, 400, "a comma is not a number in JSON terms: {body}");
    assert!(body.contains("legal_area_m2"), "{body}");
    let (status, body) = post(Some("canbo"), v20("75.5")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<wfs:totalInserted>1</wfs:totalInserted>")
            && body.contains(r#"handle="mới"><fes:ResourceId rid="parcels."#),
        "{body}"
    );
    let inside: bool = sqlx::query_scalar(
        "SELECT ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) FROM parcels
         WHERE commune_code_recorded = '05443' AND sheet = '8' AND parcel_no = 1 AND valid_to IS NULL",
    )
    .bind(x + d / 2.0)
    .bind(y + d / 2.0)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(inside, "the axes were read as the srsName orders them");
}

#[tokio::test]
async fn a_transfer_changes_the_holders_and_an_event_keeps_its_scanned_dossier() {
    let app = TestApp::spawn(Content::Samples).await;
    officers(&app, &[("dangky", "011000000050", "registrar", "05443"), ("xem", "011000000051", "viewer", "05443")])
        .await;
    let (parcel, old_holder) = common::parcel_with_holder(&app.db.pool, "05443").await;
    let auth = |req: reqwest::RequestBuilder, user: &str| req.basic_auth(user, Some(PASSWORD));
    let transfer = |holders: Value| {
        let body = json!({ "holders": holders, "reason": "Chuyển nhượng", "legal_basis": "HĐ công chứng 123/2026" });
        send(auth(app.http.post(format!("{}/api/parcels/{parcel}/transfer", app.base)), "dangky").json(&body))
    };
    let buyer = |code: &str, name: &str, id: &str, share: f64| json!({ "holder_code": code, "holder_kind": "individual", "name": name, "personal_id": id, "share": share });
    for (holders, says) in [
        (json!([buyer("CN-1", "Trần Văn Mua", "001099000111", 0.5)]), "add up to 0.5"),
        (json!([buyer("CN-1", "Trần Văn Mua", "0010990", 1.0)]), "SoDinhDanh `0010990`"),
        (json!([{ "holder_code": "CN-1", "owner": "x" }]), "`owner` is not a field"),
        (json!([]), "names the new holders"),
    ] {
        let got = transfer(holders).await;
        assert_eq!((got.status, message(&got).contains(says)), (422, true), "{says}: {}", got.body);
    }
    let got = transfer(json!([
        buyer("CN-001099000111", "Trần Văn Mua", "001099000111", 0.5),
        buyer("CN-001099000222", "Lê Thị Mua", "001099000222", 0.5)
    ]))
    .await;
    assert_eq!(got.status, 201, "{}", got.body);
    let event = got.body["event"].as_i64().unwrap();
    let card = send(auth(app.http.get(format!("{}/api/parcels/{parcel}", app.base)), "dangky")).await;
    let holders = card.body["properties"]["holders"].to_string();
    assert!(
        holders.contains("Trần Văn Mua") && holders.contains("Lê Thị Mua") && !holders.contains(&old_holder),
        "{holders}"
    );
    let (_, anonymous) = app.get(&format!("/api/parcels/{parcel}")).await;
    assert!(anonymous["properties"].get("holders").is_none());
    assert_eq!(anonymous["properties"]["ownership"], "shared");
    let ended = app
        .db
        .count(&format!("SELECT count(*) FROM personal.rights WHERE parcel_id = '{parcel}' AND valid_to IS NOT NULL"))
        .await;
    assert!(ended >= 1, "the former rights stay, ended");

    // The event's dossier: a scanned PDF, its hash kept; personal data, so for roles that see it.
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n".to_vec();
    let files = format!("{}/api/events/{event}/files", app.base);
    let attach = |user: &str, media: &str| {
        let req = auth(app.http.post(format!("{files}?name=hop-dong.pdf")), user)
            .header("content-type", media)
            .body(pdf.clone());
        send(req)
    };
    assert_eq!(attach("dangky", "text/plain").await.status, 415);
    assert_eq!(attach("xem", "application/pdf").await.status, 403);
    let got = attach("dangky", "application/pdf").await;
    assert_eq!(got.status, 201, "{}", got.body);
    let sha = got.body["sha256"].as_str().unwrap().to_owned();
    let file = got.body["file"].as_i64().unwrap();
    assert_eq!(attach("dangky", "application/pdf").await.status, 409, "one file per name");
    let (_, history) = app.get(&format!("/api/parcels/{parcel}/history")).await;
    let transfer_event = history["events"].as_array().unwrap().iter().find(|e| e["id"] == event).unwrap().clone();
    assert_eq!(
        (transfer_event["kind"].as_str(), transfer_event["files"][0]["sha256"].as_str()),
        (Some("transfer"), Some(sha.as_str()))
    );
    let download = |user: Option<&str>| {
        let mut req = app.http.get(format!("{files}/{file}"));
        if let Some(u) = user {
            req = auth(req, u);
        }
        async move { req.send().await.unwrap() }
    };
    assert_eq!(download(None).await.status(), 401);
    assert_eq!(download(Some("xem")).await.status(), 403);
    let got = download(Some("dangky")).await;
    assert_eq!(
        (got.status(), got.headers()["x-sha256"].to_str().unwrap().to_owned()),
        (reqwest::StatusCode::OK, sha.clone())
    );
    assert_eq!(got.bytes().await.unwrap().to_vec(), pdf);
    // The audit trail names the upload with the file's hash.
    let audited = app.db.count(&format!("SELECT count(*) FROM audit.entries WHERE object LIKE '%{sha}%'")).await;
    assert_eq!(audited, 1);
    // A file changed after it was attached is detected, not served.
    sqlx::query(
        "UPDATE parcel_event_files SET content = overlay(content placing '\\x58'::bytea from 1 for 1) WHERE id = $1",
    )
    .bind(file)
    .execute(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(download(Some("dangky")).await.status(), 500);
}

#[tokio::test]
async fn an_edit_reaches_every_server_and_hostile_edits_are_refused_with_a_message() {
    let app = TestApp::spawn(Content::Samples).await;
    officers(&app, &[("canbo", "011000000060", "commune_officer", "05443")]).await;
    let (mut other, other_base) = app.db.serve().await;
    let parcel = first_parcel(&app, "05443", 0).await;
    let (lon, lat) = point_in(&app, &parcel).await;
    let items = format!("{}/ogc/collections/parcels/items", app.base);
    let patch = |body: Vec<u8>| {
        let req = app
            .http
            .patch(format!("{items}/{parcel}"))
            .basic_auth("canbo", Some(PASSWORD))
            .header("content-type", "application/merge-patch+json")
            .body(body);
        send(req)
    };
    let got = patch(json!({ "properties": { "address": "Số 99 đường Mới" } }).to_string().into_bytes()).await;
    assert_eq!(got.status, 204, "{}", got.body);
    // The other server, started apart on the same database, follows through the change feed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let seen: Value = app
            .http
            .get(format!("{other_base}/api/parcels?at={lon},{lat}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if seen["features"][0]["properties"]["address"] == "Số 99 đường Mới" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the other server follows: {seen}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = other.kill();

    // Hostile bodies: each a 4xx with a message, nothing written.
    let versions = || app.db.count("SELECT count(*) FROM parcels");
    let before = versions().await;
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    for (body, status, says) in [
        (br#"{"geometry": {"type": "Polygon", "coordinates": "x"}}"#.to_vec(), 400, "not GeoJSON"),
        (format!(r#"{{"geometry": {deep}}}"#).into_bytes(), 400, "the body must be"),
        (br#"{"properties": {"address": "a\u0000b"}}"#.to_vec(), 422, "NUL"),
        (br#"{"properties": {"legal_area_m2": 1e999}}"#.to_vec(), 400, "the body must be"),
        (b"\xff\xfe".to_vec(), 400, "the body must be"),
    ] {
        let got = patch(body.clone()).await;
        assert_eq!(
            (got.status, message(&got).contains(says)),
            (status, true),
            "{}: {}",
            String::from_utf8_lossy(&body),
            got.body
        );
    }
    let wfs = |body: Vec<u8>| {
        let req = app.http.post(format!("{}/wfs", app.base)).basic_auth("canbo", Some(PASSWORD)).body(body);
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };
    let nested = format!(r#"<Transaction version="2.0.0">{}{}</Transaction>"#, "<a>".repeat(100), "</a>".repeat(100));
    let planning = r#"<Transaction version="2.0.0"><Delete typeName="dc:pricing"><Filter><ResourceId rid="pricing.1"/></Filter></Delete></Transaction>"#;
    let bad_gml = format!(
        r#"<Transaction version="1.1.0"><Update typeName="dc:parcels"><Property><Name>geometry</Name><Value><gml:Polygon xmlns:gml="http://www.opengis.net/gml"><gml:nonsense/></gml:Polygon></Value></Property><Filter><FeatureId fid="parcels.{parcel}"/></Filter></Update></Transaction>"#
    );
    for (body, says) in [
        (nested.into_bytes(), "too large"),
        (b"<Transaction version=\"2.0.0\">\0</Transaction>".to_vec(), "NUL character"),
        (b"\xff<Transaction/>".to_vec(), "not UTF-8"),
        (planning.as_bytes().to_vec(), "cannot be edited"),
        (bad_gml.into_bytes(), "no geometry"),
    ] {
        let (status, text) = wfs(body).await;
        assert_eq!(status, 400, "{text}");
        assert!(text.contains("ExceptionReport") && text.contains(says), "{says}: {text}");
    }
    assert_eq!(versions().await, before, "nothing written");
}

#[tokio::test]
async fn overlays_are_edited_through_part4_by_their_imports_rules_and_in_scope() {
    let app = TestApp::spawn(Content::Samples).await;
    officers(&app, &[("dangky", "011000000070", "registrar", "05443"), ("xem", "011000000071", "viewer", "05443")])
        .await;
    boundaries(&app).await;
    let item = |c: &str, id: &str| format!("{}/ogc/collections/{c}/items/{id}", app.base);
    let patch = |user: &str, url: String, properties: Value| {
        let req = app
            .http
            .patch(url)
            .basic_auth(user, Some(PASSWORD))
            .header("content-type", "application/merge-patch+json")
            .json(&json!({ "properties": properties }));
        send(req)
    };
    let zone =
        text(&app, "SELECT id::text FROM planning_zones WHERE zone_code LIKE $1 || '%' ORDER BY id LIMIT 1", "05443")
            .await;
    let unit =
        text(&app, "SELECT product_id FROM units WHERE project_code = $1 ORDER BY product_id LIMIT 1", "DA05443").await;
    for (user, url, properties, status, says) in [
        ("dangky", item("planning", &zone), json!({ "land_use": "XYZ" }), 422, "XYZ"),
        ("dangky", item("planning", &zone), json!({ "zone_code": "05443-QH-99" }), 422, "key fields"),
        ("dangky", item("planning", &zone), json!({ "colour": "red" }), 422, "`colour` is not a field"),
        ("dangky", item("projects", "DA11311"), json!({ "status": "completed" }), 403, "outside the scope"),
        ("dangky", item("projects", "DA00000"), json!({ "status": "completed" }), 404, "no feature"),
        ("xem", item("units", &unit), json!({ "status": "sold" }), 403, "may not PATCH"),
        ("dangky", item("units", &unit), json!({ "floor_area_m2": -5 }), 422, "positive"),
    ] {
        let got = patch(user, url.clone(), properties).await;
        assert_eq!((got.status, message(&got).contains(says)), (status, true), "{url}: {}", got.body);
    }
    for (url, properties) in [
        (item("planning", &zone), json!({ "status": "adjusted" })),
        (item("projects", "DA05443"), json!({ "status": "completed", "progress_pct": 100 })),
        (item("units", &unit), json!({ "status": "sold" })),
    ] {
        let got = patch("dangky", url.clone(), properties).await;
        assert_eq!(got.status, 204, "{url}: {}", got.body);
    }
    let statuses: (String, String, String) = sqlx::query_as(
        "SELECT (SELECT status FROM planning_zones WHERE id::text = $1), (SELECT status FROM projects WHERE code = 'DA05443'),
                (SELECT status FROM units WHERE product_id = $2)",
    )
    .bind(&zone)
    .bind(&unit)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(statuses, ("adjusted".into(), "completed".into(), "sold".into()));
    let (_, project) = app.get("/api/projects/DA05443").await;
    assert_eq!(project["properties"]["status"], "completed", "{project}");
    // The same through WFS-T: a unit reserved, by its feature id.
    let xml = format!(
        r#"<wfs:Transaction xmlns:wfs="http://www.opengis.net/wfs" xmlns:ogc="http://www.opengis.net/ogc" service="WFS" version="1.1.0">
          <wfs:Update typeName="dc:units"><wfs:Property><wfs:Name>status</wfs:Name><wfs:Value>reserved</wfs:Value></wfs:Property>
            <ogc:Filter><ogc:FeatureId fid="units.{unit}"/></ogc:Filter></wfs:Update></wfs:Transaction>"#
    );
    let resp =
        app.http.post(format!("{}/wfs", app.base)).basic_auth("dangky", Some(PASSWORD)).body(xml).send().await.unwrap();
    let body = resp.text().await.unwrap();
    assert!(body.contains("<wfs:totalUpdated>1</wfs:totalUpdated>"), "{body}");
    assert_eq!(text(&app, "SELECT status FROM units WHERE product_id = $1", &unit).await, "reserved");
    // A project its units name cannot go.
    let got = send(app.http.delete(item("projects", "DA05443")).basic_auth("dangky", Some(PASSWORD))).await;
    assert_eq!((got.status, message(&got).contains("other data names it")), (409, true), "{}", got.body);

    // A digital address added at a parcel of the scope, then deleted.
    let parcel = first_parcel(&app, "05443", 0).await;
    let (lon, lat) = point_in(&app, &parcel).await;
    let address = json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [lon, lat] },
        "properties": { "address_code": "DC0544300001", "commune": "05443", "parcel": parcel, "street": "Đường Mới", "house_no": "12" } });
    let post = |body: Value| {
        let req = app
            .http
            .post(format!("{}/ogc/collections/addresses/items", app.base))
            .basic_auth("dangky", Some(PASSWORD))
            .header("content-type", "application/geo+json")
            .json(&body);
        send(req)
    };
    let mut wrong = address.clone();
    wrong["properties"]["commune"] = json!("99999");
    let got = post(wrong).await;
    assert_eq!((got.status, message(&got).contains("not a 2025 commune")), (422, true), "{}", got.body);
    let got = post(address).await;
    assert_eq!(got.status, 201, "{}", got.body);
    assert!(got.headers["location"].to_str().unwrap().ends_with("/ogc/collections/addresses/items/DC0544300001"));
    let (status, feature) = app.get("/ogc/collections/addresses/items/DC0544300001").await;
    assert_eq!((status, feature["properties"]["street"].as_str()), (200, Some("Đường Mới")), "{feature}");
    let got = send(app.http.delete(item("addresses", "DC0544300001")).basic_auth("dangky", Some(PASSWORD))).await;
    assert_eq!(got.status, 204, "{}", got.body);
    assert_eq!(app.db.count("SELECT count(*) FROM addresses WHERE code = 'DC0544300001'").await, 0);
    let audited = app
        .db
        .count("SELECT count(*) FROM audit.entries WHERE actor = 'account:dangky' AND action = 'edit map data'")
        .await;
    assert_eq!(audited, 6, "three patches, a transaction, one address added and deleted");
}

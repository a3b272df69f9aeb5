//! WFS 2.0 at /wfs, checked against PostGIS and with GDAL's and OWSLib's own WFS clients.

use crate::common;

use std::collections::BTreeSet;
use std::process::Command;

use common::{Content, TestApp};
use serde_json::Value;

const W: &str = "/wfs?service=WFS&version=2.0.0";

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The value of `attr="…"` in the first element that has it.
fn attr(xml: &str, attr: &str) -> String {
    let start = xml.find(&format!("{attr}=\"")).unwrap_or_else(|| panic!("no {attr} in {xml}")) + attr.len() + 2;
    xml[start..].split('"').next().unwrap().to_owned()
}

/// The first two numbers of the first posList.
fn first_position(xml: &str) -> (f64, f64) {
    let start = xml.find("<gml:posList>").unwrap_or_else(|| panic!("no posList in {xml}")) + 13;
    let mut n = xml[start..]
        .split_whitespace()
        .map(|v| v.trim_end_matches(|c: char| !c.is_ascii_digit()).parse::<f64>().unwrap());
    (n.next().unwrap(), n.next().unwrap())
}

/// `gml:id`s of the features of a GetFeature response.
fn feature_ids(xml: &str) -> BTreeSet<String> {
    xml.split("<wfs:member><dc:parcels gml:id=\"parcels.")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn gdal_reads_every_type_typed_pages_and_filters_on_the_server() {
    let app = TestApp::spawn(Content::Samples).await;
    let url = format!("WFS:{}/wfs", app.base);
    let listing = common::gdal("ogrinfo", &["-ro", "-so", &url]).await;
    for layer in common::LAYERS {
        assert!(listing.contains(&format!(": dc:{layer} (")), "{listing}");
    }
    let current = app.db.count("SELECT count(*) FROM parcels WHERE valid_to IS NULL").await;
    let summary = common::gdal("ogrinfo", &["-ro", "-so", &url, "dc:parcels"]).await;
    assert!(summary.contains(&format!("Feature Count: {current}")), "{summary}");
    // The schema is typed, so GDAL keeps legacy keys as strings (its GeoJSON reading takes
    // `05443-1-1` for a date).
    assert!(summary.contains("legacy_key: String") && summary.contains("legal_area_m2: Real"), "{summary}");

    // ogr2ogr pages through more than 1,000 features (CountDefault) and keeps every value.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("parcels.csv");
    common::gdal("ogr2ogr", &["-f", "CSV", out.to_str().unwrap(), &url, "dc:parcels"]).await;
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.lines().count() as i64, current + 1, "a header and every parcel once");
    let keys: BTreeSet<String> = sqlx::query_scalar(
        "SELECT commune_code_recorded || '-' || sheet || '-' || parcel_no FROM parcels WHERE valid_to IS NULL",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "legacy_key").unwrap();
    let got: BTreeSet<String> = csv.lines().skip(1).map(|l| l.split(',').nth(col).unwrap().to_owned()).collect();
    assert_eq!(got, keys);

    let [w, s, e, n] = common::TEST_BOX.map(|v| v.to_string());
    let in_box = common::gdal("ogrinfo", &["-ro", "-so", &url, "dc:parcels", "-spat", &w, &s, &e, &n]).await;
    let expected = common::parcels_in_test_box(&app).await;
    assert!(in_box.contains(&format!("Feature Count: {expected}")), "{in_box}");

    let want = app
        .db
        .count("SELECT count(*) FROM parcels WHERE valid_to IS NULL AND land_use[1] = 'ODT' AND legal_area_m2 > 300")
        .await;
    let mut cmd = Command::new("ogrinfo");
    cmd.args(["-ro", "-so", &url, "dc:parcels", "-where", "land_use_main = 'ODT' AND legal_area_m2 > 300"]);
    cmd.env("CPL_DEBUG", "ON");
    let said = common::text(&common::run_beside(cmd).await);
    assert!(said.contains(&format!("Feature Count: {want}")), "{said}");
    assert!(said.contains("FILTER=%3CFilter"), "GDAL sent the filter to the server: {said}");
}

#[tokio::test]
async fn owslib_reads_capabilities_a_bbox_page_and_a_feature_by_id() {
    let app = TestApp::spawn(Content::Samples).await;
    let out = common::python("owslib_wfs.py", &[&format!("{}/wfs", app.base), &common::test_box()]).await;
    let seen: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(seen["title"], "diachinh WFS");
    let types: Vec<&str> = seen["types"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(types, common::LAYERS.map(|l| format!("dc:{l}")));
    assert!(seen["operations"].as_array().unwrap().iter().any(|o| o == "GetPropertyValue"));
    let [w, s, e, n] = common::TEST_BOX;
    let want =
        common::parcels_where(&app, &format!("ST_Intersects(p.geom, ST_MakeEnvelope({w}, {s}, {e}, {n}, 4326))")).await;
    assert_eq!(seen["matched"].as_i64(), Some(want.len() as i64));
    assert_eq!(seen["ids"], serde_json::json!(want));
    assert_eq!(seen["gml_has_first"], true);
}

#[tokio::test]
async fn get_feature_answers_filters_axis_orders_paging_and_stored_queries() {
    let app = TestApp::spawn(Content::Samples).await;
    let caps = app.get_text_owned(format!("{W}&request=GetCapabilities")).await;
    for needle in [
        "ImplementsResultPaging",
        "CountDefault",
        "fes:ResourceIdentifier",
        "<Name>dc:parcels</Name>",
        "PropertyIsLike",
    ] {
        assert!(caps.contains(needle), "{needle}");
    }
    let xsd = app.get_text_owned(format!("{W}&request=DescribeFeatureType&typenames=dc:parcels")).await;
    assert!(
        xsd.contains(r#"name="legal_area_m2" type="xsd:double""#) && xsd.contains("gml:MultiSurfacePropertyType"),
        "{xsd}"
    );

    // A FES polygon in latitude-first EPSG:4326 selects what PostGIS selects.
    let [w, s, e, n] = common::TEST_BOX;
    let filter = format!(
        r#"<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0" xmlns:gml="http://www.opengis.net/gml/3.2"><fes:And><fes:Within><fes:ValueReference>geometry</fes:ValueReference><gml:Polygon gml:id="p" srsName="urn:ogc:def:crs:EPSG::4326"><gml:exterior><gml:LinearRing><gml:posList>{s} {w} {s} {e} {n} {e} {n} {w} {s} {w}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></fes:Within><fes:PropertyIsLike wildCard="*" singleChar="?" escapeChar="\"><fes:ValueReference>dc:legacy_key</fes:ValueReference><fes:Literal>05443-*</fes:Literal></fes:PropertyIsLike></fes:And></fes:Filter>"#
    );
    let xml = app.get_text_owned(format!("{W}&request=GetFeature&typenames=dc:parcels&filter={}", enc(&filter))).await;
    let want = common::parcels_where(
        &app,
        &format!("p.commune_code_recorded = '05443' AND ST_Within(p.geom, ST_MakeEnvelope({w}, {s}, {e}, {n}, 4326))"),
    )
    .await;
    assert!(!want.is_empty());
    assert_eq!(feature_ids(&xml), want);
    assert_eq!(attr(&xml, "numberMatched"), want.len().to_string());

    // Axis order: EPSG:4326 is longitude first, the URN and URI forms latitude first.
    let id = want.iter().next().unwrap();
    let by_id =
        |srs: &str| format!("{W}&request=GetFeature&typenames=dc:parcels&resourceid=parcels.{id}&srsname={}", enc(srs));
    let (lon, lat) = first_position(&app.get_text_owned(by_id("EPSG:4326")).await);
    assert!((100.0..110.0).contains(&lon) && (8.0..24.0).contains(&lat));
    for lat_first in ["urn:ogc:def:crs:EPSG::4326", "http://www.opengis.net/def/crs/EPSG/0/4326"] {
        assert_eq!(first_position(&app.get_text_owned(by_id(lat_first)).await), (lat, lon), "{lat_first}");
    }
    let (x, y) = first_position(&app.get_text_owned(by_id("urn:ogc:def:crs:EPSG::9213")).await);
    let (cx, cy) = common::cs2cs("EPSG:4326", "EPSG:9213", lat, lon);
    assert!((x - cx).abs() < 0.01 && (y - cy).abs() < 0.01, "({x}, {y}) vs cs2cs ({cx}, {cy})");
    // BBOX without a CRS is in the default, latitude-first CRS.
    let bbox = format!("{s},{w},{n},{e}");
    let hits =
        app.get_text_owned(format!("{W}&request=GetFeature&typenames=dc:parcels&resulttype=hits&bbox={bbox}")).await;
    assert_eq!(attr(&hits, "numberMatched"), common::parcels_in_test_box(&app).await.to_string());
    assert_eq!(attr(&hits, "numberReturned"), "0");

    // Paging in a stable order: pages of 1,000 by STARTINDEX give each parcel once.
    let current = app.db.count("SELECT count(*) FROM parcels WHERE valid_to IS NULL").await;
    let mut seen = BTreeSet::new();
    let mut next = Some(format!("{}{W}&REQUEST=GetFeature&TYPENAMES=dc:parcels&COUNT=1000&vendor=ignored", app.base));
    while let Some(url) = next {
        let page = app.get_text_owned(url.strip_prefix(&app.base).unwrap().replace("&amp;", "&")).await;
        seen.extend(feature_ids(&page));
        next = page.find("next=\"").map(|_| attr(&page, "next").replace("&amp;", "&"));
    }
    assert_eq!(seen.len() as i64, current);

    // Sorted values, GeoJSON, stored queries.
    let values = app
        .get_text_owned(format!("{W}&request=GetPropertyValue&typenames=dc:parcels&valuereference=legal_area_m2&sortby=legal_area_m2%20DESC&count=3"))
        .await;
    let top: Vec<f64> =
        sqlx::query_scalar("SELECT legal_area_m2::float8 FROM parcels WHERE valid_to IS NULL ORDER BY 1 DESC LIMIT 3")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    let got: Vec<f64> =
        values.split("<dc:legal_area_m2>").skip(1).map(|v| v.split('<').next().unwrap().parse().unwrap()).collect();
    assert_eq!(got, top);
    let (_, json) =
        app.get(&format!("{W}&request=GetFeature&typenames=parcels&count=5&outputFormat=application/json")).await;
    assert_eq!((json["numberReturned"].as_i64(), json["numberMatched"].as_i64()), (Some(5), Some(current)));
    let stored = app.get_text_owned(format!("{W}&request=ListStoredQueries")).await;
    assert!(stored.contains("urn:ogc:def:query:OGC-WFS::GetFeatureById"));
    let described = app.get_text_owned(format!("{W}&request=DescribeStoredQueries")).await;
    assert!(described.contains(r#"<wfs:Parameter name="ID" type="xsd:string"/>"#));
    let one = app
        .get_text_owned(format!(
            "{W}&request=GetFeature&storedquery_id=urn:ogc:def:query:OGC-WFS::GetFeatureById&id=parcels.{id}"
        ))
        .await;
    assert!(one.contains(&format!(
        r#"<dc:parcels xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:dc="urn:diachinh" gml:id="parcels.{id}">"#
    )));

    // No type carries personal data.
    let secrets = common::personal_data(&app.db.pool).await;
    let mut all = String::new();
    for t in common::LAYERS {
        for start in (0..4000).step_by(1000) {
            all.push_str(
                &app.get_text_owned(format!("{W}&request=GetFeature&typenames=dc:{t}&startindex={start}")).await,
            );
        }
    }
    assert!(all.contains("household"));
    common::assert_none_of(&secrets, all.as_bytes());
}

#[tokio::test]
async fn bad_requests_get_ows_exception_reports() {
    let app = TestApp::spawn(Content::Samples).await;
    let deep = format!(
        r#"<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0">{}<fes:PropertyIsNull><fes:ValueReference>address</fes:ValueReference></fes:PropertyIsNull>{}</fes:Filter>"#,
        "<fes:Not>".repeat(100),
        "</fes:Not>".repeat(100)
    );
    let holder = r#"<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo><fes:ValueReference>holder_name</fes:ValueReference><fes:Literal>x</fes:Literal></fes:PropertyIsEqualTo></fes:Filter>"#;
    let not_number = r#"<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsGreaterThan><fes:ValueReference>legal_area_m2</fes:ValueReference><fes:Literal>1; DROP TABLE parcels</fes:Literal></fes:PropertyIsGreaterThan></fes:Filter>"#;
    let gf = format!("{W}&request=GetFeature&typenames=dc:parcels");
    let cases = [
        (format!("{gf}&filter={}", enc("<fes:Filter")), 400, "InvalidParameterValue", "not well-formed XML"),
        (format!("{gf}&filter={}", enc(&deep)), 400, "InvalidParameterValue", "too large"),
        (format!("{gf}&filter={}", enc(holder)), 400, "InvalidParameterValue", "`holder_name` is not a queryable"),
        (format!("{gf}&filter={}", enc(not_number)), 400, "InvalidParameterValue", "is not a number"),
        (
            format!("{W}&request=GetFeature&typenames=dc:nope"),
            400,
            "InvalidParameterValue",
            "no feature type `dc:nope`",
        ),
        (format!("{W}&request=GetFeature"), 400, "MissingParameterValue", "typenames is required"),
        (format!("{W}&request=Transaction"), 400, "OperationNotSupported", "request `transaction` is not offered"),
        (
            "/wfs?service=WFS&version=1.1.0&request=GetFeature&typename=parcels".into(),
            400,
            "InvalidParameterValue",
            "version `1.1.0`",
        ),
        (format!("{gf}&srsname=EPSG:2154"), 400, "InvalidParameterValue", "is not offered"),
        (format!("{gf}&startindex=-1"), 400, "InvalidParameterValue", "startindex `-1`"),
        (format!("{gf}&sortby=holder_name"), 400, "InvalidParameterValue", "`holder_name` is not a property"),
        (format!("{gf}&outputformat=shape-zip-2"), 400, "InvalidParameterValue", "outputFormat `shape-zip-2`"),
        (
            format!(
                "{W}&request=GetFeature&storedquery_id=urn:ogc:def:query:OGC-WFS::GetFeatureById&id=parcels.zzzzzzzzzzzz"
            ),
            404,
            "NotFound",
            "no feature `parcels.zzzzzzzzzzzz`",
        ),
    ];
    let before = app.db.fingerprint().await;
    for (path, status, code, text) in &cases {
        let (got, body) = app.get_text(path).await;
        assert_eq!(got, *status, "{path}: {body}");
        assert!(
            body.contains("<ows:ExceptionReport") && body.contains(&format!("exceptionCode=\"{code}\"")),
            "{path}: {body}"
        );
        assert!(body.contains(text), "{path}: {body}");
    }
    assert_eq!(app.db.fingerprint().await, before);
}

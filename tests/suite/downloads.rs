//! Downloads (GeoPackage, zipped Shapefile, KML, CSV, FlatGeobuf) from OGC API and WFS, read
//! back with GDAL and checked against PostGIS.

use crate::common;

use std::collections::BTreeSet;

use common::{Content, TestApp};
use serde_json::Value;

/// Downloads `path` into `dir` as `name`; returns the file's path and the response's headers.
async fn download(
    app: &TestApp,
    path: &str,
    dir: &tempfile::TempDir,
    name: &str,
) -> (String, reqwest::header::HeaderMap) {
    let resp = app.get_with(path, &[]).await;
    assert_eq!(resp.status(), 200, "{path}");
    let headers = resp.headers().clone();
    let file = dir.path().join(name);
    std::fs::write(&file, resp.bytes().await.unwrap()).unwrap();
    (file.to_str().unwrap().to_owned(), headers)
}

/// A downloaded file read by GDAL as GeoJSON, and what ogrinfo says of it.
async fn read_back(file: &str, dir: &tempfile::TempDir) -> (Value, String) {
    let source = if file.ends_with(".zip") { format!("/vsizip/{file}") } else { file.to_owned() };
    let out = dir.path().join(format!("{}.geojson", file.rsplit('/').next().unwrap()));
    common::gdal("ogr2ogr", &["-f", "GeoJSON", out.to_str().unwrap(), &source]).await;
    let info = common::gdal("ogrinfo", &["-ro", "-so", "-al", &source]).await;
    (serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap(), info)
}

#[tokio::test]
async fn every_format_holds_the_filtered_features_in_the_crs_asked() {
    let app = TestApp::spawn(Content::Samples).await;
    let dir = tempfile::tempdir().unwrap();
    let want = common::parcels_where(&app, "p.legal_area_m2 > 300 AND p.land_use[1] = 'ODT'").await;
    assert!(want.len() > 1000, "more than one page of features");
    let filter = "filter=legal_area_m2%20%3E%20300%20AND%20land_use_main%20%3D%20%27ODT%27";
    let vn = "http://www.opengis.net/def/crs/EPSG/0/9213";
    let secrets = common::personal_data(&app.db.pool).await;
    for (f, name, media, crs) in [
        ("gpkg", "parcels.gpkg", "application/geopackage+sqlite3", Some(9213)),
        ("shp", "parcels.shp.zip", "application/zip", Some(9213)),
        ("fgb", "parcels.fgb", "application/flatgeobuf", Some(9213)),
        ("csv", "parcels.csv", "text/csv; charset=utf-8", None),
        ("kml", "parcels.kml", "application/vnd.google-earth.kml+xml", Some(4326)),
    ] {
        let asked = if f == "kml" { String::new() } else { format!("&crs={vn}") };
        let (file, headers) =
            download(&app, &format!("/ogc/collections/parcels/items?f={f}&{filter}{asked}"), &dir, name).await;
        assert_eq!(headers["content-type"], media);
        assert_eq!(headers["content-disposition"], format!("attachment; filename=\"{name}\""));
        let (fc, info) = read_back(&file, &dir).await;
        let ids: BTreeSet<String> = fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["parcel_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, want, "{f}");
        if let Some(code) = crs {
            assert!(info.contains(&format!("ID[\"EPSG\",{code}]")), "{f}: {info}");
        }
        common::assert_none_of(&secrets, fc.to_string().as_bytes());
    }

    // Coordinates are in the CRS asked, easting first: a parcel's corner as cs2cs puts it.
    let (file, _) = download(
        &app,
        &format!("/ogc/collections/parcels/items?f=fgb&crs={vn}&parcel_id=w7g6b61hne87"),
        &dir,
        "one.fgb",
    )
    .await;
    let (fc, _) = read_back(&file, &dir).await;
    let corner = &fc["features"][0]["geometry"]["coordinates"][0][0][0];
    let (_, wgs84) = app.get("/ogc/collections/parcels/items/w7g6b61hne87").await;
    let c = &wgs84["geometry"]["coordinates"][0][0][0];
    let (e, n) = common::cs2cs("EPSG:4326", "EPSG:9213", c[1].as_f64().unwrap(), c[0].as_f64().unwrap());
    assert!(
        (corner[0].as_f64().unwrap() - e).abs() < 0.01 && (corner[1].as_f64().unwrap() - n).abs() < 0.01,
        "{corner} vs ({e}, {n})"
    );

    // The same through WFS.
    let (file, _) = download(
        &app,
        "/wfs?service=WFS&version=2.0.0&request=GetFeature&typenames=dc:projects&outputFormat=application/geopackage%2Bsqlite3",
        &dir,
        "projects.gpkg",
    )
    .await;
    let (fc, _) = read_back(&file, &dir).await;
    assert_eq!(fc["features"].as_array().unwrap().len() as i64, app.db.count("SELECT count(*) FROM projects").await);

    app.expect_errors(&[
        ("/ogc/collections/units/items?f=shp", 400, "units mixes geometry types and a Shapefile holds one"),
        (&format!("/ogc/collections/parcels/items?f=kml&crs={vn}"), 400, "KML is always WGS 84"),
        ("/ogc/collections/parcels/items?f=xlsx", 400, "f `xlsx` is not offered"),
    ])
    .await;
}

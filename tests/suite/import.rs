//! `diachinh import parcels` as a land officer runs it, against a real PostGIS.

use crate::common;

use std::collections::BTreeMap;

use common::{Content, TestDb, ogr2ogr, samples_dir, text};

const TN: &str = "data-samples/thai-nguyen-05443.gpkg";
const HP: &str = "data-samples/hai-phong-11311.gpkg";
const DGN: &str = "data-samples/hai-phong-11311-sheet-90.dgn";
const MESSY: &str = "data-samples/messy-20248.geojson";

async fn ids_by_key(db: &TestDb) -> BTreeMap<String, String> {
    sqlx::query_as::<_, (String, String)>(
        "SELECT commune_code_recorded || '-' || sheet || '-' || parcel_no, parcel_id FROM parcels WHERE valid_to IS NULL",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

#[tokio::test]
async fn geopackage_loads_with_summary_and_personal_data_apart() {
    let db = TestDb::new(Content::Empty).await;
    let out = db.cli(&["import", "parcels", TN]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("imported 1661 parcels from 1661 features"), "{t}");
    assert!(t.contains("CRS EPSG:9213 → EPSG:4326"), "{t}");
    assert!(t.contains("extent 105.8"), "{t}");
    assert_eq!(
        db.count("SELECT count(*) FROM parcels WHERE commune_code = '05443' AND source_crs = 'EPSG:9213'").await,
        1661
    );
    // Holder names went to the personal schema, each to its own parcel (by the uid reserved for
    // it during the COPY), and the parcels table has nowhere to put one.
    let file = std::process::Command::new("ogr2ogr")
        .args(["-f", "CSV", "/vsistdout/", TN, "-sql"])
        .arg("SELECT MaXa, SoHieuToBanDo, SoThuTuThua, TenChu FROM thua_dat WHERE TenChu IS NOT NULL")
        .output()
        .unwrap();
    let mut in_file: Vec<String> =
        String::from_utf8(file.stdout).unwrap().lines().skip(1).map(|l| l.replace('"', "")).collect();
    let mut stored: Vec<String> = sqlx::query_scalar(
        "SELECT concat_ws(',', p.commune_code_recorded, p.sheet, p.parcel_no, h.name)
         FROM personal.recorded_holders h JOIN parcels p ON p.uid = h.parcel_uid AND p.import_id = h.import_id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    in_file.sort();
    stored.sort();
    assert!(in_file.len() > 1400, "{}", in_file.len());
    assert_eq!(stored, in_file);
    assert_eq!(
        db.count("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'parcels' AND column_name ~* 'holder|chu|name'").await,
        0
    );
    // Mixed uses were split into codes, and every parcel ID is unique and 12 characters.
    assert!(db.count("SELECT count(*) FROM parcels WHERE land_use = ARRAY['ODT','CLN']").await > 0);
    assert_eq!(db.count("SELECT count(DISTINCT parcel_id) FROM parcels WHERE length(parcel_id) = 12").await, 1661);
}

#[tokio::test]
async fn every_ogr_format_gives_the_same_parcels() {
    let reference = TestDb::new(Content::Empty).await;
    assert!(reference.cli(&["import", "parcels", TN]).status.success());
    let expected = ids_by_key(&reference).await;
    let dir = tempfile::tempdir().unwrap();
    let src = samples_dir().join("thai-nguyen-05443.gpkg");
    let shp = dir.path().join("to.shp");
    let gml = dir.path().join("to.gml");
    let csv = dir.path().join("to.csv");
    let json = dir.path().join("to.geojson");
    ogr2ogr(&shp, &src, &["-lco", "ENCODING=UTF-8"]);
    ogr2ogr(&gml, &src, &["-f", "GML", "-dsco", "FORMAT=GML3"]);
    ogr2ogr(&csv, &src, &["-f", "CSV", "-lco", "GEOMETRY=AS_WKT"]);
    ogr2ogr(&json, &src, &["-f", "GeoJSON", "-lco", "RFC7946=NO"]);
    for (file, extra) in [(&shp, vec![]), (&gml, vec![]), (&csv, vec!["--crs", "EPSG:9213"]), (&json, vec![])] {
        let db = TestDb::new(Content::Empty).await;
        let mut args = vec!["import", "parcels", file.to_str().unwrap()];
        args.extend(extra);
        let out = db.cli(&args);
        assert!(out.status.success(), "{}: {}", file.display(), text(&out));
        assert_eq!(ids_by_key(&db).await, expected, "{}", file.display());
    }
}

#[tokio::test]
async fn wgs84_input_takes_its_zone_from_the_province() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("tn-wgs84.geojson");
    ogr2ogr(&json, &samples_dir().join("thai-nguyen-05443.gpkg"), &["-f", "GeoJSON", "-t_srs", "EPSG:4326"]);
    let db = TestDb::new(Content::Empty).await;
    let out = db.cli(&["import", "parcels", json.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("CRS EPSG:4326"), "{}", text(&out));
    // The parcel ID of each parcel is that of its TM-3 twin, to within the GeoHash of a pole that
    // may sit anywhere on the ridge of a rectangular lot: compare the cells' position instead.
    let reference = TestDb::new(Content::Empty).await;
    assert!(reference.cli(&["import", "parcels", TN]).status.success());
    let (a, b) = (ids_by_key(&db).await, ids_by_key(&reference).await);
    assert_eq!(a.len(), 1661);
    for (key, id) in &a {
        let (pa, pb) = (geohash::decode(id).unwrap().0, geohash::decode(&b[key]).unwrap().0);
        let metres = ((pa.x - pb.x) * 103_500.0).hypot((pa.y - pb.y) * 110_700.0);
        assert!(metres < 15.0, "{key}: {id} vs {} are {metres:.2} m apart", b[key]);
    }
    // A commune code in neither list takes the zone of where the parcels lie; --zone overrides.
    let messy_wgs = dir.path().join("messy-wgs84.geojson");
    ogr2ogr(&messy_wgs, &samples_dir().join("messy-20248.geojson"), &["-f", "GeoJSON", "-t_srs", "EPSG:4326"]);
    let skip_all = ["import", "parcels", messy_wgs.to_str().unwrap(), "--on-invalid", "skip", "--on-duplicate", "skip"];
    let out = TestDb::new(Content::Empty).await.cli(&skip_all);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("the zone of the parcel's location"), "{}", text(&out));
    let out = TestDb::new(Content::Empty).await.cli(&[&skip_all[..], &["--zone", "EPSG:9210"]].concat());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("computed in EPSG:9210, the zone of given with --zone"), "{}", text(&out));
    // Parcels outside Vietnam are refused: the CRS is wrong, or the data is not of Vietnam.
    let far = dir.path().join("far.geojson");
    std::fs::write(&far, parcels_geojson(&[("99999", 2.35, 48.85)])).unwrap();
    let out = TestDb::new(Content::Empty).await.cli(&["import", "parcels", far.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out).contains("outside Vietnam (102–118°E, 6–23.5°N)"), "{}", text(&out));
}

/// A WGS84 GeoJSON of a block of 6 parcels (20 x 25 m) per `(commune code, lon, lat)`.
pub fn parcels_geojson(blocks: &[(&str, f64, f64)]) -> String {
    let (dx, dy) = (20.0 / 104_000.0, 25.0 / 110_700.0);
    let mut features = Vec::new();
    for (commune, lon, lat) in blocks {
        for i in 0..6 {
            let (x, y) = (lon + (i % 3) as f64 * dx, lat + (i / 3) as f64 * dy);
            let ring = [[x, y], [x + dx, y], [x + dx, y + dy], [x, y + dy], [x, y]];
            features.push(serde_json::json!({
                "type": "Feature",
                "properties": { "MaXa": commune, "SoHieuToBanDo": "7", "SoThuTuThua": 10 + i, "KyHieuMucDichSuDung": "ONT", "DienTich": 500.0 },
                "geometry": { "type": "Polygon", "coordinates": [ring] },
            }));
        }
    }
    serde_json::json!({ "type": "FeatureCollection", "features": features }).to_string()
}

#[tokio::test]
async fn pre_reform_wgs84_data_takes_its_former_provinces_zones() {
    let db = TestDb::new(Content::Empty).await;
    // A pre-reform commune code of each former province (not reused by the 2025 list), its zone.
    let former = |province: &'static str| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_as::<_, (String, i32)>(
                "SELECT f.code, fp.tm3_epsg FROM former_communes f JOIN former_provinces fp ON fp.code = f.former_province_code
                 WHERE fp.code = $1 AND NOT EXISTS (SELECT 1 FROM communes c WHERE c.code = f.code) ORDER BY f.code LIMIT 1",
            )
            .bind(province)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    // Hà Giang and Hải Dương (105°30'), Gia Lai (108°30'), Bạc Liêu (105°00').
    let (ha_giang, hai_duong, gia_lai, bac_lieu) =
        (former("02").await, former("30").await, former("64").await, former("95").await);
    assert_eq!((ha_giang.1, hai_duong.1, gia_lai.1, bac_lieu.1), (9209, 9209, 9218, 5897));
    let dir = tempfile::tempdir().unwrap();
    let north = dir.path().join("north.geojson");
    let south = dir.path().join("south.geojson");
    std::fs::write(&north, parcels_geojson(&[(&ha_giang.0, 104.98, 22.82), (&hai_duong.0, 106.31, 20.94)])).unwrap();
    // 99999 is in neither list: at 105°51' in Hà Nội, the nearest meridian of the zones whose
    // area holds it is 105°45'.
    std::fs::write(
        &south,
        parcels_geojson(&[(&gia_lai.0, 108.0, 13.98), (&bac_lieu.0, 105.72, 9.29), ("99999", 105.85, 21.03)]),
    )
    .unwrap();
    let out = db.cli(&["import", "parcels", north.to_str().unwrap(), south.to_str().unwrap()]);
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    for line in [
        "north.geojson: note — parcel IDs of 12 parcel(s) computed in EPSG:9209, the zone of the pre-reform commune's former province",
        "south.geojson: note — parcel IDs of 6 parcel(s) computed in EPSG:9218, the zone of the pre-reform commune's former province",
        "south.geojson: note — parcel IDs of 6 parcel(s) computed in EPSG:5897, the zone of the pre-reform commune's former province",
        "south.geojson: note — parcel IDs of 6 parcel(s) computed in EPSG:9210, the zone of the parcel's location",
    ] {
        assert!(said.contains(line), "{line}\n{said}");
    }
    // Each parcel's ID is the one --zone gives with its former province's zone.
    let ids = ids_by_key(&db).await;
    assert_eq!(ids.len(), 30);
    for (code, epsg, lon, lat) in
        [(&ha_giang.0, 9209, 104.98, 22.82), (&gia_lai.0, 9218, 108.0, 13.98), (&bac_lieu.0, 5897, 105.72, 9.29)]
    {
        let one = dir.path().join(format!("{code}.geojson"));
        std::fs::write(&one, parcels_geojson(&[(code, lon, lat)])).unwrap();
        let reference = TestDb::new(Content::Empty).await;
        let out = reference.cli(&["import", "parcels", one.to_str().unwrap(), "--zone", &format!("EPSG:{epsg}")]);
        assert!(out.status.success(), "{}", text(&out));
        for (key, id) in ids_by_key(&reference).await {
            assert_eq!(ids[&key], id, "{key}");
        }
    }
    // The parcels' communes are unknown, so the admin collection outlines them by the code
    // recorded, in the 2025 province the former one is now part of.
    let app = common::TestApp::spawn(Content::Empty).await;
    let out = app.db.cli_beside_server(&["import", "parcels", north.to_str().unwrap(), south.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", text(&out));
    let mut expected = vec![
        (ha_giang.0.clone(), "pre-reform".into(), "08".into(), 6),
        (hai_duong.0.clone(), "pre-reform".into(), "31".into(), 6),
        (gia_lai.0.clone(), "pre-reform".into(), "52".into(), 6),
        (bac_lieu.0.clone(), "pre-reform".into(), "96".into(), 6),
        ("99999".into(), "unknown".into(), "-".into(), 6),
    ];
    expected.sort();
    // Another process's import reaches the service's layers through the change feed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, page) = app.get("/ogc/collections/admin/items?kind=commune&limit=100").await;
        assert_eq!(status, 200, "{page}");
        let mut outlines: Vec<(String, String, String, i64)> = page["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let p = &f["properties"];
                let text = |k: &str| p[k].as_str().unwrap_or("-").to_owned();
                (text("code"), text("code_list"), text("province_code"), p["parcels"].as_i64().unwrap())
            })
            .collect();
        outlines.sort();
        if outlines == expected || std::time::Instant::now() > deadline {
            assert_eq!(outlines, expected);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn dgn_sheet_needs_crs_and_takes_labels_inside_shapes() {
    let db = TestDb::new(Content::Empty).await;
    let before = db.fingerprint().await;
    let out = db.cli(&["import", "parcels", DGN]);
    assert!(!out.status.success());
    assert!(text(&out).contains("has no CRS in its metadata; give one with --crs"), "{}", text(&out));
    assert_eq!(db.fingerprint().await, before);

    let out =
        db.cli(&["import", "parcels", DGN, "--crs", "EPSG:9210", "--set", "MaXa=11311", "--set", "SoHieuToBanDo=90"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(db.count("SELECT count(*) FROM parcels WHERE sheet = '90' AND commune_code = '11311'").await, 210);
    // Labels gave each shape a number, a land use and a legal area within 1.5% of its own area
    // (plus the TM-3 scale error; PostGIS's own spatial_ref_sys has no VN-2000 TM-3 zones).
    assert_eq!(db.count("SELECT count(DISTINCT parcel_no) FROM parcels").await, 210);
    assert_eq!(
        db.count("SELECT count(*) FROM parcels WHERE abs(legal_area_m2 / ST_Area(geom::geography) - 1) < 0.017").await,
        210
    );
    // --meridian builds the same zone.
    let db2 = TestDb::new(Content::Empty).await;
    let out = db2.cli(&[
        "import",
        "parcels",
        DGN,
        "--meridian",
        "105°45'",
        "--set",
        "MaXa=11311",
        "--set",
        "SoHieuToBanDo=90",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(ids_by_key(&db2).await, ids_by_key(&db).await);
}

#[tokio::test]
async fn messy_export_is_refused_by_default_and_nothing_is_written() {
    let db = TestDb::new(Content::Empty).await;
    let before = db.fingerprint().await;
    let out = db.cli(&["import", "parcels", MESSY]);
    let t = text(&out);
    assert!(!out.status.success());
    assert!(t.contains("import refused, nothing was written"), "{t}");
    for expected in [
        "20248-1-150 (messy-20248.geojson feature 38): rejected — invalid polygon",
        "20248-1-151 (messy-20248.geojson feature 39): rejected — no geometry",
        "20248-1-152 (messy-20248.geojson feature 40): rejected — geometry is a LINESTRING",
        "messy-20248.geojson feature 41: rejected — missing key field SoThuTuThua",
        "20248-1-149 (messy-20248.geojson feature 37): rejected — shares its legacy key with messy-20248.geojson feature 36",
    ] {
        assert!(t.contains(expected), "missing `{expected}` in:\n{t}");
    }
    assert_eq!(db.fingerprint().await, before);
}

#[tokio::test]
async fn messy_export_loads_in_one_go_with_policies() {
    let db = TestDb::new(Content::Empty).await;
    let out = db.cli(&["import", "parcels", MESSY, "--on-invalid", "repair", "--on-duplicate", "merge"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("20248-1-150 (messy-20248.geojson feature 38): repaired — invalid polygon"), "{t}");
    assert!(t.contains("20248-1-151 (messy-20248.geojson feature 39): skipped — no geometry"), "{t}");
    assert!(t.contains("messy-20248.geojson feature 41: skipped — missing key field SoThuTuThua"), "{t}");
    assert!(t.contains("20248-1-149: merged — 2 features"), "{t}");
    assert!(
        t.contains("commune 20248: warning — 38 parcel(s) carry commune code 20248, which is not in the 2025 list"),
        "{t}"
    );
    assert!(t.contains("imported 38 parcels from 42 features"), "{t}");
    let (uses, area, polys): (Vec<String>, f64, i32) = sqlx::query_as(
        "SELECT land_use, legal_area_m2, ST_NumGeometries(geom) FROM parcels WHERE sheet = '1' AND parcel_no = 149",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!((uses, area, polys), (vec!["ONT".to_owned(), "LNK".to_owned()], 300.0, 1));
    // The pre-reform code is kept as recorded; the current commune is unknown.
    assert_eq!(
        db.count("SELECT count(*) FROM parcels WHERE commune_code_recorded = '20248' AND commune_code IS NULL").await,
        38
    );
    // The import's report is kept with it.
    assert_eq!(db.count("SELECT jsonb_array_length(report)::bigint FROM imports").await, 6);

    // skip drops the later duplicate and the unloadable features alike.
    let db = TestDb::new(Content::Empty).await;
    let out = db.cli(&["import", "parcels", MESSY, "--on-invalid", "skip", "--on-duplicate", "skip"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("imported 37 parcels"), "{}", text(&out));
}

#[tokio::test]
async fn parcels_already_in_the_database_are_refused_or_skipped() {
    let db = TestDb::new(Content::Empty).await;
    assert!(db.cli(&["import", "parcels", HP]).status.success());
    let before = db.fingerprint().await;
    let out = db.cli(&["import", "parcels", HP]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("11311-1-1: rejected — its legacy key is already held by current parcel"),
        "{}",
        text(&out)
    );
    assert_eq!(db.fingerprint().await, before);
    let out = db.cli(&["import", "parcels", HP, "--on-duplicate", "skip"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("imported 0 parcels from 1394 features"), "{}", text(&out));
    assert_eq!(db.fingerprint().await.0, before.0);
    // The same shapes under other sheets: new legacy keys, but parcel IDs current parcels hold.
    // The import streams them until the database refuses one, then reports them all.
    let dir = tempfile::tempdir().unwrap();
    let moved = dir.path().join("resheeted.gpkg");
    ogr2ogr(&moved, std::path::Path::new(HP), &[]);
    let sql = "UPDATE thua_dat SET SoHieuToBanDo = SoHieuToBanDo || 'b'";
    let updated = std::process::Command::new("ogrinfo").args([moved.to_str().unwrap(), "-sql", sql]).output().unwrap();
    assert!(updated.status.success(), "{}", text(&updated));
    let out = db.cli(&["import", "parcels", moved.to_str().unwrap(), "--on-duplicate", "skip"]);
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("imported 0 parcels from 1394 features"), "{said}");
    assert!(said.contains("1b-1: skipped — its parcel ID is already held by current parcel 11311-1-1"), "{said}");
    let out = db.cli(&["import", "parcels", moved.to_str().unwrap(), "--on-duplicate", "reject"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("its parcel ID is already held by current parcel"), "{}", text(&out));
    assert_eq!(db.fingerprint().await.0, before.0);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_changes_nothing() {
    let db = TestDb::new(Content::Empty).await;
    let dir = tempfile::tempdir().unwrap();
    let unknown_code = dir.path().join("bad-code.geojson");
    std::fs::write(
        &unknown_code,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"MaXa":"05443","SoHieuToBanDo":"3","SoThuTuThua":7,"KyHieuMucDichSuDung":"XYZ"},
            "geometry":{"type":"Polygon","coordinates":[[[105.83,21.59],[105.8301,21.59],[105.8301,21.5901],[105.83,21.5901],[105.83,21.59]]]}}]}"#,
    )
    .unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["import", "parcels", unknown_code.to_str().unwrap()], "unknown land-use code `XYZ`"),
        (vec!["import", "parcels", "no-such-file.gpkg"], "GDAL cannot open it"),
        (vec!["import", "parcels", TN, "--crs", "EPSG:abc"], "`EPSG:abc` is not a CRS"),
        (vec!["import", "parcels", TN, "--meridian", "12"], "central meridian `12`"),
        (vec!["import", "parcels", TN, "--zone", "EPSG:4326"], "not a VN-2000 TM-3 zone"),
        (vec!["import", "parcels", TN, "--field", "nothing=X"], "unknown field `nothing`"),
        (vec!["import", "parcels", TN, "--on-invalid", "maybe"], "invalid value 'maybe'"),
        (vec!["import", "parcels", TN, "--layer", "nope"], "has no layer named `nope`"),
    ];
    let before = db.fingerprint().await;
    for (args, message) in cases {
        let out = db.cli(&args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(text(&out).contains(message), "{args:?}: expected `{message}` in:\n{}", text(&out));
        assert_eq!(db.fingerprint().await, before, "{args:?} changed the database");
    }
}

#[tokio::test]
async fn dry_run_reports_and_writes_nothing() {
    let db = TestDb::new(Content::Empty).await;
    let before = db.fingerprint().await;
    let out = db.cli(&["import", "parcels", TN, "--dry-run"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("dry run, nothing written: would import 1661 parcels"), "{}", text(&out));
    assert_eq!(db.fingerprint().await, before);
}

#[tokio::test]
async fn help_speaks_to_a_land_officer() {
    let help = |args: &[&str]| text(&common::cli("postgres://unused", args));
    let parcels = help(&["import", "parcels", "--help"]);
    for phrase in ["SoThuTuThua", "TenChu", "--on-invalid", "--on-duplicate", "--meridian", "--set", "DGN v7"] {
        assert!(parcels.contains(phrase), "`{phrase}` not in:\n{parcels}");
    }
    assert!(help(&["import", "--help"]).contains("all-or-nothing"));
}

#[tokio::test]
async fn samples_load_is_idempotent() {
    let db = TestDb::new(Content::Samples).await;
    let before = db.fingerprint().await;
    assert_eq!(before.0, 1661 + 1394 + 210 + 38);
    let out = db.cli(&["samples", "--load"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("thai-nguyen-05443.gpkg: already loaded"), "{}", text(&out));
    assert_eq!(db.fingerprint().await, before);
}

#[tokio::test]
async fn samples_regenerate_identically() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::cli("postgres://unused", &["samples", "--dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    for s in diachinh::samples::SAMPLES.iter().filter(|s| s.generated()) {
        let committed = std::fs::read(samples_dir().join(s.file)).unwrap();
        let fresh = std::fs::read(dir.path().join(s.file)).unwrap();
        assert!(committed == fresh, "{} differs from a fresh generation", s.file);
    }
}

#[tokio::test]
async fn every_import_is_one_recorded_change_and_its_tables_are_analysed() {
    let db = TestDb::new(Content::Empty).await;
    let parcels = db.cli(&["import", "parcels", TN]);
    assert!(parcels.status.success(), "{}", text(&parcels));
    let planning = db.cli(&["import", "planning", "data-samples/thai-nguyen-05443-planning.gpkg"]);
    assert!(planning.status.success(), "{}", text(&planning));
    let dry = db.cli(&["import", "parcels", HP, "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    // Who, what, and the import each change made; the dry run left no trace.
    let changes: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT c.actor, c.action, i.kind FROM changes c JOIN imports i ON i.change_id = c.id ORDER BY c.id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes.iter().all(|(actor, _, _)| actor.starts_with("cli:")), "{changes:?}");
    assert_eq!(
        changes.iter().map(|(_, action, kind)| (action.as_str(), kind.as_str())).collect::<Vec<_>>(),
        [("import parcels", "parcels"), ("import planning", "planning")]
    );
    assert_eq!(db.count("SELECT count(*) FROM imports WHERE change_id IS NULL").await, 0);
    // The bulk-loaded tables were analysed after each commit, overlays included.
    for table in ["parcels", "planning_zones"] {
        let analysed: bool =
            sqlx::query_scalar("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = $1")
                .bind(table)
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert!(analysed, "{table} was analysed after its import");
    }
}

#[tokio::test]
async fn an_import_leaves_its_outlines_to_the_service_which_takes_them_while_serving() {
    let db = TestDb::new(Content::Empty).await;
    let out = db.cli(&["import", "parcels", TN]);
    assert!(out.status.success(), "{}", text(&out));
    // The import returned without the commune's union: its marks wait.
    assert!(db.count("SELECT count(*) FROM admin_outlines_marks").await > 0);
    assert_eq!(db.count("SELECT count(*) FROM admin_outlines WHERE code = '05443' AND geom IS NOT NULL").await, 0);
    // The service starts serving, then takes the marks; the feed brings the outline in.
    let (mut child, base) = db.serve().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let page = loop {
        let page: serde_json::Value = reqwest::get(format!("{base}/ogc/collections/admin/items?kind=commune"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if page["numberMatched"] == 1 || std::time::Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    child.kill().unwrap();
    assert_eq!(page["features"][0]["properties"]["code"], "05443", "{page}");
    assert_eq!(page["features"][0]["properties"]["parcels"], 1661, "{page}");
    assert_eq!(db.count("SELECT count(*) FROM admin_outlines_marks").await, 0);

    // A parcel's current commune is a listed one, whoever writes it; a named commune stays.
    for sql in [
        "UPDATE parcels SET commune_code = '99999' WHERE parcel_no = 1",
        "DELETE FROM communes WHERE code = '05443'",
        "UPDATE communes SET code = '99998' WHERE code = '05443'",
    ] {
        let e = sqlx::query(sql).execute(&db.pool).await.unwrap_err();
        let e = e.as_database_error().unwrap();
        assert!(e.is_foreign_key_violation(), "{sql}: {e}");
        assert!(e.message().contains("99999") || e.message().contains("05443"), "{sql}: {e}");
    }
    // A recorded holder's parcel exists, and keeps its uid; deleting a parcel takes its holders.
    for (sql, says) in [
        ("INSERT INTO personal.recorded_holders (parcel_uid, name, import_id) VALUES (-7, 'X', 0)", "-7"),
        ("UPDATE personal.recorded_holders SET parcel_uid = -8 WHERE name = 'Đỗ Thu An'", "-8"),
        ("UPDATE parcels SET uid = -9 WHERE parcel_no = 1", "-9"),
    ] {
        let e = sqlx::query(sql).execute(&db.pool).await.unwrap_err();
        let e = e.as_database_error().unwrap();
        assert!(e.is_foreign_key_violation() && e.message().contains(says), "{sql}: {e}");
    }
    let holders = "SELECT count(*) FROM personal.recorded_holders h JOIN parcels p ON p.uid = h.parcel_uid
                   WHERE p.sheet = '1' AND p.parcel_no = 1";
    assert_eq!(db.count(holders).await, 1);
    let before = db.count("SELECT count(*) FROM personal.recorded_holders").await;
    sqlx::query("DELETE FROM parcels WHERE sheet = '1' AND parcel_no = 1").execute(&db.pool).await.unwrap();
    assert_eq!(db.count("SELECT count(*) FROM personal.recorded_holders").await, before - 1);
}

#[tokio::test]
async fn two_parcels_with_one_parcel_id_are_refused_and_nothing_is_written() {
    let db = TestDb::new(Content::Empty).await;
    let before = db.fingerprint().await;
    let (x, y, d) = (105.84, 21.59, 0.0002);
    let ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]];
    let features: Vec<_> = (1..=2)
        .map(|n| {
            serde_json::json!({
                "type": "Feature",
                "properties": { "MaXa": "05443", "SoHieuToBanDo": "7", "SoThuTuThua": n, "KyHieuMucDichSuDung": "ODT" },
                "geometry": { "type": "Polygon", "coordinates": [ring] },
            })
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = common::write_file(
        &dir,
        "twins.geojson",
        &serde_json::json!({ "type": "FeatureCollection", "features": features }).to_string(),
    );
    let out = db.cli(&["import", "parcels", &file]);
    assert!(!out.status.success());
    assert!(text(&out).contains("05443-7-2: rejected — its parcel ID"), "{}", text(&out));
    assert!(text(&out).contains("is also that of 05443-7-1: the two parcels overlap"), "{}", text(&out));
    assert_eq!(db.fingerprint().await, before);
}

#[tokio::test]
async fn a_geometry_valid_as_read_but_not_once_reprojected_is_refused_and_the_table_checks_other_writers() {
    let db = TestDb::new(Content::Empty).await;
    let before = db.fingerprint().await;
    // Two notches whose tips are one unit in the last place apart (about 1e-10 m) in TM-3: valid
    // as read. In WGS 84 the tips' images cross, and the table would take the import's word.
    let (x, y) = (585_000.0_f64, 2_330_000.0_f64);
    let tip = f64::from_bits((x + 5.0).to_bits() - 1);
    let ring = [[x, y], [x + 10.0, y], [x + 5.0, y + 5.0], [x + 10.0, y + 10.0], [x, y + 10.0], [tip, y + 5.0], [x, y]];
    let feature = serde_json::json!({
        "type": "Feature",
        "properties": { "MaXa": "05443", "SoHieuToBanDo": "7", "SoThuTuThua": 1, "KyHieuMucDichSuDung": "ODT" },
        "geometry": { "type": "Polygon", "coordinates": [ring] },
    });
    let dir = tempfile::tempdir().unwrap();
    let file = common::write_file(
        &dir,
        "pinch.geojson",
        &serde_json::json!({ "type": "FeatureCollection", "features": [feature] }).to_string(),
    );
    let out = db.cli(&["import", "parcels", &file, "--crs", "EPSG:5899"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(
            "05443-7-1: rejected — the polygon is valid as read in EPSG:5899 but not once reprojected to WGS 84"
        ),
        "{}",
        text(&out)
    );
    assert_eq!(db.fingerprint().await, before);

    // SQL written past the service is checked by the table itself.
    let e = sqlx::query(
        "INSERT INTO parcels (parcel_id, commune_code_recorded, sheet, parcel_no, land_use, source_crs, geom)
         VALUES ('w7g4xtt2md67', '05443', '7', 1, ARRAY['ODT'], 'EPSG:4326',
                 ST_Multi(ST_GeomFromText('POLYGON((105.8 21.5, 105.9 21.6, 105.9 21.5, 105.8 21.6, 105.8 21.5))', 4326)))",
    )
    .execute(&db.pool)
    .await
    .unwrap_err();
    let e = e.as_database_error().unwrap();
    assert!(e.is_check_violation() && e.constraint() == Some("parcels_geom_check"), "{e}");
}

#[tokio::test]
async fn a_load_that_grows_the_parcels_by_a_tenth_is_analysed_and_a_sheet_is_left_to_autovacuum() {
    let db = TestDb::new(Content::Empty).await;
    let estimate = || async {
        sqlx::query_scalar::<_, f32>("SELECT reltuples FROM pg_class WHERE oid = 'parcels'::regclass")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    let import = |file: String| {
        let out = db.cli(&["import", "parcels", &file]);
        assert!(out.status.success(), "{}", text(&out));
    };
    // Autovacuum's own analyse, at a moment of its choosing, would hide what the import did.
    sqlx::query("ALTER TABLE parcels SET (autovacuum_enabled = false)").execute(&db.pool).await.unwrap();
    // Into an empty table: analysed, so the planner knows the 1,394 parcels.
    import(HP.to_owned());
    assert_eq!(estimate().await, 1394.0);
    // The columns the indexes name have statistics at once; the others wait for autovacuum, which
    // still counts the load as changes to analyse for (its backend reports them as it ends).
    let columns: Vec<String> = sqlx::query_scalar(
        "SELECT attname::text FROM pg_stats WHERE schemaname = 'public' AND tablename = 'parcels' ORDER BY 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    for indexed in ["commune_code", "commune_code_recorded", "geom", "parcel_id", "parcel_no", "sheet", "valid_to"] {
        assert!(columns.iter().any(|c| c == indexed), "{indexed} analysed: {columns:?}");
    }
    assert!(!columns.iter().any(|c| c == "land_use" || c == "address"), "{columns:?}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let changes = loop {
        let n: i64 =
            sqlx::query_scalar("SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relid = 'parcels'::regclass")
                .fetch_one(&db.pool)
                .await
                .unwrap();
        if n >= 1394 || std::time::Instant::now() > deadline {
            break n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(changes, 1394, "the load still counts for autovacuum's analyse");
    // One sheet of 6 more: left to autovacuum, which analyses at a tenth too.
    let dir = tempfile::tempdir().unwrap();
    import(common::write_file(&dir, "sheet.geojson", &parcels_geojson(&[("05443", 105.9, 21.7)])));
    assert_eq!(db.count("SELECT count(*) FROM parcels").await, 1400);
    assert_eq!(estimate().await, 1394.0);
    // Another commune's 1,661: analysed again.
    import(TN.to_owned());
    assert_eq!(estimate().await, 3061.0);
}

#[tokio::test]
async fn a_first_load_builds_the_parcels_and_holders_indexes_after_its_copies_as_the_migrations_define_them() {
    let db = TestDb::new(Content::Empty).await;
    let indexes = || async {
        sqlx::query_as::<_, (String, String, bool)>(
            "SELECT c.relname::text, pg_get_indexdef(i.indexrelid), i.indisvalid FROM pg_index i
             JOIN pg_class c ON c.oid = i.indexrelid
             WHERE i.indrelid IN ('parcels'::regclass, 'personal.recorded_holders'::regclass) ORDER BY 1",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap()
    };
    let defined = indexes().await;
    assert!(defined.len() >= 7, "{defined:?}");
    assert!(defined.iter().any(|(name, ..)| name == "recorded_holders_parcel"), "{defined:?}");
    // The first load drops all but the primary key's (the holders' too) and builds them after its COPY; the next,
    // into a table that holds parcels, keeps them. Either way they end as defined and valid.
    for file in [HP, TN] {
        let out = db.cli(&["import", "parcels", file]);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(indexes().await, defined);
    }
    let id: String = sqlx::query_scalar("SELECT parcel_id FROM parcels LIMIT 1").fetch_one(&db.pool).await.unwrap();
    let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN SELECT * FROM parcels WHERE parcel_id = '{id}'"))
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert!(plan.iter().any(|l| l.contains("parcels_parcel_id_versions")), "{plan:?}");
}

#[tokio::test]
async fn the_database_itself_refuses_malformed_parcel_ids_and_digital_addresses() {
    let db = TestDb::new(Content::Empty).await;
    // Written past the service, as a writer outside the gateway would: the table's own checks
    // (migration 28 rewrote them to run faster) must hold the same rules as the domain types.
    let insert = |parcel_id: &'static str, digital_address: Option<&'static str>| {
        let pool = db.pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            let result = sqlx::query(
                "INSERT INTO parcels (parcel_id, commune_code_recorded, sheet, parcel_no, land_use, digital_address,
                                      source_crs, geom)
                 VALUES ($1, '26734', '12', 7, '{ODT}', $2, 'EPSG:9210',
                         'SRID=4326;MULTIPOLYGON(((105.8 21.0,105.8001 21.0,105.8001 21.0001,105.8 21.0)))')",
            )
            .bind(parcel_id)
            .bind(digital_address)
            .execute(&mut *tx)
            .await;
            tx.rollback().await.unwrap();
            result.map(|_| ()).map_err(|e| e.to_string())
        }
    };
    assert_eq!(insert("w7g4xtt2md67", None).await, Ok(()));
    assert_eq!(insert("w7g4xtt2md67", Some("684466")).await, Ok(()));
    assert_eq!(insert("w7g4xtt2md67", Some("AbC123def456ghi789jkl012mno345pq")).await, Ok(()));
    for bad in ["w7g4xtt2md6", "w7g4xtt2md678", "w7g4xtt2md6a", "W7G4XTT2MD67", "w7g4xtt2md6\u{1ea1}", ""] {
        let err = insert(bad, None).await.unwrap_err();
        assert!(err.contains("parcels_parcel_id_check"), "{bad:?}: {err}");
    }
    for bad in ["68446", "AbC123def456ghi789jkl012mno345pqr", "6844-66", "68446\u{1ea1}"] {
        let err = insert("w7g4xtt2md67", Some(bad)).await.unwrap_err();
        assert!(err.contains("parcels_digital_address_check"), "{bad:?}: {err}");
    }
}

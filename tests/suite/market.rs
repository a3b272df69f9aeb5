//! Projects, their documents, housing units with product IDs, and digital addresses.

use crate::common;

use std::collections::BTreeSet;

use common::{Content, TestApp, TestDb, samples_dir, text, write_file};
use sha2::{Digest, Sha256};

#[tokio::test]
async fn a_project_with_its_documents_parcels_and_units() {
    let app = TestApp::spawn(Content::Samples).await;
    let (status, p) = app.get("/api/projects/DA05443").await;
    assert_eq!(status, 200, "{p}");
    let props = &p["properties"];
    assert_eq!(p["geometry"]["type"], "MultiPolygon");
    assert_eq!(props["kind"], "housing");
    assert_eq!(props["units"], 192);
    // The parcels it covers, as PostGIS finds them.
    let expected: BTreeSet<String> = sqlx::query_scalar(
        "SELECT q.parcel_id FROM parcels q, projects p WHERE p.code = 'DA05443' AND ST_Contains(p.geom, ST_PointOnSurface(q.geom))",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let ours: BTreeSet<String> =
        props["parcels"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    assert!(!ours.is_empty());
    assert_eq!(ours, expected);
    // Each document downloads as the very file that was imported, with its size and SHA-256.
    let docs = props["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 2);
    for d in docs {
        let resp = app.http.get(format!("{}{}", app.base, d["href"].as_str().unwrap())).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/pdf");
        let bytes = resp.bytes().await.unwrap();
        let file =
            std::fs::read(samples_dir().join("project-documents").join(d["file_name"].as_str().unwrap())).unwrap();
        assert_eq!(bytes.as_ref(), file.as_slice());
        assert_eq!(d["size_bytes"], file.len());
        let hash: String = Sha256::digest(&file).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(d["sha256"], hash.as_str());
    }
    // The card of a parcel in the project names it and counts its units.
    let parcel = &props["parcels"][0];
    let (_, card) = app.get(&format!("/api/parcels/{}", parcel.as_str().unwrap())).await;
    assert_eq!(card["properties"]["project"], "DA05443");
}

#[tokio::test]
async fn units_carry_generated_product_ids() {
    let app = TestApp::spawn(Content::Samples).await;
    let (status, list) = app.get("/api/projects/DA11311/units").await;
    assert_eq!(status, 200);
    let units = list["units"].as_array().unwrap();
    assert_eq!(units.len(), 192);
    let ids: BTreeSet<&str> = units.iter().map(|u| u["product_id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 192, "product IDs are unique");
    for u in units {
        // Parcel ID in capitals, project code, location code, 6-digit sequence: at most 40.
        let id = u["product_id"].as_str().unwrap();
        let prefix = format!(
            "{}DA11311{}",
            u["parcel_id"].as_str().unwrap().to_uppercase(),
            u["location_code"].as_str().unwrap()
        );
        assert!(id.starts_with(&prefix) && id.len() == prefix.len() + 6 && id.len() <= 40, "{id}");
    }
    // Ground-floor units of building A carry their footprint, inside the project's boundary.
    let with_footprint: Vec<_> = units.iter().filter(|u| !u["footprint"].is_null()).collect();
    assert_eq!(with_footprint.len(), 8);
    assert!(
        with_footprint
            .iter()
            .all(|u| u["building"] == "A" && u["floor"] == 1 && u["footprint"]["type"] == "MultiPolygon")
    );
    let inside: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM units u JOIN projects p ON p.code = u.project_code WHERE ST_Within(u.footprint, p.geom)",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(inside, 16);
    let one = units[5]["product_id"].as_str().unwrap();
    let (status, unit) = app.get(&format!("/api/units/{one}")).await;
    assert_eq!(status, 200);
    assert_eq!(unit["project_code"], "DA11311");
    let (_, card) = app.get(&format!("/api/parcels/{}", unit["parcel_id"].as_str().unwrap())).await;
    assert_eq!(card["properties"]["units"], 192);
}

#[tokio::test]
async fn a_digital_address_reads_as_an_administrative_address() {
    let app = TestApp::spawn(Content::Samples).await;
    let (code, key): (String, String) = sqlx::query_as(
        "SELECT a.code, p.commune_code_recorded || '-' || p.sheet || '-' || p.parcel_no FROM addresses a
         JOIN parcels p ON p.parcel_id = a.parcel_id WHERE a.commune_code = '11311' ORDER BY a.code LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let (status, a) = app.get(&format!("/api/addresses/{code}")).await;
    assert_eq!(status, 200, "{a}");
    let text = a["properties"]["administrative_address"].as_str().unwrap();
    assert!(text.starts_with("Số ") && text.ends_with(", Phường Hồng Bàng, Thành phố Hải Phòng"), "{text}");
    assert_eq!(a["geometry"]["type"], "Point");
    // The parcel's own digital address is the same code.
    let (_, card) = app.get(&format!("/api/parcels/{key}")).await;
    assert_eq!(card["properties"]["digital_address"], code.as_str());
}

#[tokio::test]
async fn market_endpoints_say_what_is_wrong() {
    let app = TestApp::spawn(Content::Samples).await;
    app.expect_errors(&[
        ("/api/projects/X", 400, "project code `X` must be 2 to 10 letters and digits"),
        ("/api/projects/NOPE", 404, "no project has code NOPE"),
        ("/api/projects/NOPE/units", 404, "no project has code NOPE"),
        ("/api/projects/DA05443/documents/99", 404, "project DA05443 has no document 99"),
        ("/api/projects/DA05443/documents/x", 400, "document id `x` must be a number"),
        ("/api/projects", 400, "give ?bbox=W,S,E,N"),
        ("/api/projects?bbox=1,2,3", 400, "must be W,S,E,N"),
        ("/api/projects?bbox=105,20,107,22&limit=0", 400, "from 1 to 1000"),
        ("/api/units/AB-1", 400, "only letters and digits"),
        ("/api/units/ABC123", 404, "no unit has product ID ABC123"),
        ("/api/addresses/12", 400, "6 to 32 letters and digits"),
        ("/api/addresses/999999999999", 404, "no digital address has code 999999999999"),
    ])
    .await;
    // Paging through projects by bbox.
    let (_, first) = app.get("/api/projects?bbox=105,20,107,22&limit=1").await;
    let next = first["links"][0]["href"].as_str().unwrap().to_owned();
    let (_, second) = app.get(&next).await;
    assert_eq!(first["features"][0]["id"], "DA05443");
    assert_eq!(second["features"][0]["id"], "DA11311");
    assert_eq!(second["links"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn bad_market_input_is_refused_and_changes_nothing() {
    let db = TestDb::new(Content::Samples).await;
    let dir = tempfile::tempdir().unwrap();
    let units = "MaDuAn,MaThua,ToaNha,Tang,SoCan,DienTichSan,MaSanPham\n";
    let long = "A".repeat(41);
    let project = |docs: &str| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"MaDuAn":"DANEW","TenDuAn":"Test","ChuDauTu":"Cty","LoaiDuAn":"housing","TaiLieu":"{docs}"}},
            "geometry":{{"type":"Polygon","coordinates":[[[105.83,21.59],[105.831,21.59],[105.831,21.591],[105.83,21.591],[105.83,21.59]]]}}}}]}}"#
        )
    };
    std::fs::write(dir.path().join("not.pdf"), "hello").unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "units",
            write_file(&dir, "u1.csv", &format!("{units}NOPE,05443-1-1,A,1,101,50,\n")),
            "project NOPE is not in the database",
        ),
        (
            "units",
            write_file(
                &dir,
                "u2.csv",
                &format!("{units}DA05443,05443-1-1,C,1,101,50,DUP1\nDA05443,05443-1-1,C,1,102,50,DUP1\n"),
            ),
            "product ID DUP1 appears twice",
        ),
        (
            "units",
            write_file(&dir, "u3.csv", &format!("{units}DA05443,05443-1-1,C,1,101,50,{long}\n")),
            "must have 1 to 40 characters",
        ),
        (
            "units",
            write_file(&dir, "u4.csv", &format!("{units}DA05443,05443-1-99999,C,1,101,50,\n")),
            "names a parcel that no current parcel has",
        ),
        (
            "addresses",
            write_file(&dir, "a1.csv", "MaDiaChi,MaXa,X,Y\n1234567,05443,105.83,21.59\n"),
            "an address belongs to a parcel (MaThua) or a unit (MaSanPham)",
        ),
        (
            "addresses",
            write_file(&dir, "a2.csv", "MaDiaChi,MaThua,MaXa,X,Y\n1234567,05443-1-1,20248,105.83,21.59\n"),
            "commune 20248 is not a 2025 commune",
        ),
        (
            "units",
            write_file(
                &dir,
                "u6.csv",
                &format!("{units}DA05443,05443-1-1,C,1,101,50,,\"POLYGON((590000 2390000,590010 2390000,590010 2390010,590000 2390000))\"\n")
                    .replace("MaSanPham\n", "MaSanPham,WKT\n"),
            ),
            "coordinates fall outside longitude/latitude when read as EPSG:4326",
        ),
        ("projects", write_file(&dir, "p1.geojson", &project("QĐ=missing.pdf")), "missing.pdf"),
        ("projects", write_file(&dir, "p2.geojson", &project("QĐ=not.pdf")), "is not a PDF"),
    ];
    let state = || async {
        db.count("SELECT (SELECT count(*) FROM units) + (SELECT count(*) FROM addresses) * 1000 + (SELECT count(*) FROM projects) * 1000000 + (SELECT count(*) FROM imports) * 100000000").await
    };
    let before = state().await;
    for (kind, file, message) in cases {
        let mut args = vec!["import", kind, file.as_str()];
        if kind == "addresses" {
            args.extend(["--crs", "EPSG:4326"]);
        }
        let out = db.cli(&args);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(text(&out).contains(message), "{args:?}: expected `{message}` in:\n{}", text(&out));
        assert_eq!(state().await, before, "{args:?} changed the database");
    }
    // A unit already in the database is refused by its key.
    let again = write_file(&dir, "u5.csv", &format!("{units}DA05443,05443-1-1,A,1,0101,50,\n"));
    let out = db.cli(&["import", "units", &again]);
    assert!(!out.status.success());
    assert!(text(&out).contains("already in the database"), "{}", text(&out));
}

/// Decree 357's other identifiers through the CLI as an officer runs it: made from their parts,
/// read back into them, and refused with a message naming the wrong part.
#[test]
fn decree_357_identifiers_are_made_read_back_and_checked_by_the_cli() {
    let run = |args: &[&str]| common::cli(&common::server_url(), &[&["ids"][..], args].concat());
    let json = |o: std::process::Output| -> serde_json::Value {
        assert!(o.status.success(), "{}", common::text(&o));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let made = json(run(&[
        "broker",
        "--province",
        "79",
        "--holder",
        "F12345678901",
        "--issued",
        "2026-03-01",
        "--number",
        "42",
    ]));
    assert_eq!(made["id"], "79F12345678901202603010000420");
    let read = json(run(&["read", made["id"].as_str().unwrap()]));
    assert_eq!((read["kind"].as_str(), &read["parts"]), (Some("broker_certificate"), &made["parts"]));
    assert_eq!(read["parts"]["holder"]["foreign"], "F12345678901");
    let unit = json(run(&["management-unit", "--tax-code", "0101234567", "--notice", "2026-05-20"]));
    assert_eq!(json(run(&["read", unit["id"].as_str().unwrap()]))["parts"]["tax_code"], "0101234567000");
    let person = json(run(&["beneficiary", "--personal-id", "001099000111", "--group", "01", "--programme", "01"]));
    assert_eq!(json(run(&["read", "0010990001110101"]))["id"], person["id"]);
    for (args, says) in [
        (vec!["read", "0010990001110501"], "beneficiary group `05`"),
        (vec!["read", "123"], "has 3 characters"),
        (vec!["read", "01001099000111202603010001232"], "revoked flag"),
        (
            vec!["broker", "--province", "1", "--holder", "001099000111", "--issued", "2026-03-01", "--number", "1"],
            "province code",
        ),
    ] {
        let o = run(&args);
        assert!(!o.status.success() && common::text(&o).contains(says), "{args:?}: {}", common::text(&o));
    }
}

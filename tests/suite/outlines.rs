//! The `admin` layer's outlines are kept in the database and follow parcel changes commune by
//! commune (issue 16): an import, a retirement through the API, an attribute edit, and a writer
//! outside the gateway, each checked against PostGIS's own union and through the service.

use std::time::{Duration, Instant};

use crate::common;

use common::{Content, TestApp};
use serde_json::{Value, json};

const PASSWORD: &str = "Sổ-đỏ an toàn 2027";

/// The stored outline of commune `code` is its current parcels' union with the streets between
/// them closed, and counts them.
async fn outline_matches_parcels(pool: &sqlx::PgPool, code: &str) -> (bool, i64) {
    sqlx::query_as(
        "SELECT ST_Equals(o.geom, commune_outline((SELECT ST_Union(geom) FROM parcels WHERE valid_to IS NULL AND commune_code = $1))),
                o.parcels
         FROM admin_outlines o WHERE o.kind = 'commune' AND o.code = $1",
    )
    .bind(code)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Waits (at most 5 s) for the service's admin feature `fid` to count `parcels`; its properties.
async fn admin_feature_counts(app: &TestApp, fid: &str, parcels: i64) -> Value {
    let started = Instant::now();
    loop {
        let (status, item) = app.get(&format!("/ogc/collections/admin/items/{fid}")).await;
        assert_eq!(status, 200, "{item}");
        if item["properties"]["parcels"] == parcels || started.elapsed() > Duration::from_secs(5) {
            assert_eq!(item["properties"]["parcels"], parcels, "{fid}");
            return item["properties"].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn outlines_follow_imports_edits_and_outside_writers_commune_by_commune() {
    let app = TestApp::spawn(Content::Samples).await;
    let pool = &app.db.pool;
    // Loaded by the samples' imports: each commune's outline is its parcels' union, closed.
    for (code, parcels) in [("05443", 1661), ("11311", 1604)] {
        assert_eq!(outline_matches_parcels(pool, code).await, (true, parcels), "{code}");
    }
    let province: (bool, i64) = sqlx::query_as(
        "SELECT ST_Equals(p.geom, ST_ConvexHull(c.geom)), p.parcels FROM admin_outlines p, admin_outlines c
         WHERE p.id = 1000019 AND c.id = 5443",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(province, (true, 1661), "Thái Nguyên's outline is the hull of its one loaded commune");
    assert_eq!(admin_feature_counts(&app, "05443", 1661).await["kind"], "commune");
    assert_eq!(admin_feature_counts(&app, "19", 1661).await["kind"], "province");
    assert_eq!(app.db.count("SELECT count(*) FROM admin_outlines_marks").await, 0);

    app.db.add_account("dangky", "Mai K", "016000000001", "registrar", Some("05443"), "Địa-chính 2026!");
    assert_eq!(crate::accounts::change_password(&app, "dangky", "Địa-chính 2026!", PASSWORD).await.0, 204);
    let parcels = common::parcels_of(pool, "05443", 3).await;
    let before: Vec<u8> = sqlx::query_scalar("SELECT ST_AsBinary(geom) FROM admin_outlines WHERE id = 5443")
        .fetch_one(pool)
        .await
        .unwrap();

    // An attribute edit: the count stays, the outline is not recomputed (same bytes).
    let patched = app
        .http
        .patch(format!("{}/ogc/collections/parcels/items/{}", app.base, parcels[0]))
        .basic_auth("dangky", Some(PASSWORD))
        .header("content-type", "application/merge-patch+json")
        .json(&json!({ "properties": { "address": "Số 9 đường Túc Duyên" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 204);
    let after: Vec<u8> = sqlx::query_scalar("SELECT ST_AsBinary(geom) FROM admin_outlines WHERE id = 5443")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(before, after);
    assert_eq!(outline_matches_parcels(pool, "05443").await, (true, 1661));

    // A retirement through the API: the outline loses the parcel, as the service shows.
    let retired = app
        .http
        .delete(format!("{}/ogc/collections/parcels/items/{}", app.base, parcels[1]))
        .basic_auth("dangky", Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(retired.status(), 204);
    admin_feature_counts(&app, "05443", 1660).await;
    assert_eq!(outline_matches_parcels(pool, "05443").await, (true, 1660));
    assert_eq!(admin_feature_counts(&app, "19", 1660).await["kind"], "province");

    // A writer outside the gateway leaves its marks; the service's change feed refreshes them.
    sqlx::query("UPDATE parcels SET valid_to = now() WHERE parcel_id = $1 AND valid_to IS NULL")
        .bind(&parcels[2])
        .execute(pool)
        .await
        .unwrap();
    admin_feature_counts(&app, "05443", 1659).await;
    assert_eq!(outline_matches_parcels(pool, "05443").await, (true, 1659));
    assert_eq!(app.db.count("SELECT count(*) FROM admin_outlines_marks").await, 0);
    // Hải Phòng was never touched: still its import's outline.
    assert_eq!(outline_matches_parcels(pool, "11311").await, (true, 1604));

    // A parcel whose 2025 commune is unknown is outlined under the code it was recorded with:
    // a correction of that code moves it from one outline to the other.
    let unknown = "valid_to IS NULL AND commune_code IS NULL AND commune_code_recorded = '20248'";
    let recorded = app.db.count(&format!("SELECT count(*) FROM parcels WHERE {unknown}")).await;
    assert!(recorded > 1);
    sqlx::query(&format!(
        "UPDATE parcels SET commune_code_recorded = '20245' WHERE uid = (SELECT min(uid) FROM parcels WHERE {unknown})"
    ))
    .execute(pool)
    .await
    .unwrap();
    admin_feature_counts(&app, "20248", recorded - 1).await;
    admin_feature_counts(&app, "20245", 1).await;
}

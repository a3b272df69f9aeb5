//! The in-memory index follows committed changes in PostGIS without a restart.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::{Content, TestApp, TestDb, within};
use diachinh::catalog::Catalog;
use diachinh::index::SharedIndex;
use diachinh::index::layers::Layers;
use diachinh::index::shapes::Shapes;
use diachinh::storage::parcels;

async fn key_at(app: &TestApp, lon: f64, lat: f64) -> Vec<String> {
    common::legacy_keys(&app.get(&format!("/api/parcels?at={lon},{lat}")).await.1)
}

#[tokio::test]
async fn an_sql_edit_reaches_point_queries_within_a_second() {
    let app = TestApp::spawn(Content::Samples).await;
    // Move parcel 05443-1-1 to an empty spot and query there.
    let (lon, lat) = (105.9, 21.7);
    assert!(key_at(&app, lon, lat).await.is_empty());
    sqlx::query(
        "UPDATE parcels SET geom = ST_Multi(ST_Translate(geom, $1 - ST_X(ST_PointOnSurface(geom)), $2 - ST_Y(ST_PointOnSurface(geom))))
         WHERE commune_code_recorded = '05443' AND sheet = '1' AND parcel_no = 1",
    )
    .bind(lon)
    .bind(lat)
    .execute(&app.db.pool)
    .await
    .unwrap();
    let took = within(Duration::from_secs(10), async || key_at(&app, lon, lat).await == ["05443-1-1"]).await;
    println!("update visible after {took:?}");
}

#[tokio::test]
async fn inserts_and_deletes_follow() {
    let app = TestApp::spawn(Content::Samples).await;
    sqlx::query(
        "INSERT INTO parcels (parcel_id, commune_code_recorded, sheet, parcel_no, commune_code, land_use, source_crs, geom)
         VALUES ('w7g6bzzzzzzz', '05443', '77', 1, '05443', ARRAY['ODT'], 'EPSG:4326',
                 ST_Multi(ST_MakeEnvelope(105.95, 21.75, 105.9502, 21.7502, 4326)))",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    within(Duration::from_secs(10), async || app.get("/api/parcels/05443-77-1").await.0 == 200).await;
    assert_eq!(app.get("/api/parcels/w7g6bzzzzzzz").await.0, 200);
    sqlx::query("DELETE FROM parcels WHERE parcel_id = 'w7g6bzzzzzzz'").execute(&app.db.pool).await.unwrap();
    within(Duration::from_secs(10), async || app.get("/api/parcels/05443-77-1").await.0 == 404).await;
    // Retiring a version (history) removes it from the current index too.
    sqlx::query("UPDATE parcels SET valid_to = now() + interval '1 second' WHERE commune_code_recorded = '11311' AND sheet = '1' AND parcel_no = 3")
        .execute(&app.db.pool)
        .await
        .unwrap();
    within(Duration::from_secs(10), async || app.get("/api/parcels/11311-1-3").await.0 == 404).await;
}

#[tokio::test]
async fn a_dropped_listener_reconnects_and_resynchronises() {
    let app = TestApp::spawn(Content::Samples).await;
    let killed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND query ILIKE 'LISTEN%') t",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(killed, 1, "one listener connection");
    // Changed while nobody listens: only the resynchronisation can bring this in.
    sqlx::query("DELETE FROM parcels WHERE commune_code_recorded = '11311' AND sheet = '2' AND parcel_no = 5")
        .execute(&app.db.pool)
        .await
        .unwrap();
    within(Duration::from_secs(15), async || app.get("/api/parcels/11311-2-5").await.0 == 404).await;
    let (_, h) = app.get("/health").await;
    assert!(h["index"]["full_loads"].as_u64().unwrap() >= 2, "{h}");
    within(Duration::from_secs(5), async || app.get("/health").await.1["index"]["listening_for_changes"] == true).await;
}

/// Whether every current parcel's geometry is one allocation shared by the index and each layer
/// keyed by parcel; returns how many layer features were checked.
fn one_copy_each(index: &SharedIndex, layers: &Layers, keyed: &[usize], shapes: &Shapes) -> usize {
    let idx = index.read();
    assert_eq!(shapes.held(), idx.len(), "one geometry held per current parcel");
    let mut checked = 0;
    for &l in keyed {
        for f in layers.read(l).after(None) {
            let p = idx.by_uid(f.id as i64).unwrap_or_else(|| panic!("layer {l}: uid {} not in the index", f.id));
            let geo::Geometry::MultiPolygon(mp) = &*f.geom else {
                panic!("layer {l}: uid {} not a multipolygon", f.id)
            };
            assert!(std::ptr::eq(p.geom(), mp), "layer {l}: uid {} holds a copy of its own", f.id);
            checked += 1;
        }
    }
    checked
}

#[tokio::test]
async fn the_index_and_the_layers_drawing_parcels_hold_one_copy_of_each_geometry() {
    let db = TestDb::new(Content::Samples).await;
    let catalog = Arc::new(Catalog::load(None).unwrap());
    let shapes = Arc::new(Shapes::default());
    let index = SharedIndex::new(shapes.clone());
    let layers = Layers::new(catalog.clone(), shapes.clone());
    let keyed: Vec<usize> = (0..catalog.layers.len()).filter(|&l| catalog.layers[l].features_are_parcels()).collect();
    assert!(keyed.len() >= 3, "parcels, ownership and holders are drawn as parcels");
    index.replace(parcels::current(&db.pool, None).await.unwrap());
    for &l in &keyed {
        layers.reload(&db.pool, l, None).await.unwrap();
    }
    let parcels_now = db.count("SELECT count(*) FROM parcels WHERE valid_to IS NULL").await as usize;
    assert_eq!(index.read().len(), parcels_now);
    assert!(one_copy_each(&index, &layers, &keyed, &shapes) >= parcels_now, "every parcel is in the parcels layer");
    // Parcels of one commune hold one copy of its code, name and province.
    let (a, b): (i64, i64) = sqlx::query_as(
        "SELECT min(uid), max(uid) FROM parcels WHERE valid_to IS NULL GROUP BY commune_code_recorded
         HAVING count(*) > 1 AND bool_and(commune_code IS NOT NULL) LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    {
        let idx = index.read();
        let (a, b) = (idx.by_uid(a).unwrap(), idx.by_uid(b).unwrap());
        assert!(Arc::ptr_eq(&a.commune_code_recorded, &b.commune_code_recorded));
        assert!(Arc::ptr_eq(a.commune_name.as_ref().unwrap(), b.commune_name.as_ref().unwrap()));
        assert!(Arc::ptr_eq(&a.source_crs, &b.source_crs) || a.source_crs != b.source_crs);
    }

    // A geometry changed in place (same uid, as a writer outside the service may) reaches the
    // index first and the layers after: the layers take the index's new geometry, not the old.
    let uid: i64 =
        sqlx::query_scalar("SELECT min(uid) FROM parcels WHERE valid_to IS NULL").fetch_one(&db.pool).await.unwrap();
    sqlx::query("UPDATE parcels SET geom = ST_Multi(ST_Translate(geom, 0.00001, 0)) WHERE uid = $1")
        .bind(uid)
        .execute(&db.pool)
        .await
        .unwrap();
    let before = index.read().by_uid(uid).unwrap().geom().clone();
    index.apply(&[uid], parcels::current(&db.pool, Some(&[uid])).await.unwrap());
    for &l in &keyed {
        layers.reload(&db.pool, l, Some(&[uid])).await.unwrap();
    }
    let after = index.read().by_uid(uid).unwrap().geom().clone();
    assert_ne!(before, after, "the index has the moved geometry");
    assert!(one_copy_each(&index, &layers, &keyed, &shapes) >= parcels_now);
}

/// Every keyed layer's features, in id order.
fn keyed_features(layers: &Layers, keyed: &[usize]) -> Vec<Vec<diachinh::index::layers::Feature>> {
    keyed.iter().map(|&l| layers.read(l).after(None).map(|f| (**f).clone()).collect()).collect()
}

#[tokio::test]
async fn a_keyed_reload_leaves_each_keyed_layer_as_a_full_reload_would() {
    let db = TestDb::new(Content::Samples).await;
    let catalog = Arc::new(Catalog::load(None).unwrap());
    let keyed: Vec<usize> = (0..catalog.layers.len()).filter(|&l| catalog.layers[l].keyed_by.is_some()).collect();
    let names: Vec<&str> = keyed.iter().map(|&l| catalog.layers[l].name.as_str()).collect();
    assert!(names.contains(&"units") && names.contains(&"market"), "{names:?}");
    let full_load = async || {
        let layers = Layers::new(catalog.clone(), Arc::new(Shapes::default()));
        for &l in &keyed {
            layers.reload(&db.pool, l, None).await.unwrap();
        }
        layers
    };
    let layers = full_load().await;
    let before = keyed_features(&layers, &keyed);

    // Units stand on the samples' two parcels with units: one moves (its units without a
    // footprint follow it), one is retired (its units leave the map). A parcel with a signed
    // sale moves to the other commune, and its sale with it: the market cells of both change.
    let on_units: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT p.uid FROM parcels p JOIN units u ON u.parcel_id = p.parcel_id AND u.footprint IS NULL
         WHERE p.valid_to IS NULL ORDER BY 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(on_units.len() >= 2, "{on_units:?}");
    let (moved, retired) = (on_units[0], on_units[1]);
    let rehomed: i64 = sqlx::query_scalar(
        "SELECT p.uid FROM personal.transactions t JOIN parcels p ON p.parcel_id = t.parcel_id AND p.valid_to IS NULL
         WHERE t.stage = 'signed' AND t.kind <> 'lease' AND t.cancelled_at IS NULL AND p.commune_code = '05443'
         ORDER BY 1 LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    for sql in [
        "UPDATE parcels SET geom = ST_Multi(ST_Translate(geom, 0.0001, 0)) WHERE uid = $1",
        "UPDATE parcels SET valid_to = now() WHERE uid = $1",
        "UPDATE parcels SET commune_code = '11311' WHERE uid = $1",
    ]
    .iter()
    .zip([moved, retired, rehomed])
    {
        sqlx::query(sql.0).bind(sql.1).execute(&db.pool).await.unwrap();
    }
    // What the change feed would bring: these parcels' uids, then the outlines the service's
    // refresh rewrote (those of the communes the parcels were in and went to, and provinces').
    diachinh::storage::outlines::refresh_in_transaction(&db.pool).await.unwrap();
    let outlines: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM admin_outlines WHERE code IN ('05443', '11311') OR (kind = 'province' AND code IN
            (SELECT province_code FROM admin_outlines WHERE code IN ('05443', '11311')))",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(outlines.contains(&5443) && outlines.contains(&11311), "{outlines:?}");
    for &l in &keyed {
        let keys = match catalog.layers[l].keyed_by.as_deref() {
            Some("parcels") => vec![moved, retired, rehomed],
            Some("admin_outlines") => outlines.clone(),
            other => panic!("a keyed layer this test does not change: {other:?}"),
        };
        layers.reload(&db.pool, l, Some(&keys)).await.unwrap();
    }
    let after = keyed_features(&layers, &keyed);
    let full = keyed_features(&full_load().await, &keyed);
    for (i, &l) in keyed.iter().enumerate() {
        let name = &catalog.layers[l].name;
        assert_eq!(after[i].len(), full[i].len(), "{name}: as many features as a full reload");
        for (a, f) in after[i].iter().zip(&full[i]) {
            assert_eq!(a, f, "{name}: feature {} as a full reload has it", a.id);
        }
        if ["units", "market"].contains(&name.as_str()) {
            assert_ne!(before[i], after[i], "{name}: the changes reached the layer");
        }
    }
    let units = keyed[names.iter().position(|n| *n == "units").unwrap()];
    assert!(layers.read(units).len() < before[names.iter().position(|n| *n == "units").unwrap()].len());
}

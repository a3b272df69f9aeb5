//! The in-memory index follows committed changes in PostGIS without a restart.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::{Content, TestApp, TestDb, within};
use diachinh::catalog::Catalog;
use diachinh::index::SharedIndex;
use diachinh::index::layers::{Feature, Layers};
use diachinh::index::shapes::Shapes;
use diachinh::index::value::Value;
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
fn keyed_features(layers: &Layers, keyed: &[usize]) -> Vec<Vec<Feature>> {
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
    // The samples' two communes with sales, in one province: a market cell of one can be
    // suppressed because of the other's (a lone small cell hides the smallest other).
    sqlx::query("UPDATE communes SET province_code = (SELECT province_code FROM communes WHERE code = '05443') WHERE code = '11311'")
        .execute(&db.pool)
        .await
        .unwrap();
    let layers = full_load().await;
    let before = keyed_features(&layers, &keyed);

    // Units stand on the samples' two parcels with units: one moves (its units without a
    // footprint follow it), one is retired (its units leave the map). Two parcels of 05443 with
    // a land sale in 2026-Q1 (it has 4 there) are re-recorded under a pre-reform code whose
    // commune is unknown, and their sales with them: 05443's cell becomes a lone small cell, so
    // 11311's cell of that quarter is now suppressed, though 11311 itself did not change.
    let on_units: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT p.uid FROM parcels p JOIN units u ON u.parcel_id = p.parcel_id AND u.footprint IS NULL
         WHERE p.valid_to IS NULL ORDER BY 1",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(on_units.len() >= 2, "{on_units:?}");
    let (moved, retired) = (on_units[0], on_units[1]);
    let rehomed: Vec<i64> = sqlx::query_scalar(
        "SELECT p.uid FROM personal.transactions t JOIN parcels p ON p.parcel_id = t.parcel_id AND p.valid_to IS NULL
         WHERE t.stage = 'signed' AND t.kind <> 'lease' AND t.cancelled_at IS NULL AND t.product_id IS NULL
           AND p.commune_code = '05443' AND to_char(t.contract_date, 'YYYY-\"Q\"Q') = '2026-Q1'
           AND NOT EXISTS (SELECT 1 FROM parcels o WHERE o.commune_code_recorded = '20248' AND o.sheet = p.sheet
                                                     AND o.parcel_no = p.parcel_no)
         ORDER BY 1 LIMIT 2",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(rehomed.len(), 2);
    // What the change feed brings after each change: the parcels' uids, then the ids of the
    // outline rows the service's refresh rewrote.
    let outline_rows = async || -> Vec<(i64, i64, Option<String>)> {
        sqlx::query_as("SELECT id, parcels, md5(ST_AsBinary(geom)) FROM admin_outlines ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap()
    };
    let follow = async |uids: &[i64]| -> Vec<i64> {
        let outlines_before = outline_rows().await;
        diachinh::storage::outlines::refresh_in_transaction(&db.pool).await.unwrap();
        let outlines: Vec<i64> =
            outline_rows().await.into_iter().filter(|row| !outlines_before.contains(row)).map(|row| row.0).collect();
        for &l in &keyed {
            let keys = match catalog.layers[l].keyed_by.as_deref() {
                Some("parcels") => uids,
                Some("admin_outlines") => &outlines,
                other => panic!("a keyed layer this test does not change: {other:?}"),
            };
            layers.reload(&db.pool, l, Some(keys)).await.unwrap();
        }
        outlines
    };
    sqlx::query("UPDATE parcels SET geom = ST_Multi(ST_Translate(geom, 0.0001, 0)) WHERE uid = $1")
        .bind(moved)
        .execute(&db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE parcels SET valid_to = now() WHERE uid = $1").bind(retired).execute(&db.pool).await.unwrap();
    follow(&[moved, retired]).await;
    sqlx::query("UPDATE parcels SET commune_code = NULL, commune_code_recorded = '20248' WHERE uid = ANY ($1)")
        .bind(&rehomed)
        .execute(&db.pool)
        .await
        .unwrap();
    let outlines = follow(&rehomed).await;
    assert!(outlines.contains(&5443) && !outlines.contains(&11311), "{outlines:?}");
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
    // 11311's cell of that quarter was shown and is now suppressed, in the keyed reload too.
    let position = |name: &str| names.iter().position(|n| *n == name).unwrap();
    let market = position("market");
    let field = |name: &str| catalog.layers[keyed[market]].fields.iter().position(|f| f.name == name).unwrap();
    let suppressed = |features: &[Feature]| {
        let cell = Some(Value::Str("11311-2026-Q1-land".into()));
        features.iter().find(|f| f.values[field("cell")] == cell).map(|f| f.values[field("suppressed")].clone())
    };
    assert_eq!(suppressed(&before[market]), Some(Some(Value::Bool(false))));
    assert_eq!(suppressed(&after[market]), Some(Some(Value::Bool(true))));
    let units = position("units");
    assert!(layers.read(keyed[units]).len() < before[units].len(), "the retired parcel's units left");
}

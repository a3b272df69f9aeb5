//! The access seam: a view (an audience, and the scope where it holds) enters every feature
//! query through the filter's one entry point, the rows' properties, the tile cutter and its
//! cache key. Outside its scope a view sees the open data, exactly as anonymous. Only the
//! anonymous public can call the service yet and no shipped layer has a personal field, so the
//! seam is tested here through the library, on a layer with one (a parcel's recorded holder).

use crate::common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{Content, TestDb};
use diachinh::access::{Audience, Principal, Scope, View};
use diachinh::catalog::Catalog;
use diachinh::crs::ApiCrs;
use diachinh::features::{self, ItemQuery, Source};
use diachinh::index::layers::Layers;
use diachinh::tiles::{TileId, render};
use serde_json::Value;

const LAYER: &str = r#"
title = "Parcels with their recorded holder"
geometry = "polygon"
minzoom = 14
maxzoom = 20
max_age_s = 0
simplify_px = 0
max_features = 100000

feature_id = "parcel_id"
scope_field = "commune_code"
depends_on = ["parcels"]
sql = """
SELECT p.uid AS id, p.geom,
       jsonb_build_object('parcel_id', p.parcel_id, 'commune_code', p.commune_code,
                          'holder', (SELECT min(h.name) FROM personal.recorded_holders h WHERE h.parcel_uid = p.uid)) AS props
FROM parcels p WHERE p.valid_to IS NULL
"""
[[fields]]
name = "parcel_id"
type = "String"
audience = "public"
description = "Parcel ID"
[[fields]]
name = "commune_code"
type = "String"
audience = "public"
description = "Commune"
[[fields]]
name = "holder"
type = "String"
audience = "personal"
description = "Recorded holder"
"#;

/// Personal data on the rows of `communes`.
fn officer_of(communes: &[&str]) -> View {
    let codes: BTreeSet<String> = communes.iter().map(|c| c.to_string()).collect();
    View { audience: Audience::Personal, scope: Scope::Communes(Arc::new(codes)) }
}

#[tokio::test]
async fn personal_fields_show_only_on_rows_in_scope_and_the_rest_is_the_open_view() {
    let db = TestDb::new(Content::Samples).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cadastre.toml"), LAYER).unwrap();
    let catalog = Arc::new(Catalog::load(Some(dir.path())).unwrap());
    let crs = ApiCrs::crs84();
    let layers = Arc::new(Layers::new(catalog.clone(), Arc::default()));
    layers.reload(&db.pool, 0, None).await.unwrap();
    // Each page is asked of PostGIS and of the layer in memory, which must answer the same.
    let page = |view: View, filter: Vec<cql2::Expr>| {
        let (pool, catalog, crs, layers) = (db.pool.clone(), catalog.clone(), crs.clone(), layers.clone());
        async move {
            let spec = &catalog.layers[0];
            let (filter, matcher) =
                diachinh::filter::compile(filter, spec, &view, &crs, false).map_err(|e| format!("{e:?}"))?;
            assert!(matcher.is_some(), "memory evaluates these filters");
            let q = ItemQuery { limit: 10_000, filter, matcher, ..ItemQuery::default() };
            let from_db = features::items(Source::database(&pool), spec, &view, &q, &crs).await.unwrap();
            let in_memory = Source { pool: &pool, memory: Some((&layers, 0)) };
            let from_memory = features::items(in_memory, spec, &view, &q, &crs).await.unwrap();
            let features = |items: Vec<features::Item>| items.into_iter().map(|i| i.feature).collect::<Vec<Value>>();
            let (db_items, matched) = (features(from_db.0), from_db.1);
            assert_eq!((&db_items, matched), (&features(from_memory.0), from_memory.1), "memory answers as PostGIS");
            Ok::<_, String>((db_items, matched))
        }
    };
    let holder = |f: &Value| f["properties"].get("holder").cloned();
    let commune = |f: &Value| f["properties"]["commune_code"].as_str().unwrap_or("").to_owned();
    let all = db.count("SELECT count(*) FROM parcels WHERE valid_to IS NULL").await;
    let with_holders = |code: &'static str| {
        db.count(Box::leak(
            format!(
                "SELECT count(*) FROM parcels p WHERE p.valid_to IS NULL AND p.commune_code = '{code}'
                 AND EXISTS (SELECT 1 FROM personal.recorded_holders h WHERE h.parcel_uid = p.uid)"
            )
            .into_boxed_str(),
        ))
    };
    let (tn, hp) = (with_holders("05443").await, with_holders("11311").await);
    assert!(tn > 0 && hp > 0, "both communes have holders recorded");

    // The anonymous principal's view is the open one: every row, no holder.
    assert_eq!(Principal::Anonymous.view(), View::open());
    let (open, n) = page(View::open(), vec![]).await.unwrap();
    assert_eq!(n, all);
    assert!(open.iter().all(|f| holder(f).is_none()));
    // An officer of 05443: every row still, holders on 05443's alone.
    let (seen, n) = page(officer_of(&["05443"]), vec![]).await.unwrap();
    assert_eq!(n, all);
    assert_eq!(seen.iter().filter(|f| holder(f).is_some()).count() as i64, tn);
    assert!(seen.iter().filter(|f| holder(f).is_some()).all(|f| commune(f) == "05443"));
    // A filter on the holder holds only where the holder is visible; anonymous cannot name it.
    let has_holder = cql2::parse_text("NOT holder IS NULL").unwrap();
    let (found, n) = page(officer_of(&["05443"]), vec![has_holder.clone()]).await.unwrap();
    assert_eq!(n, tn);
    assert!(found.iter().all(|f| commune(f) == "05443"));
    assert!(page(View::open(), vec![has_holder]).await.unwrap_err().contains("not a queryable"));
    // By id: a parcel outside the scope comes as the open view shows it.
    let id_in = |code: &'static str| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT p.parcel_id FROM parcels p JOIN personal.recorded_holders h ON h.parcel_uid = p.uid
                 WHERE p.valid_to IS NULL AND p.commune_code = $1 LIMIT 1",
            )
            .bind(code)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let one = |view: View, id: String| {
        let (pool, catalog, crs) = (db.pool.clone(), catalog.clone(), crs.clone());
        async move { features::item(&pool, &catalog.layers[0], &view, &id, &crs).await.unwrap().unwrap().feature }
    };
    assert!(holder(&one(officer_of(&["05443"]), id_in("05443").await).await).is_some());
    assert!(holder(&one(officer_of(&["05443"]), id_in("11311").await).await).is_none());
    assert!(holder(&one(View::open(), id_in("05443").await).await).is_none());

    // Tiles: in scope the officer's tile carries holders; elsewhere it is the open tile.
    let tile_at = |lon: f64, lat: f64| {
        let (x, y) = common::tile_of(lon, lat, 16);
        TileId::new(16, x, y).unwrap()
    };
    let (tn_tile, hp_tile) = (tile_at(105.8379, 21.5924), tile_at(106.6794, 20.8624));
    let officer = officer_of(&["05443"]);
    let holds = |bytes: &[u8]| bytes.windows(6).any(|w| w == b"holder");
    assert!(holds(&render(&layers, &[0], tn_tile, &officer)));
    assert!(!holds(&render(&layers, &[0], tn_tile, &View::open())));
    let outside = render(&layers, &[0], hp_tile, &officer);
    assert!(!outside.is_empty());
    assert_eq!(outside, render(&layers, &[0], hp_tile, &View::open()));
}
